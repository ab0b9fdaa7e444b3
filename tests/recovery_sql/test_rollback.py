"""Rollback: a recovery script's undo as an approved script of its own, and Fivetran changes put back to the
before-state in their audit record (automatically only when the playbook's rollback is low risk)."""

from __future__ import annotations

import pytest

from fivetran_recovery.fivetran.models import SchemaConfig
from fivetran_recovery.recovery_sql import DIALECTS, TableRef
from fivetran_recovery.recovery_sql.compat import DuckDBAs, parse
from fivetran_recovery.recovery_sql.runner import ScriptRunner
from fivetran_recovery.recovery_sql.templates import dedup_latest
from fivetran_recovery.recovery_sql.templates_data import compatibility_view, json_quarantine
from fivetran_recovery.recovery_sql.undo import undo_as_script
from fivetran_recovery.remediation.rollback import NotRevertible, auto_rollback, revert_steps, schema_before
from local.warehouse import EmbeddedWarehouse
from local.warehouse_seed import break_json, orders_table

T = TableRef("public", "orders")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_an_executed_dedup_when_its_undo_runs_as_a_script_then_rows_back_and_undo_of_undo_works(dialect):
    warehouse = EmbeddedWarehouse()
    orders_table(warehouse, rows=0)
    warehouse.seed_duplicates("public", "orders", keys=3, copies=2)
    runner = ScriptRunner(DuckDBAs(warehouse.adapter(), dialect))
    script = dedup_latest(dialect, T, ["id"], token="a")
    assert runner.execute(script, runner.preview(script)).verified
    undo = undo_as_script(script, "rb-1")
    for sql in [*undo.sql, *undo.undo]:
        parse(sql, dialect)
    assert undo.backup is not None and undo.statements[0].kind == "backup"  # the current state is kept too
    outcome = runner.execute(undo, runner.preview(undo))
    assert outcome.verified and len(warehouse.rows("public", "orders")) == 6
    assert runner.undo(undo).verified and len(warehouse.rows("public", "orders")) == 3  # and back again


def test_given_json_quarantine_and_a_view_when_undone_then_side_table_and_view_gone():
    warehouse = EmbeddedWarehouse()
    orders_table(warehouse, rows=5)
    break_json(warehouse, "public", "orders", "payload", 2)
    runner = ScriptRunner(warehouse.adapter())
    quarantine = json_quarantine("duckdb", T, "payload", token="q")
    assert runner.execute(quarantine, runner.preview(quarantine)).verified
    undo = undo_as_script(quarantine, "rb-q")
    assert runner.execute(undo, runner.preview(undo)).verified
    assert warehouse.scalar("SELECT COUNT(*) FROM public.orders WHERE NOT json_valid(payload)") == 2
    view = compatibility_view("duckdb", T, {"id": "VARCHAR"})
    assert runner.execute(view, runner.preview(view)).verified
    dropped = undo_as_script(view, "rb-v")
    assert runner.execute(dropped, runner.preview(dropped)).verified


def record(action, before=None, response=None, seq=7):
    return {"kind": "action", "seq": seq, "detail": {"action": action, "before": before or {},
                                                     "result": {"response": response or {}}}}


def test_given_audited_fivetran_changes_then_reverts_to_their_before_state():
    [resume] = revert_steps(record("pause", {"paused": False}), "c1")
    assert resume.action == "resume" and resume.calls[0].body == {"paused": False}
    [schedule] = revert_steps(record("update_schedule", {"sync_frequency": 60, "schedule_type": "auto"}), "c1")
    assert schedule.calls[0].body == {"sync_frequency": 60, "schedule_type": "auto"}
    before = {"schema_change_handling": "ALLOW_ALL", "schemas": {"s": {"tables": {"t": {"columns": {"c": {
        "enabled": True}}}}}}}
    [schema] = revert_steps(record("update_schema_config", response={"schema_before": before}), "c1")
    assert schema.calls[0].path == "/v1/connections/c1/schemas" and schema.calls[0].body == before
    with pytest.raises(NotRevertible):
        revert_steps(record("pause", {}), "c1")
    with pytest.raises(NotRevertible):
        revert_steps(record("sync_now"), "c1")


def test_given_a_schema_update_then_its_before_state_is_what_it_changes():
    config = SchemaConfig.model_validate({"schema_change_handling": "ALLOW_ALL", "schemas": {"s": {"tables": {
        "t": {"columns": {"c": {"enabled": True}, "d": {"enabled": True}}}}}}})
    patch = {"schema_change_handling": "BLOCK_ALL",
             "schemas": {"s": {"tables": {"t": {"columns": {"c": {"enabled": False}}}}}}}
    assert schema_before(config, patch) == {
        "schema_change_handling": "ALLOW_ALL",
        "schemas": {"s": {"tables": {"t": {"columns": {"c": {"enabled": True}}}}}},
    }


def plan_step(action, risk):
    return {"index": 0, "action": action, "risk": risk, "writes": True}


def test_given_failed_verification_then_only_a_low_risk_rollback_runs_by_itself():
    ran, audited = [], []
    low = {"decision": {"path": "auto"}, "plan": {"rollback": [plan_step("resume", "low")]}}
    done = auto_rollback(low, ran.append, lambda kind, detail: audited.append(kind))
    assert [d["status"] for d in done] == ["done"] and [s.action for s in ran] == ["resume"]
    assert audited == ["rollback"]
    ran.clear(), audited.clear()
    high = {"decision": {"path": "approval"}, "plan": {"rollback": [plan_step("resync", "high")]}}
    assert auto_rollback(high, ran.append, lambda kind, detail: audited.append(kind)) == []
    assert ran == [] and audited == ["rollback_needs_approval"]
    monitor = {"decision": {"path": "monitor"}, "plan": {"rollback": [plan_step("resume", "low")]}}
    assert auto_rollback(monitor, ran.append, lambda *a: None) == [] and ran == []
