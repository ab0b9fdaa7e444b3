"""Known-good schema snapshots: the structured diff, where they are kept, and when they are taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from fivetran_recovery.fivetran import FivetranError
from fivetran_recovery.snapshots import (
    DynamoSnapshotStore,
    MemorySnapshotStore,
    Snapshot,
    SnapshotKeeper,
    diff_schemas,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def config(**tables: dict[str, bool]) -> dict:
    return {"schema_change_handling": "ALLOW_ALL", "schemas": {"s": {"enabled": True, "tables": {
        name: {"enabled": True, "columns": {c: {"enabled": True, "is_primary_key": pk} for c, pk in cols.items()}}
        for name, cols in tables.items()}}}}


def test_given_added_columns_and_tables_then_non_breaking_and_their_tables_are_the_scope() -> None:
    diff = diff_schemas(config(t={"id": True}), config(t={"id": True, "new": False}, u={"id": True}))
    assert diff.kind == "non_breaking"
    assert diff.changed_tables() == {"s": ["u", "t"]} or diff.changed_tables() == {"s": ["t", "u"]}
    assert "column added: s.t.new" in diff.lines() and "table added: s.u" in diff.lines()


@pytest.mark.parametrize("after", [config(t={"id": True}), config(t={"id": False, "b": True}), config()])
def test_given_removed_columns_tables_or_changed_keys_then_breaking(after) -> None:
    before = config(t={"id": True, "b": False})
    assert diff_schemas(before, after).breaking


def test_given_identical_configs_or_only_toggles_then_empty() -> None:
    same = config(t={"id": True})
    toggled = config(t={"id": True})
    toggled["schemas"]["s"]["tables"]["t"]["enabled"] = False
    assert diff_schemas(same, same).empty
    diff = diff_schemas(same, toggled)
    assert diff.empty and diff.kind == "none" and diff.toggled == ["table disabled: s.t"]


@mock_aws
def test_dynamo_store_round_trips_a_compressed_snapshot() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName="inc", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}])
    store = DynamoSnapshotStore(client=client, table_name="inc")
    assert store.get("c1") is None
    wide = config(**{f"t{i}": {f"c{j}": j == 0 for j in range(60)} for i in range(60)})
    store.put(Snapshot(connection_id="c1", config=wide, taken_at=T0, reason="first success"))
    got = store.get("c1")
    assert got is not None and got.config == wide and got.taken_at == T0 and got.reason == "first success"


class FakeFivetran:
    def __init__(self, schemas: dict[str, dict], broken: set[str] = frozenset()) -> None:
        self.schemas, self.broken, self.reads = schemas, broken, 0

    def get_schema_config(self, connection_id: str) -> dict:
        self.reads += 1
        if connection_id in self.broken:
            raise FivetranError("unreachable")
        return self.schemas[connection_id]

    def iter_connections(self):
        return iter([SimpleNamespace(id=c) for c in self.schemas])


def keeper(fivetran: FakeFivetran, now: list[datetime], **kwargs) -> SnapshotKeeper:
    return SnapshotKeeper(store=MemorySnapshotStore(), fivetran=fivetran, clock=lambda: now[0], **kwargs)


def test_after_success_snapshots_once_then_again_only_after_a_schema_event() -> None:
    fivetran = FakeFivetran({"c1": config(t={"id": True})})
    now = [T0]
    k = keeper(fivetran, now)
    assert k.after_success("c1", []) is True and fivetran.reads == 1
    assert k.after_success("c1", [SimpleNamespace(category="network", event="sync_end", at=T0 + timedelta(1))]) \
        is False
    fivetran.schemas["c1"] = config(t={"id": True, "new": False})
    now[0] = T0 + timedelta(minutes=5)
    drift = SimpleNamespace(category="schema_drift", event="sync_end", at=T0 + timedelta(minutes=1))
    assert k.after_success("c1", [drift]) is True
    assert k.latest("c1").config == fivetran.schemas["c1"] and k.latest("c1").reason == "success after a schema event"


def test_sweep_snapshots_connections_without_one_bounded_and_not_too_often() -> None:
    fivetran = FakeFivetran({f"c{i}": config(t={"id": True}) for i in range(5)}, broken={"c1"})
    now = [T0]
    k = keeper(fivetran, now, sweep_seconds=3600, sweep_limit=3)
    assert k.sweep() == 3  # c1 unreadable: skipped, the next three taken
    assert k.sweep() == 0  # not again within the interval
    now[0] = T0 + timedelta(hours=2)
    assert k.sweep() == 1 and k.latest("c1") is None and k.latest("c4") is not None
