"""The audit trail mirrored into the warehouse: every dialect's statements parse back; on DuckDB the mirror is
append-only and idempotent, and the mirrored rows still verify as a hash chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fivetran_recovery.audit.chain import AuditRecord
from fivetran_recovery.audit.store import record_from_item
from fivetran_recovery.recovery_sql import DIALECTS, TableRef
from fivetran_recovery.recovery_sql.audit_mirror import AuditMirror, create_table_sql, insert_sql
from fivetran_recovery.recovery_sql.compat import DuckDBAs, parse
from local.warehouse import EmbeddedWarehouse


def chain(n: int) -> list[AuditRecord]:
    from fivetran_recovery.audit.chain import GENESIS_HASH

    records, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        record = AuditRecord(chain_id="vivid_lantern", seq=seq, incident_id="inc-1",
                             recorded_at=datetime(2026, 11, 20, tzinfo=UTC).isoformat(), kind="action",
                             actor="remediate", detail={"step": seq, "note": "it's \"quoted\""}, prev_hash=prev)
        record = record.model_copy(update={"hash": record.compute_hash()})
        records.append(record)
        prev = record.hash
    return records


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_records_then_the_mirror_sql_parses_back_in_every_dialect(dialect) -> None:
    table = TableRef("audit", "fivetran_recovery_audit")
    for sql in (create_table_sql(dialect, table), insert_sql(dialect, table, chain(3))):
        parse(sql, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_the_same_records_twice_when_mirrored_then_appended_once_and_still_a_valid_chain(dialect) -> None:
    warehouse = EmbeddedWarehouse()
    warehouse.execute('CREATE SCHEMA "audit"')
    mirror = AuditMirror(DuckDBAs(warehouse.adapter(), dialect), "audit")
    records = chain(5)
    assert mirror.mirror(records[:3]) == 3
    assert mirror.mirror(records) == 2  # idempotent: the first three are not added again
    rows = warehouse._con.execute('SELECT * FROM "audit"."fivetran_recovery_audit" ORDER BY seq').fetchall()
    names = [c[0] for c in warehouse._con.description]
    items = [dict(zip(names, row, strict=True)) for row in rows]
    mirrored = [record_from_item(item) for item in items]
    assert [r.hash for r in mirrored] == [r.hash for r in records]
    assert all(r.compute_hash() == r.hash for r in mirrored)  # the warehouse copy verifies on its own
    assert json.loads(items[0]["detail_json"])["note"] == "it's \"quoted\""
