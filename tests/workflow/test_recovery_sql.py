"""Recovery SQL in the workflow: the warehouse adapter's contract (rollback on failure, URLs)."""

from __future__ import annotations

import pytest

from fivetran_recovery.recovery_sql import WarehouseError, warehouse_from_url
from local.warehouse import EmbeddedWarehouse


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
        warehouse_from_url("oracle://acct")
