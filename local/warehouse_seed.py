"""Fivetran-shaped data for the embedded warehouse: the states recovery SQL repairs (duplicate keys, rows lost
to a re-sync, malformed JSON, a changed column type), for drills and tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from local.warehouse import EmbeddedWarehouse

ORDERS = {"id": "VARCHAR", "region": "VARCHAR", "amount": "VARCHAR", "payload": "VARCHAR"}
BASE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC).replace(tzinfo=None)


def order_rows(count: int, *, start: int = 0, synced: datetime = BASE, table: str = "orders") -> list[dict[str, Any]]:
    """`count` orders, one a minute, valid JSON payloads, not deleted."""
    return [
        {
            "id": str(start + i),
            "region": "eu" if i % 2 else "us",
            "amount": str(10 * (start + i)),
            "payload": f'{{"order": {start + i}, "lines": [1, 2]}}',
            "_fivetran_synced": synced + timedelta(minutes=i),
            "_fivetran_deleted": False,
            "_fivetran_id": f"{table}-{start + i}",
        }
        for i in range(count)
    ]


def orders_table(warehouse: EmbeddedWarehouse, schema: str = "public", table: str = "orders", rows: int = 20) -> None:
    warehouse.create_table(schema, table, ORDERS, ["id"])
    warehouse.insert(schema, table, order_rows(rows, table=table))


def lose_rows_in_resync(warehouse: EmbeddedWarehouse, schema: str, table: str, *, deleted: int, missing: int) -> str:
    """Keep a known-good copy (`<table>__good`), then play a re-sync that flags `deleted` rows
    `_fivetran_deleted` and drops `missing` others. Returns the copy's name."""
    good = f"{table}__good"
    warehouse.execute(f'CREATE TABLE "{schema}"."{good}" AS SELECT * FROM "{schema}"."{table}"')
    ids = [r[0] for r in warehouse._con.execute(f'SELECT id FROM "{schema}"."{table}" ORDER BY id').fetchall()]
    flagged, dropped = ids[:deleted], ids[deleted : deleted + missing]
    resynced = BASE + timedelta(days=1)
    for key in flagged:
        warehouse.execute(
            f'UPDATE "{schema}"."{table}" SET "_fivetran_deleted" = TRUE, '
            f"\"_fivetran_synced\" = TIMESTAMP '{resynced}' WHERE id = '{key}'"
        )
    for key in dropped:
        warehouse.execute(f"DELETE FROM \"{schema}\".\"{table}\" WHERE id = '{key}'")
    return good


def break_json(warehouse: EmbeddedWarehouse, schema: str, table: str, column: str, count: int) -> None:
    """`count` rows get a truncated JSON value (what a source's broken export looks like)."""
    warehouse.execute(
        f'UPDATE "{schema}"."{table}" SET "{column}" = \'{{"order": \' || id || \', "lines": [1,\' '
        f'WHERE id IN (SELECT id FROM "{schema}"."{table}" ORDER BY id LIMIT {int(count)})'
    )


def change_type_to_text(warehouse: EmbeddedWarehouse, schema: str, table: str, column: str, renamed: str) -> None:
    """The source turned a numeric column into text and renamed it: downstream still wants a number under the
    old name."""
    warehouse.execute(f'ALTER TABLE "{schema}"."{table}" RENAME COLUMN "{column}" TO "{renamed}"')
