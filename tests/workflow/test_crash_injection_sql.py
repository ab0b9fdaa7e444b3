"""Crash injection for recovery SQL (issue 13): a dedup script killed at each point between its side effects
(before and after its intent, after the backup, after the statements, after the call, after the ledger, after
the outcome record) and a warehouse error before and after it ran; the step is then invoked again as the state
machine would. The outcome is read from the warehouse (recovery_sql.execution.landed: is the step's backup
there, do the script's checks hold against the counts the backup gives?). Checked: the dedup ran once (its
checks hold, one backup holding the rows from before), recorded applied exactly once with the way back,
"not applied" only when the change had not landed, the chain verifies."""

from __future__ import annotations

import pytest
from crash_points import (
    KILLS,
    REPEAT,
    Clock,
    Killed,
    check_trail,
    inject,
    run_until_settled,
    sample,
    with_clock,
)
from test_remediation import at_step, workflow_for

from fivetran_recovery.composition.remediate import remediation_service
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.recovery_sql import TableRef, WarehouseError
from fivetran_recovery.recovery_sql.library import build
from fivetran_recovery.remediation.ledger import step_key
from fivetran_recovery.workflow.sql_proposal import script_step
from local.warehouse import EmbeddedWarehouse

SCHEMA, TABLE = "postgres_prod_public", "orders"
DUPLICATES = Diagnosis(category="data_quality", pattern="duplicate_primary_key", retryable=False, confidence=0.9)
WAREHOUSE_POINTS = ["after_backup", "after_statements", "error_before_running", "error_after_running"]
NOT_LANDED = ("after_intent", "after_backup", "error_before_running")  # the change had not happened


@pytest.fixture
def sql_step(harness):
    warehouse = EmbeddedWarehouse()
    warehouse.create_from_schema_config(harness.sim.source_schema_config("vivid_lantern"))
    warehouse.seed_duplicates(SCHEMA, TABLE, keys=3, copies=2)  # 6 rows, 3 of them extra
    harness.adapters.override(warehouse=warehouse.adapter())
    harness.adapters.config = harness.adapters.config.model_copy(update={"warehouse_dialect": "duckdb"})
    workflow = workflow_for(harness, playbook="duplicate_keys_recovery_sql", mode="recommend",
                            connection="vivid_lantern", diagnosis=DUPLICATES)
    script = build("dedup_latest", "duckdb", TableRef(SCHEMA, TABLE), {"keys": ["id"]}, "inc-1:0")
    workflow["plan"]["steps"][0] = script_step(PlanStep.model_validate(workflow["plan"]["steps"][0]),
                                               script).model_dump(mode="json")
    approval = harness.adapters.approvals.create(
        incident_id="inc-1", connection_id="vivid_lantern", task_token="tok", timeout_seconds=600,
        playbook_id="duplicate_keys_recovery_sql", planned_actions=[], rca={}, reasons=[])
    harness.adapters.approvals.decide(approval["approval_id"], decision="approved", approver="ana", source="api",
                                      comment="")
    remediation_service(harness.adapters).begin(workflow)
    yield warehouse, at_step(workflow, 0, approval={"approval_id": approval["approval_id"], "status": "approved"})
    warehouse.close()


def _warehouse_fault(point: str, monkeypatch, adapter) -> None:
    """Kill or fail the warehouse's side of the script: its first execute is the backup, the second the rest."""
    real, calls = adapter.execute, []

    def execute(statements):
        calls.append(len(statements))
        if point == "error_before_running" and len(calls) == 1:
            raise WarehouseError("connection reset before the statements were sent")
        real(statements)
        if point == "after_backup" and len(calls) == 1:
            raise Killed(point)
        if point in ("after_statements", "error_after_running") and len(calls) == 2:
            if point == "after_statements":
                raise Killed(point)
            raise WarehouseError("connection reset after the commit")

    monkeypatch.setattr(adapter, "execute", execute)


@pytest.mark.parametrize("run", range(REPEAT))
@pytest.mark.parametrize("point", sample(KILLS + WAREHOUSE_POINTS,
                                         ["after_backup", "after_statements", "error_after_running"]))
def test_given_recovery_sql_killed_or_failed_at_each_point_then_it_runs_once_and_the_trail_is_true(
        harness, sql_step, monkeypatch, point, run):
    warehouse, workflow = sql_step
    clock = Clock()
    service = with_clock(remediation_service(harness.adapters), clock)
    if point in WAREHOUSE_POINTS:
        _warehouse_fault(point, monkeypatch, harness.adapters.warehouse)
    else:
        inject(point, monkeypatch, harness.adapters.audit)
    result = run_until_settled(service, workflow, clock)
    assert result["status"] == "done", result
    assert warehouse.duplicate_keys(SCHEMA, TABLE) == 0 and len(warehouse.rows(SCHEMA, TABLE)) == 3  # ran, once
    backups = [t for (t,) in warehouse.adapter().rows(
        f"SELECT table_name FROM information_schema.tables WHERE table_name LIKE '{TABLE}__bak_%'")]
    assert len(backups) == 1 and len(warehouse.rows(SCHEMA, backups[0])) == 6, backups  # the rows from before
    trail = check_trail(harness.adapters.audit, "inc-1", step_key("inc-1", 0), "vivid_lantern")
    assert trail["applied"] == 1 and trail["chain_ok"], trail  # recorded applied exactly once
    assert ("verified_not_applied" in trail["failed_as"]) is (point in NOT_LANDED), trail
    assert "unknown" not in trail["failed_as"], trail
    applied = next(r for r in harness.adapters.audit.for_incident("inc-1")
                   if r.kind == "action" and r.detail.get("outcome") in ("applied", "verified_applied"))
    assert applied.detail["result"]["response"]["undo"], applied.detail  # the way back is on record
