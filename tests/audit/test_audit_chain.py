"""The audit trail is append-only and hash-chained per connection: edits, deletions and re-ordering are found."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from fivetran_recovery.audit import GENESIS_HASH, AuditLog, AuditRecord, verify_records
from local.cli import main as cli


class TickingClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(milliseconds=1)
            return self.now


@pytest.fixture
def table(aws_stack):
    return boto3.resource("dynamodb").Table(aws_stack.tables["AuditTable"])


@pytest.fixture
def log(table, monkeypatch) -> AuditLog:
    # The plain hash chain (no KMS key, no anchor bucket): test_audit_seal.py covers the sealed trail.
    monkeypatch.delenv("AUDIT_KEY_ID", raising=False)
    monkeypatch.delenv("AUDIT_ANCHOR_BUCKET", raising=False)
    audit = AuditLog(table, clock=TickingClock())
    for n in range(3):
        audit.append(
            chain_id="conn_a",
            incident_id="inc-1",
            kind="action",
            actor="remediate",
            detail={"step": n, "ratio": 0.25, "calls": [{"path": f"/v1/connections/conn_a/{n}"}]},
        )
    audit.append(chain_id="conn_b", incident_id="inc-1", kind="diagnosis", actor="diagnose", detail={"p": "x"})
    audit.append(chain_id="conn_a", incident_id="inc-2", kind="approval", actor="ana", detail={"decision": "approved"})
    return audit


def test_given_appended_records_then_each_connection_has_an_intact_chain(log) -> None:
    chain = log.chain("conn_a")
    assert [r.seq for r in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == GENESIS_HASH and chain[1].prev_hash == chain[0].hash
    assert all(check.ok for check in log.verify_all())
    assert [c.chain_id for c in log.verify_all()] == ["conn_a", "conn_b"]
    assert chain[0].detail["ratio"] == 0.25  # floats survive (detail is stored as canonical JSON)


def test_given_an_incident_then_its_records_across_chains_are_linked_by_incident_id(log) -> None:
    records = log.for_incident("inc-1")
    assert {(r.chain_id, r.kind) for r in records} == {("conn_a", "action"), ("conn_b", "diagnosis")}
    assert len(records) == 4


def test_given_an_edited_record_then_verify_names_it(log, table) -> None:
    item = table.get_item(Key={"chain_id": "conn_a", "seq": 2})["Item"]
    item["detail_json"] = item["detail_json"].replace("conn_a/1", "conn_a/evil")
    table.put_item(Item=item)  # an administrator bypassing the application's append-only path
    check = log.verify_chain("conn_a")
    assert not check.ok and check.broken_seq == 2 and "edited" in check.reason


def test_given_an_edited_record_with_recomputed_hash_then_the_next_link_breaks(log, table) -> None:
    record = log.chain("conn_a")[1]
    forged = record.model_copy(update={"actor": "someone-else"}).sealed()
    item = table.get_item(Key={"chain_id": "conn_a", "seq": 2})["Item"]
    item.update({"actor": forged.actor, "hash": forged.hash})
    table.put_item(Item=item)
    check = log.verify_chain("conn_a")
    assert not check.ok and check.broken_seq == 3 and "prev_hash" in check.reason


def test_given_a_deleted_record_then_the_gap_is_found(log, table) -> None:
    table.delete_item(Key={"chain_id": "conn_a", "seq": Decimal(2)})
    check = log.verify_chain("conn_a")
    assert not check.ok and check.broken_seq == 3 and "gap" in check.reason


def test_given_an_existing_seq_then_a_direct_overwrite_through_the_append_path_fails(log, table) -> None:
    from botocore.exceptions import ClientError

    item = table.get_item(Key={"chain_id": "conn_a", "seq": 1})["Item"]
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(chain_id)")


def test_given_concurrent_writers_then_no_record_is_lost_and_the_chain_holds(table) -> None:
    audit = AuditLog(table, clock=TickingClock())
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            audit.append(chain_id="conn_c", incident_id=f"inc-{n}", kind="action", actor="remediate", detail={"n": n})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    from local.lambda_runtime import serialized_moto

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    # DynamoDB applies a conditional put atomically; moto checks and writes in two steps, so under CPU contention
    # two threads could both pass attribute_not_exists. One request at a time through moto is what DynamoDB gives.
    with serialized_moto():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    chain = audit.chain("conn_c")
    assert sorted(r.detail["n"] for r in chain) == list(range(6))
    assert verify_records("conn_c", chain).ok


def test_record_hash_covers_every_field() -> None:
    base = AuditRecord(
        chain_id="c",
        seq=1,
        incident_id="i",
        recorded_at="t",
        kind="k",
        actor="a",
        detail={"x": 1},
        prev_hash=GENESIS_HASH,
    ).sealed()
    for change in ({"actor": "b"}, {"detail": {"x": 2}}, {"incident_id": "j"}, {"recorded_at": "u"}):
        assert base.model_copy(update=change).compute_hash() != base.hash


def _export(log: AuditLog, path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for chain_id in log.chain_ids():
            for record in log.chain(chain_id):
                out.write(json.dumps(record.model_dump()) + "\n")


def test_cli_verify_reports_ok_then_the_first_broken_link(log, table, tmp_path, capsys) -> None:
    assert cli(["audit", "verify"]) == 0  # AUDIT_TABLE from the stack's environment
    assert "2 of 2 chains intact" in capsys.readouterr().out
    item = table.get_item(Key={"chain_id": "conn_a", "seq": 3})["Item"]
    item["kind"] = "nothing_happened"
    table.put_item(Item=item)
    assert cli(["audit", "verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert [(c["chain_id"], c["broken_seq"]) for c in report["chains"] if not c["ok"]] == [("conn_a", 3)]


def test_cli_verify_and_show_from_an_export_file(log, tmp_path, capsys) -> None:
    export = tmp_path / "audit.jsonl"
    _export(log, export)
    assert cli(["audit", "verify", "--file", str(export), "--connection", "conn_a"]) == 0
    assert cli(["audit", "show", "--incident", "inc-1", "--file", str(export)]) == 0
    out = capsys.readouterr().out
    assert "conn_b#1" in out and "conn_a#3" in out
    lines = export.read_text().splitlines()
    tampered = json.loads(lines[0])
    tampered["detail"]["step"] = 99
    export.write_text("\n".join([json.dumps(tampered), *lines[1:]]) + "\n")
    assert cli(["audit", "verify", "--file", str(export)]) == 1
    assert "first broken link at seq 1" in capsys.readouterr().out
    assert cli(["audit", "show", "--incident", "inc-404", "--file", str(export)]) == 1
    assert cli(["audit", "verify", "--file", str(tmp_path / "missing.jsonl")]) == 2
