"""Actions proposed outside a playbook's plan become recovery workflows on the same rails as any other:
a recovery script (an operator's template request, an accepted LLM draft, the undo of an earlier action) or the
revert of a Fivetran change. The state machine's begin previews SQL, the approval shows the preview beside it,
remediate takes the backup, runs and checks it. These functions build the execution input; whoever starts
executions starts it."""

from __future__ import annotations

from typing import Any

from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from fivetran_recovery.models.workflow import PlannedCall, PlanStep
from fivetran_recovery.policy.dry_run import describe
from fivetran_recovery.recovery_sql.script import RecoveryScript

PLAYBOOK_ID = "recovery_sql_reviewed"
ROLLBACK_PLAYBOOK_ID = "rollback_reviewed"


def script_step(step: PlanStep, script: RecoveryScript) -> PlanStep:
    """`step` (a run_recovery_sql step) carrying `script`: its SQL as the calls, the script in the params."""
    params = {
        "template": script.template,
        "schema": script.target.schema,
        "table": script.target.table,
        "dialect": script.dialect,
        "draft": script.draft,
        "script": script.as_dict(),
    }
    calls = [PlannedCall(kind="sql", dialect=script.dialect, sql=sql) for sql in script.sql]
    label = "DRAFT (LLM), " if script.draft else ""
    return step.model_copy(
        update={"params": params, "calls": calls, "unresolved": None, "description": f"{label}{script.description}"}
    )


def reviewed_workflow(
    *,
    incident_id: str,
    connection_id: str,
    steps: list[PlanStep],
    reason: str,
    evidence: str,
    settings: Any,
    config: Any,
    registry: Any,
    playbook_id: str = PLAYBOOK_ID,
    connection: dict[str, Any] | None = None,
    mode: str = "recommend",
) -> dict[str, Any]:
    """The execution input of a workflow whose plan is exactly `steps` (always approval; never monitor-only)."""
    from fivetran_recovery.workflow.build import build_workflow_input

    diagnosis = Diagnosis(
        category="data_quality",
        pattern="operator_rollback" if playbook_id == ROLLBACK_PLAYBOOK_ID else "operator_recovery_sql",
        retryable=False,
        confidence=1.0,
        summary=reason[:300],
        evidence=[Evidence(source="operator", detail=evidence[:500])],
    )
    workflow = build_workflow_input(
        incident_id=incident_id,
        connection_id=connection_id,
        diagnosis=diagnosis,
        playbook=registry.get(playbook_id),
        mode=mode,
        criticality="normal",
        connection=connection,
        event={"event": "operator", "connector_id": connection_id},
        settings=settings,
        config=config,
    )
    gate = {"approval_required": True, "before_approval": False}
    planned = [s.model_copy(update={**gate, "index": i}) for i, s in enumerate(steps)]
    workflow["plan"]["steps"] = [s.model_dump(mode="json") for s in planned]
    workflow["plan"]["step_count"] = len(planned)
    workflow["decision"]["approval_step_index"] = 0
    workflow["dry_run"] = [describe(s) for s in planned]
    return workflow


def script_workflow(*, script: RecoveryScript, **kwargs: Any) -> dict[str, Any]:
    """A workflow whose one step runs `script`."""
    step = PlanStep(index=0, action="run_recovery_sql", risk="high", writes=True)
    evidence = f"{'DRAFT (LLM) ' if script.draft else ''}{script.template} on {script.target.name}"
    return reviewed_workflow(steps=[script_step(step, script)], evidence=evidence, **kwargs)
