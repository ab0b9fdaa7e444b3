"""The verify function's automatic rollback: a playbook's low-risk rollback steps, run through the same action
executor as remediate when the verification failed, each audited.

Written ahead like remediate's steps (journal.py): an `action_intent` (idempotency key = the run and the rollback
step) before each call, then its `action`. A retried verify (after a crash) skips a step whose `action` is on
record, reads Fivetran's state back for one with only an intent (applied: recorded `verified_applied`, never
repeated; not applied, or harmless to repeat: run; unknown: `action_unknown`, left to a person), and returns the
run's `rollback` record when the whole rollback is on record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fivetran_recovery.models.workflow import PlanStep, run_key
from fivetran_recovery.remediation import reconcile
from fivetran_recovery.remediation.actions import ActionExecutor, is_repeatable, snapshot
from fivetran_recovery.remediation.rollback import auto_rollback

ACTOR = "verify"


class RollbackOutcomeUnknown(RuntimeError):
    """A rollback call may or may not have happened and repeating it is not harmless: a person checks."""


def rollback_runner(*, fivetran: Any, audit: Any, clock: Callable[[], datetime]) -> Callable[[dict], list[dict]]:
    """`run(workflow)`: the playbook's rollback when it is low risk (see rollback.auto_rollback)."""

    def run(workflow: dict[str, Any]) -> list[dict[str, Any]]:
        executor = ActionExecutor(fivetran=fivetran, warehouse=None, dispatcher=None, clock=clock)
        cid, incident_id = workflow["connection_id"], workflow["incident_id"]
        run_id = run_key(workflow)
        finished = next((r for r in audit.for_incident(incident_id)
                         if r.kind == "rollback" and r.detail.get("run") == run_id), None)
        if finished is not None:
            return list(finished.detail.get("steps") or [])

        def record(kind: str, detail: dict[str, Any]) -> None:
            audit.append(chain_id=cid, incident_id=incident_id, kind=kind, actor=ACTOR, detail=detail)

        def step(planned: PlanStep) -> str:
            key = f"{run_id}:rollback-{planned.index}"
            head = {"step": f"rollback-{planned.index}", "action": planned.action, "rollback": True,
                    "calls": [c.model_dump() for c in planned.calls], "idempotency_key": key}
            mine = [r for r in audit.for_incident(incident_id) if r.detail.get("idempotency_key") == key]
            done = next((r for r in mine if r.kind == "action"), None)
            if done is not None:
                return str((done.detail.get("result") or {}).get("detail") or "done")
            intents = [r for r in mine if r.kind == "action_intent"]
            if intents:  # an earlier invocation stopped after its intent: did the call happen?
                earlier = intents[-1].detail.get("before") or {}
                verdict = reconcile.read_back(planned, cid, fivetran, earlier)
                if verdict.outcome == reconcile.APPLIED:
                    record("action", {**head, "before": earlier, "after": verdict.state, "outcome": "verified_applied",
                                      "evidence": verdict.evidence, "result": {"detail": verdict.evidence}})
                    return verdict.evidence
                if verdict.outcome == reconcile.UNKNOWN and not is_repeatable(planned):
                    record("action_unknown", {**head, "outcome": "unknown", "evidence": verdict.evidence})
                    raise RollbackOutcomeUnknown(f"{planned.action}: {verdict.evidence}")
            before = fivetran.get_connection(cid)
            record("action_intent", {**head, "before": snapshot(before), "outcome": "intended",
                                     "attempt": len(intents) + 1})
            result = executor.run(planned, workflow, before)
            record("action", {**head, "before": snapshot(before), "after": snapshot(fivetran.get_connection(cid)),
                              "result": result.as_dict(), "outcome": "applied", "attempt": len(intents) + 1})
            return result.detail

        return auto_rollback(workflow, step, lambda kind, detail: record(kind, {**detail, "run": run_id}))

    return run
