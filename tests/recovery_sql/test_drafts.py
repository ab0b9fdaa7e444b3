"""LLM drafts held to the templates' rules: parsed in the dialect, allow-listed kinds, the incident's tables only,
one written table, proven on a DuckDB copy with a preview; accepted drafts are marked as drafts."""

from __future__ import annotations

import duckdb
import pytest

from fivetran_recovery.recovery_sql import DIALECTS, TableRef
from fivetran_recovery.recovery_sql.compat import DuckDBAs
from fivetran_recovery.recovery_sql.drafts import DraftRejected, check_draft, copy_tables
from fivetran_recovery.recovery_sql.runner import ScriptRunner
from fivetran_recovery.recovery_sql.warehouse import DuckDBWarehouse
from local.warehouse import EmbeddedWarehouse
from local.warehouse_seed import ORDERS, orders_table

T = TableRef("public", "orders")
COLUMNS = {**ORDERS, "_fivetran_synced": "TIMESTAMP", "_fivetran_deleted": "BOOLEAN", "_fivetran_id": "VARCHAR"}
DRAFT = {
    "snowflake": 'DELETE FROM public.orders WHERE region = \'eu\' AND TRY_CAST(amount AS INT) > 100',
    "bigquery": "DELETE FROM public.orders WHERE region = 'eu' AND SAFE_CAST(amount AS INT64) > 100",
    "redshift": "DELETE FROM public.orders WHERE region = 'eu' AND CAST(amount AS INTEGER) > 100",
    "duckdb": "DELETE FROM public.orders WHERE region = 'eu' AND TRY_CAST(amount AS INTEGER) > 100",
}


def source_and_copy(rows: int = 20):
    source = EmbeddedWarehouse()
    orders_table(source, rows=rows)
    copy = DuckDBWarehouse(connection=duckdb.connect())
    complete = copy_tables(source.adapter(), {T: COLUMNS}, "duckdb", copy)
    return source, copy, complete


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_a_sound_draft_then_accepted_marked_draft_with_preview_backup_and_undo(dialect) -> None:
    source, copy, complete = source_and_copy()
    checked = check_draft(DRAFT[dialect], dialect, [T], copy, token="d1", copy_complete=complete)
    script = checked.script
    assert script.draft and script.script.startswith("-- DRAFT (LLM) llm_draft")
    assert checked.preview == [5] and (checked.rows_before, checked.rows_after) == (20, 15)
    assert script.statements[0].kind == "backup" and script.undo
    # and it runs the same way against the real (here: embedded) warehouse, checked against the copy's result
    runner = ScriptRunner(DuckDBAs(source.adapter(), dialect))
    preview = runner.preview(script)
    assert preview.draft and preview.lines()[0].startswith("DRAFT (LLM)")
    assert runner.execute(script, preview).verified
    assert runner.undo(script).verified and len(source.rows("public", "orders")) == 20


@pytest.mark.parametrize(
    ("draft", "rule"),
    [
        ("DELETE FROM public.orders WHERE", "does not parse"),
        ("GRANT SELECT ON public.orders TO ROLE analyst", "not allowed|does not parse|opaque"),
        ("TRUNCATE TABLE public.orders", "not allowed"),
        ("ALTER TABLE public.orders DROP COLUMN amount", "not allowed"),
        ("DELETE FROM public.customers WHERE TRUE", "outside the incident"),
        ("INSERT INTO public.orders SELECT * FROM finance.salaries", "outside the incident"),
        ("CREATE TABLE public.anything AS SELECT * FROM public.orders", "side table"),
        ("DROP TABLE public.orders", "only the side tables"),
        ("SELECT COUNT(*) FROM public.orders", "exactly one incident table"),
        ("DELETE FROM public.orders WHERE no_such_column = 1", "fails on the DuckDB copy"),
    ],
)
def test_given_a_draft_breaking_a_rule_then_rejected_with_the_rule(draft, rule) -> None:
    _, copy, _ = source_and_copy(5)
    with pytest.raises(DraftRejected, match=rule):
        check_draft(draft, "snowflake", [T], copy, token="x")


def test_given_a_draft_with_a_side_table_then_allowed_when_named_for_the_incident_table() -> None:
    _, copy, _ = source_and_copy(6)
    draft = ("CREATE TABLE public.orders__eu AS SELECT * FROM public.orders WHERE region = 'eu';"
             "DELETE FROM public.orders WHERE region = 'eu'; DROP TABLE public.orders__eu")
    checked = check_draft(draft, "snowflake", [T], copy, token="s")
    assert checked.rows_after == 3 and [s.kind for s in checked.script.statements][-1] == "cleanup"
