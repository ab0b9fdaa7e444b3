"""Earned autonomy: promotion after N verified successes, demotion at once, every change audited, one store."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from fivetran_recovery.autonomy import DynamoStandingStore, EarnedAutonomy, MemoryStandingStore
from fivetran_recovery.autonomy.store import StaleStanding

T0 = datetime(2026, 3, 1, tzinfo=UTC)


class Audit:
    def __init__(self) -> None:
        self.records: list[dict] = []

    def append(self, **record) -> None:
        self.records.append(record)


def ladder(store=None, **kwargs) -> tuple[EarnedAutonomy, Audit]:
    audit = Audit()
    return EarnedAutonomy(store=store or MemoryStandingStore(), audit=audit, clock=lambda: T0, **kwargs), audit


def test_given_n_verified_successes_then_promoted_to_auto_and_audited() -> None:
    autonomy, audit = ladder(promote_after=3)
    assert autonomy.effective_mode("retry_with_backoff", "auto")[0] == "recommend"
    for i in range(2):
        assert autonomy.record("retry_with_backoff", "verified", incident_id=f"i{i}") is None
    assert "2/3 verified successes" in autonomy.effective_mode("retry_with_backoff", "auto")[1]
    change = autonomy.record("retry_with_backoff", "verified", incident_id="i2", connection_id="c1")
    assert change is not None and (change.before, change.after, change.kind) == ("recommend", "auto", "promotion")
    assert autonomy.effective_mode("retry_with_backoff", "auto") == ("auto", None)
    assert autonomy.effective_mode("retry_with_backoff", "recommend")[0] == "recommend"  # the ceiling still rules
    [record] = audit.records
    assert record["kind"] == "playbook_promotion" and record["detail"]["to"] == "auto" and record["chain_id"] == "c1"


@pytest.mark.parametrize("outcome", ["failed", "reversed"])
def test_given_a_failed_verification_or_a_reversal_then_demoted_at_once_and_the_streak_restarts(outcome) -> None:
    autonomy, audit = ladder(promote_after=2, initial_stage="auto")
    autonomy.record("p", "verified", incident_id="i0")
    change = autonomy.record("p", outcome, incident_id="i1")
    assert change is not None and (change.before, change.after) == ("auto", "recommend")
    standing = autonomy.standing("p")
    assert standing.streak == 0 and standing.verified == 1 and (standing.failed + standing.reversed) == 1
    assert audit.records[-1]["kind"] == "playbook_demotion" and outcome in audit.records[-1]["detail"]["outcome"]
    autonomy.record("p", "verified", incident_id="i2")
    assert autonomy.standing("p").stage == "recommend"  # one success after a failure is not enough
    autonomy.record("p", outcome, incident_id="i3")
    assert autonomy.standing("p").stage == "monitor"
    assert autonomy.record("p", outcome, incident_id="i4") is None  # nothing below monitor
    assert autonomy.record("p", "verified", incident_id="i5") is None  # nothing runs in monitor: a human lifts it


def test_given_a_human_sets_a_stage_then_audited_and_reported() -> None:
    autonomy, audit = ladder()
    autonomy.set_stage("p", "monitor", actor="ana", reason="new playbook, watch first")
    [row] = autonomy.report(["p"])
    assert row["stage"] == "monitor" and row["promote_after"] == 5 and row["reason"] == "new playbook, watch first"
    assert audit.records[-1]["actor"] == "ana"
    with pytest.raises(ValueError):
        autonomy.set_stage("p", "yolo", actor="ana", reason="")


@mock_aws
def test_dynamo_store_round_trip_lists_all_and_refuses_a_stale_write() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    keys = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")]
    client.create_table(TableName="inc", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=keys,
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                                                               {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}])
    store = DynamoStandingStore(client=client, table_name="inc")
    autonomy, _ = ladder(store, promote_after=1)
    autonomy.record("a", "verified", incident_id="i1")
    autonomy.record("b", "failed", incident_id="i2")
    assert {s.playbook_id: s.stage for s in store.all()} == {"a": "auto", "b": "monitor"}
    stale = store.get("a")
    store.put(stale)
    with pytest.raises(StaleStanding):
        store.put(stale)


@mock_aws
def test_playbooks_cli_lists_sets_and_reverses(capsys, monkeypatch) -> None:
    import json

    from local.cli import main

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("dynamodb", region_name="us-east-1")
    keys = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")]
    client.create_table(TableName="inc", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=keys,
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                                                               {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}])
    audit_keys = [{"AttributeName": "chain_id", "AttributeType": "S"}, {"AttributeName": "seq", "AttributeType": "N"}]
    client.create_table(TableName="audit", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=audit_keys,
                        KeySchema=[{"AttributeName": "chain_id", "KeyType": "HASH"},
                                   {"AttributeName": "seq", "KeyType": "RANGE"}])
    tables = ["--table", "inc", "--audit-table", "audit"]
    assert main(["playbooks", "set", "retry_with_backoff", "auto", "--reason", "proven", "--table", "inc"]) == 1
    assert main(["playbooks", "set", "retry_with_backoff", "auto", "--reason", "proven", *tables]) == 0
    assert main(["playbooks", "reverse", "retry_with_backoff", "--incident", "inc-9", *tables]) == 0
    kinds = [i["kind"]["S"] for i in client.scan(TableName="audit")["Items"]]
    assert sorted(kinds) == ["playbook_demotion", "playbook_promotion"]
    capsys.readouterr()
    assert main(["playbooks", "--table", "inc", "--json"]) == 0
    rows = {r["playbook_id"]: r for r in json.loads(capsys.readouterr().out)["playbooks"]}
    assert rows["retry_with_backoff"]["stage"] == "recommend" and rows["retry_with_backoff"]["reversed"] == 1
    assert rows["schema_change_non_breaking"]["stage"] == "recommend"  # the initial stage, nothing recorded yet
    assert main(["playbooks", "list"]) == 1  # no table: one error line, exit 1
