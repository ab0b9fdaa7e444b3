"""Recovery SQL: the dedup statement per dialect, and that it really keeps the latest row per key in DuckDB."""

from __future__ import annotations

import pytest

from fivetran_recovery.recovery_sql import DIALECTS, TableRef, WarehouseError, dedup_primary_key, warehouse_from_url
from local.warehouse import EmbeddedWarehouse


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_each_dialect_then_one_transaction_keeping_the_latest_synced_row(dialect) -> None:
    script = dedup_primary_key(dialect, TableRef("sales", "orders"), ["id", "region"])
    statements = script.statements
    assert statements[0].startswith("BEGIN") and statements[-1].startswith("COMMIT")
    survivors = statements[1]
    assert "QUALIFY ROW_NUMBER() OVER (PARTITION BY id, region ORDER BY _fivetran_synced DESC) = 1" in survivors
    assert any(s.startswith("DELETE FROM") for s in statements)
    assert any(s.startswith("INSERT INTO") for s in statements)
    assert script.script.count(";") == len(statements)


def test_dialect_specifics() -> None:
    bigquery = dedup_primary_key("bigquery", TableRef("sales", "orders", project="acme-data"), ["id"]).statements
    assert "`acme-data.sales.orders`" in bigquery[1]
    assert "DELETE FROM `acme-data.sales.orders` WHERE TRUE" in bigquery
    assert bigquery[-1] == "COMMIT TRANSACTION"
    assert dedup_primary_key("snowflake", TableRef("s", "t"), ["id"]).statements[1].startswith("CREATE TEMPORARY")
    assert dedup_primary_key("redshift", TableRef("s", "t"), ["id"]).statements[0] == "BEGIN"


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        (("sales", "orders; DROP TABLE x"), ["id"]),
        (("sales", "orders"), ["id) = 1; --"]),
        (("sa les", "orders"), ["id"]),
        (("sales", "orders"), []),
    ],
)
def test_given_unsafe_identifiers_then_refused(table, keys) -> None:
    with pytest.raises(ValueError):
        dedup_primary_key("duckdb", TableRef(*table), keys)


def test_given_unknown_dialect_then_refused() -> None:
    with pytest.raises(ValueError, match="dialect"):
        dedup_primary_key("oracle", TableRef("s", "t"), ["id"])


def test_given_duplicates_in_duckdb_when_dedup_runs_then_latest_row_per_key_remains() -> None:
    warehouse = EmbeddedWarehouse()
    warehouse.create_table("public", "orders", {"id": "VARCHAR", "amount": "VARCHAR"}, ["id"])
    warehouse.seed_duplicates("public", "orders", keys=4, copies=3)
    assert warehouse.duplicate_keys("public", "orders") == 4
    warehouse.adapter().execute(dedup_primary_key("duckdb", TableRef("public", "orders"), ["id"]).statements)
    rows = warehouse.rows("public", "orders")
    assert warehouse.duplicate_keys("public", "orders") == 0 and len(rows) == 4
    assert all(row[1].endswith("-v2") for row in rows)  # the most recently synced copy of each key


def test_given_failing_statement_then_rolled_back_and_clear_error() -> None:
    warehouse = EmbeddedWarehouse()
    warehouse.create_table("public", "orders", {"id": "VARCHAR"}, ["id"])
    warehouse.seed_duplicates("public", "orders", keys=2, copies=2)
    adapter = warehouse.adapter()
    with pytest.raises(WarehouseError, match="recovery SQL failed"):
        adapter.execute(["BEGIN TRANSACTION", "DELETE FROM public.orders", "SELECT * FROM no_such_table", "COMMIT"])
    assert len(warehouse.rows("public", "orders")) == 4  # nothing committed


def test_warehouse_url(tmp_path) -> None:
    assert warehouse_from_url(None) is None
    assert warehouse_from_url(f"duckdb://{tmp_path}/w.duckdb").path == f"{tmp_path}/w.duckdb"
    assert warehouse_from_url(f"duckdb:///{tmp_path}/w.duckdb").path == f"{tmp_path}/w.duckdb"
    with pytest.raises(WarehouseError, match="unsupported"):
        warehouse_from_url("snowflake://acct")
