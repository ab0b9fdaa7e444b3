"""The verify function's automatic rollback: a playbook's low-risk rollback steps, run through the same action
executor as remediate when the verification failed, each audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.remediation.actions import ActionExecutor, snapshot
from fivetran_recovery.remediation.rollback import auto_rollback

ACTOR = "verify"


def rollback_runner(*, fivetran: Any, audit: Any, clock: Callable[[], datetime]) -> Callable[[dict], list[dict]]:
    """`run(workflow)`: the playbook's rollback when it is low risk (see rollback.auto_rollback)."""

    def run(workflow: dict[str, Any]) -> list[dict[str, Any]]:
        executor = ActionExecutor(fivetran=fivetran, warehouse=None, dispatcher=None, clock=clock)
        cid = workflow["connection_id"]

        def record(kind: str, detail: dict[str, Any]) -> None:
            audit.append(chain_id=cid, incident_id=workflow["incident_id"], kind=kind, actor=ACTOR, detail=detail)

        def step(planned: PlanStep) -> str:
            before = fivetran.get_connection(cid)
            result = executor.run(planned, workflow, before)
            record("action", {"step": f"rollback-{planned.index}", "action": planned.action, "rollback": True,
                              "calls": [c.model_dump() for c in planned.calls], "before": snapshot(before),
                              "after": snapshot(fivetran.get_connection(cid)), "result": result.as_dict()})
            return result.detail

        return auto_rollback(workflow, step, record)

    return run
