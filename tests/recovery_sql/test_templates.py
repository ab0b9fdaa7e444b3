"""Every template in every dialect: each statement parses back strictly in its dialect with quoted
identifiers, and the whole script (preview, backup, execute, checks, undo) runs on DuckDB after transpilation."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlglot import exp

from fivetran_recovery.recovery_sql import DIALECTS, TableRef
from fivetran_recovery.recovery_sql.compat import DuckDBAs, parse
from fivetran_recovery.recovery_sql.runner import ScriptRunner
from fivetran_recovery.recovery_sql.templates import (
    dedup_latest,
    drop_and_resync,
    restore_from_backup,
    soft_delete_audit,
)
from fivetran_recovery.recovery_sql.templates_data import (
    alter_column_type,
    compatibility_view,
    find_gaps,
    gap_check,
    json_quarantine,
)
from local.warehouse import EmbeddedWarehouse
from local.warehouse_seed import BASE, break_json, change_type_to_text, lose_rows_in_resync, order_rows, orders_table

T = TableRef("public", "orders")
COLUMNS = {"id": "VARCHAR", "region": "VARCHAR", "amount": "VARCHAR", "payload": "VARCHAR"}


def all_templates(dialect: str) -> dict:
    return {
        "dedup_latest": dedup_latest(dialect, T, ["id"], token="inc-1"),
        "drop_and_resync": drop_and_resync(dialect, T, token="inc-1", at=BASE),
        "soft_delete_audit": soft_delete_audit(dialect, T, BASE),
        "restore_from_backup": restore_from_backup(dialect, T, T.sibling("orders__good"), ["id"], token="inc-1"),
        "gap_check": gap_check(dialect, T, BASE, datetime(2026, 11, 21)),
        "compatibility_view": compatibility_view(
            dialect, T, {"id": "VARCHAR", "amount_text": "VARCHAR"}, expected_types={"amount_text": "BIGINT"},
            renames={"amount": "amount_text"},
        ),
        "alter_column_type": alter_column_type(dialect, T, "region", "VARCHAR(16)", "VARCHAR(256)", token="inc-1"),
        "json_quarantine": json_quarantine(dialect, T, "payload", token="inc-1"),
    }


def every_sql(script) -> list[str]:
    return [*script.sql, *script.previews.values(), *(c.sql for c in script.checks), *script.undo,
            *script.alternatives]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_every_template_then_each_statement_parses_back_in_its_dialect_with_quoted_identifiers(dialect) -> None:
    for name, script in all_templates(dialect).items():
        assert script.dialect == dialect and script.template == name
        for sql in every_sql(script):
            tree = parse(sql, dialect)  # strict: no opaque Command fallback
            if "information_schema" in sql.lower():
                continue  # system views keep their unquoted (case-folded) names
            for identifier in tree.find_all(exp.Identifier):
                if isinstance(identifier.parent, exp.Anonymous):
                    continue
                assert identifier.quoted, f"{name} ({dialect}): unquoted {identifier.name} in {sql}"


def test_given_the_dialects_then_their_own_way_back_and_json_functions() -> None:
    assert " CLONE " in dedup_latest("snowflake", T, ["id"]).sql[0]
    assert " CLONE " in dedup_latest("bigquery", T, ["id"]).sql[0]
    redshift = dedup_latest("redshift", T, ["id"]).sql
    assert '(LIKE "public"."orders")' in redshift[0] and redshift[1].startswith("INSERT INTO")
    assert "AT (TIMESTAMP =>" in drop_and_resync("snowflake", T, at=BASE).alternatives[0]
    assert "FOR SYSTEM_TIME AS OF" in drop_and_resync("bigquery", T, at=BASE).alternatives[0]
    assert "TRY_PARSE_JSON" in json_quarantine("snowflake", T, "payload").sql[1]
    assert "SAFE.PARSE_JSON" in json_quarantine("bigquery", T, "payload").sql[1]
    assert "CAN_JSON_PARSE" in json_quarantine("redshift", T, "payload").sql[2]
    project = dedup_latest("bigquery", TableRef("sales", "orders", project="acme-data"), ["id"])
    assert "`acme-data`.`sales`.`orders`" in project.sql[0]


@pytest.mark.parametrize(
    ("dialect", "old", "new", "allowed"),
    [
        ("snowflake", "NUMBER(10,2)", "NUMBER(38,2)", True),
        ("snowflake", "NUMBER(10,2)", "NUMBER(38,4)", False),
        ("snowflake", "VARCHAR(10)", "VARCHAR(5)", False),
        ("redshift", "VARCHAR(10)", "VARCHAR(500)", True),
        ("redshift", "INTEGER", "BIGINT", False),
        ("bigquery", "INT64", "NUMERIC", True),
        ("bigquery", "STRING", "INT64", False),
    ],
)
def test_given_a_type_change_then_alter_only_where_the_dialect_allows(dialect, old, new, allowed) -> None:
    if allowed:
        assert "ALTER COLUMN" in alter_column_type(dialect, T, "c", old, new).sql[-1]
    else:
        with pytest.raises(ValueError, match="cannot ALTER"):
            alter_column_type(dialect, T, "c", old, new)


@pytest.mark.parametrize("bad", ["orders; DROP TABLE x", "a b", 'x"y', "", "1abc"])
def test_given_an_unsafe_name_then_refused_before_any_sql(bad) -> None:
    with pytest.raises(ValueError):
        dedup_latest("duckdb", TableRef("public", bad), ["id"])
    with pytest.raises(ValueError):
        json_quarantine("duckdb", T, bad)
    with pytest.raises(ValueError):
        compatibility_view("duckdb", T, COLUMNS, expected_types={"amount": bad})


def warehouse_with_orders(rows: int = 20) -> EmbeddedWarehouse:
    warehouse = EmbeddedWarehouse()
    orders_table(warehouse, rows=rows)
    return warehouse


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_duplicates_when_dedup_runs_on_duckdb_then_latest_row_kept_and_undo_restores(dialect) -> None:
    warehouse = warehouse_with_orders(0)
    warehouse.seed_duplicates("public", "orders", keys=4, copies=3)
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), dialect))
    script = dedup_latest(dialect, T, ["id"], token=f"inc-{dialect}")
    preview = runner.preview(script)
    assert preview.counts == {"rows_before": 12, "duplicate_rows": 8, "survivors": 4}
    assert [s["rows"] for s in preview.statements if s["kind"] == "change"] == [12, 4]
    outcome = runner.execute(script, preview)
    assert outcome.verified and {c["name"]: c["actual"] for c in outcome.checks} == {"duplicate_keys": 0, "rows_after": 4}
    assert all(row[1].endswith("-v2") for row in warehouse.rows("public", "orders"))
    assert len(warehouse.rows("public", script.backup.table)) == 12  # the way back was kept
    undone = runner.undo(script)
    assert undone.verified and len(warehouse.rows("public", "orders")) == 12


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_rows_lost_in_a_resync_when_restored_on_duckdb_then_none_missing(dialect) -> None:
    warehouse = warehouse_with_orders(20)
    good = lose_rows_in_resync(warehouse, "public", "orders", deleted=3, missing=2)
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), dialect))
    audit = soft_delete_audit(dialect, T, BASE)
    audit_preview = runner.preview(audit)
    assert audit_preview.counts["soft_deleted"] == 3
    assert DuckDBAs(warehouse.adapter(), dialect).rows(audit.sql[0])[0][1] == 3
    script = restore_from_backup(dialect, T, T.sibling(good), ["id"], token="r")
    preview = runner.preview(script)
    assert preview.counts == {"rows_before": 18, "soft_deleted": 3, "to_restore": 5}
    outcome = runner.execute(script, preview)
    assert outcome.verified, outcome.checks
    assert warehouse.scalar('SELECT COUNT(*) FROM public.orders WHERE NOT "_fivetran_deleted"') == 20
    assert runner.undo(script).verified and len(warehouse.rows("public", "orders")) == 18


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_a_window_when_gap_check_runs_then_short_days_found(dialect) -> None:
    warehouse = warehouse_with_orders(30)  # 30 rows on 2026-11-20, one a minute
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), dialect))
    script = gap_check(dialect, T, BASE, datetime(2026, 11, 22))
    assert runner.preview(script).counts == {"rows_in_window": 30}
    rows = DuckDBAs(warehouse.adapter(), dialect).rows(script.sql[0])
    gaps = find_gaps(rows, {"2026-11-20": 30, "2026-11-21": 12})
    assert gaps == [{"day": "2026-11-21", "source": 12, "destination": 0, "missing": 12}]
    assert script.follow_up["action"] == "resync_tables"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_a_type_change_and_rename_when_view_created_on_duckdb_then_old_shape_readable(dialect) -> None:
    warehouse = warehouse_with_orders(10)
    change_type_to_text(warehouse, "public", "orders", "amount", "amount_text")
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), dialect))
    script = compatibility_view(
        dialect, T, {"id": "VARCHAR", "amount_text": "VARCHAR"}, expected_types={"amount_text": "BIGINT"},
        renames={"amount": "amount_text"},
    )
    outcome = runner.execute(script, runner.preview(script))
    assert outcome.verified
    assert warehouse.scalar('SELECT SUM("amount") FROM public.orders__compat') == sum(10 * i for i in range(10))
    assert runner.undo(script).verified
    assert warehouse.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'orders__compat'") == 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_alter_and_drop_on_duckdb_then_backup_and_undo_bring_the_table_back(dialect) -> None:
    warehouse = warehouse_with_orders(6)
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), dialect))
    alter = alter_column_type(dialect, T, "region", "VARCHAR(16)", "VARCHAR(256)", token="a")
    assert runner.execute(alter, runner.preview(alter)).verified
    assert runner.undo(alter).verified
    dropped = drop_and_resync(dialect, T, token="d")
    preview = runner.preview(dropped)
    assert preview.counts == {"rows_before": 6, "table_exists": 1}
    assert runner.execute(dropped, preview).verified
    assert runner.undo(dropped).verified and len(warehouse.rows("public", "orders")) == 6


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_malformed_json_when_quarantined_on_duckdb_then_clean_and_kept_aside(dialect) -> None:
    warehouse = warehouse_with_orders(12)
    break_json(warehouse, "public", "orders", "payload", 4)
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), dialect))
    script = json_quarantine(dialect, T, "payload", token="j")
    preview = runner.preview(script)
    assert preview.counts == {"invalid_json": 4, "rows_before": 12}
    outcome = runner.execute(script, preview)
    assert outcome.verified, outcome.checks
    quarantine = next(t for t in script.touches if "quarantine" in t.table)
    assert len(warehouse.rows("public", quarantine.table)) == 4
    assert runner.undo(script).verified
    assert warehouse.scalar("SELECT COUNT(*) FROM public.orders WHERE NOT json_valid(payload)") == 4


def test_given_a_failed_check_then_not_verified() -> None:
    warehouse = warehouse_with_orders(0)
    warehouse.seed_duplicates("public", "orders", keys=3, copies=2)
    runner = ScriptRunner(warehouse.adapter())
    script = dedup_latest("duckdb", T, ["id"], token="x")
    preview = runner.preview(script)
    warehouse.insert("public", "orders", order_rows(1, start=100))  # a row arrives between preview and execution
    outcome = runner.execute(script, preview)
    assert not outcome.verified
    assert {c["name"]: c["passed"] for c in outcome.checks} == {"duplicate_keys": True, "rows_after": False}
