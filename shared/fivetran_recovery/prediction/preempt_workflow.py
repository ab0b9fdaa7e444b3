"""A preemptive plan's steps, rendered like a recovery's, and the ones that wait for a human as a recovery workflow.

A step the policy gate holds for approval becomes a real pending approval (approvals/, shown by the console, the
API and the CLI, scoped to the owning team like an incident's). No workflow waits on it: approving starts the
recovery state machine with exactly these steps (remediate checks the stored approval, runs each step once through
its ledger, written ahead to the audit trail; verify checks the next sync and moves the playbook on the earned
autonomy ladder). The approval expires when the prediction's window ends, i.e. when it is settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fivetran_recovery.models.workflow import (
    EventRef,
    Plan,
    PlanStep,
    PlaybookRef,
    PolicyDecision,
    Rca,
    VerificationPlan,
    WorkflowInput,
)
from fivetran_recovery.playbooks.schema import Playbook, Step
from fivetran_recovery.policy.dry_run import describe, render_step
from fivetran_recovery.workflow.context import PlanContext

CATEGORY = {"quota": "source_api_limit", "credential": "credential", "destination": "destination",
            "growth": "destination", "slowdown": "destination"}  # the failure each prediction is of


def _mapping(connection: Any) -> dict[str, Any] | None:
    if connection is None:
        return None
    return connection.model_dump(mode="json") if hasattr(connection, "model_dump") else dict(connection)


def render(steps: Sequence[Step], connection_id: str, connection: Any) -> list[PlanStep]:
    """The steps with their parameters resolved for this connection (a frequency, not a factor) and the exact
    calls they will make, as a recovery plan renders them."""
    context = PlanContext(connection_id=connection_id, connection=_mapping(connection))
    rendered = []
    for index, step in enumerate(steps):
        planned = render_step(step, index, context)
        rendered.append(planned if planned.description else planned.model_copy(
            update={"description": step.action.value}))
    return rendered


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def preemptive_workflow(*, record_id: str, connection_id: str, kind: str, risk: float, reasons: list[str],
                        playbook: Playbook, decision: PolicyDecision, steps: list[PlanStep], connection: Any,
                        now: datetime, approval_seconds: int) -> dict[str, Any]:
    """The execution input of the workflow approving starts: only the steps that wait for approval (the others
    already ran), re-numbered from 0, each still gated so remediate asks for the stored approval."""
    gated = [s.model_copy(update={"index": i, "approval_required": True})
             for i, s in enumerate(s for s in steps if s.approval_required)]
    verification = playbook.verification
    workflow = WorkflowInput(
        incident_id=record_id, connection_id=connection_id, detected_at=_iso(now), started_at=_iso(now),
        playbook=PlaybookRef(id=playbook.id, version=playbook.version, title=playbook.title,
                             risk=playbook.risk.value, requires_approval=playbook.requires_approval),
        rca=Rca(category=CATEGORY.get(kind, "unknown"), pattern=f"predicted_{kind}", confidence=risk,
                retryable=True, summary=f"predicted {kind} failure: " + "; ".join(reasons)[:400],
                evidence=[{"source": "prediction", "detail": r[:500]} for r in reasons[:10]], analyzer="prediction"),
        event=EventRef(event="prediction"),
        decision=decision.model_copy(update={"approval_step_index": 0}),
        plan=Plan(steps=gated, step_count=len(gated),
                  on_failure=render(playbook.on_failure, connection_id, connection),
                  verification=VerificationPlan(enabled=verification.kind != "none" and bool(gated),
                                                kind=verification.kind,
                                                require_connected=verification.require_connected,
                                                wait_for_human=verification.wait_for_human)),
        dry_run=[describe(s) for s in gated],
    ).model_dump(mode="json")
    workflow["config"] = {"approval_timeout_seconds": max(60, approval_seconds)}  # until the prediction settles
    return workflow
