"""A recovery script proposed outside a playbook's plan (an operator's template request, an accepted LLM draft,
the undo of an earlier action) becomes a recovery workflow on the same rails as any other: the state machine's
begin previews it, the approval shows the preview beside the SQL, remediate takes the backup, runs it and checks
it. `script_workflow` builds that workflow's input; whoever starts executions starts it."""

from __future__ import annotations

from typing import Any

from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from fivetran_recovery.models.workflow import PlannedCall, PlanStep
from fivetran_recovery.policy.dry_run import describe
from fivetran_recovery.recovery_sql.script import RecoveryScript

PLAYBOOK_ID = "recovery_sql_reviewed"


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


def script_workflow(
    *,
    incident_id: str,
    connection_id: str,
    script: RecoveryScript,
    reason: str,
    settings: Any,
    config: Any,
    registry: Any,
    connection: dict[str, Any] | None = None,
    mode: str = "recommend",
) -> dict[str, Any]:
    """The execution input of a workflow whose one step is `script` (always approval; never monitor-only)."""
    from fivetran_recovery.workflow.build import build_workflow_input

    diagnosis = Diagnosis(
        category="data_quality",
        pattern="operator_recovery_sql",
        retryable=False,
        confidence=1.0,
        summary=reason[:300],
        evidence=[Evidence(source="recovery_sql", detail=f"{script.template} on {script.target.name}")],
    )
    workflow = build_workflow_input(
        incident_id=incident_id,
        connection_id=connection_id,
        diagnosis=diagnosis,
        playbook=registry.get(PLAYBOOK_ID),
        mode=mode,
        criticality="normal",
        connection=connection,
        event={"event": "recovery_sql", "connector_id": connection_id},
        settings=settings,
        config=config,
    )
    step = script_step(PlanStep.model_validate(workflow["plan"]["steps"][0]), script)
    workflow["plan"]["steps"][0] = step.model_dump(mode="json")
    workflow["dry_run"] = [describe(step)]
    return workflow
