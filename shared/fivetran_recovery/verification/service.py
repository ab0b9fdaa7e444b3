"""Verify: did the next sync after the remediation succeed, is the connection healthy and the data fresh again?

Called by the state machine after each wait; returns pending until the evidence is in or the attempts run out.
A definitive result (verified or failed) is audited and counted in the playbook's track record. The verdict's
record comes first; a retried invocation (after a crash) finds it and only completes what follows it (the count,
autonomy, the status, the rollback), each of which happens once however often it is redone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fivetran_recovery.models.workflow import run_key
from fivetran_recovery.policy.human import parse_time
from fivetran_recovery.recovery_sql import TableRef

if TYPE_CHECKING:
    from fivetran_recovery.audit import AuditLog, AuditRecord
    from fivetran_recovery.fivetran import FivetranClient
    from fivetran_recovery.recovery_sql import Warehouse
    from fivetran_recovery.workflow.records import WorkflowRecords

ACTOR = "verify"


def baseline(trail: Iterable[AuditRecord]) -> dict[str, Any]:
    """The connection's sync timestamps as last seen by remediate (after its last action, or before a wait), from
    the incident's audit trail.

    Verification compares Fivetran's timestamps with Fivetran's timestamps only, so it never depends on our
    clock agreeing with Fivetran's.
    """
    records = [
        r
        for r in trail
        if r.kind in ("action", "action_skipped") and (r.detail.get("after") or r.detail.get("before"))
    ]
    if not records:
        return {}
    last = records[-1].detail
    return last.get("after") or last.get("before") or {}


def recorded_verdict(trail: Iterable[AuditRecord], workflow: dict[str, Any]) -> dict[str, Any] | None:
    """This run's verdict, when an earlier invocation recorded it."""
    key = run_key(workflow)
    return next((dict(r.detail) for r in trail if r.kind == "verification" and r.detail.get("run") == key), None)


def _newer(value: datetime | None, than: datetime | None) -> bool:
    return value is not None and (than is None or value > than)


def evaluate(connection: Any, *, since: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The checks, each True/False, and the verdict: verified | failed | pending.

    `since` is the baseline snapshot: a sync finished after the remediation when succeeded_at or failed_at moved
    past the baseline's.
    """
    status = connection.status
    base_ok, base_failed = parse_time(since.get("succeeded_at")), parse_time(since.get("failed_at"))
    succeeded = _newer(connection.succeeded_at, base_ok)
    failed_after = _newer(connection.failed_at, base_failed) and (
        connection.succeeded_at is None or connection.failed_at > connection.succeeded_at
    )
    checks = {
        "sync_succeeded_after_remediation": succeeded,
        "no_failure_after_remediation": not failed_after,
        "not_paused": not connection.paused and status.sync_state != "paused",
        "setup_connected": status.setup_state == "connected" or not plan.get("require_connected", True),
        "fresh": status.update_state != "delayed",
    }
    if all(checks.values()):
        verdict = "verified"
    elif failed_after and not plan.get("wait_for_human"):
        verdict = "failed"
    else:
        verdict = "pending"
    return {"verdict": verdict, "checks": checks}


@dataclass(kw_only=True)
class VerificationService:
    """Its collaborators are given by the composition root (`composition/verify.py`), never looked up."""

    audit: AuditLog
    records: WorkflowRecords
    fivetran: FivetranClient
    warehouse: Warehouse | None
    rollback: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None  # low-risk rollback on failure
    autonomy: Any = None  # EarnedAutonomy: a verified or failed run moves its playbook on the ladder

    def verify(self, workflow: dict[str, Any], *, attempt: int, max_attempts: int) -> dict[str, Any]:
        trail = list(self.audit.for_incident(workflow["incident_id"]))
        earlier = recorded_verdict(trail, workflow)
        if earlier is not None:  # a retried invocation after the verdict was recorded: finish it, never re-decide
            return self._after_verdict(workflow, earlier)
        attempt = int(attempt) + 1
        plan = workflow["plan"]["verification"]
        connection = self.fivetran.get_connection(workflow["connection_id"])
        since = baseline(trail)
        result = evaluate(connection, since=since, plan=plan)
        if plan.get("kind") == "sql_check" and result["verdict"] == "verified":
            remaining = self._duplicates_left(workflow)
            result["checks"]["no_duplicate_keys"] = remaining == 0
            if remaining:
                result["verdict"] = "pending"
        status = result["verdict"]
        if status == "pending" and attempt >= int(max_attempts):
            status = "failed"
        answer = {
            "status": status,
            "attempt": attempt,
            "checks": result["checks"],
            "baseline_succeeded_at": since.get("succeeded_at"),
            "succeeded_at": connection.succeeded_at.isoformat() if connection.succeeded_at else None,
        }
        if status == "pending":
            return answer
        answer["run"] = run_key(workflow)
        self._append(workflow, "verification", answer)  # the verdict first: everything after it can be redone
        return self._after_verdict(workflow, answer)

    def _after_verdict(self, workflow: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        """What follows a recorded verdict, each part once however often the invocation is retried."""
        verified = answer["status"] == "verified"
        outcome = "verified" if verified else "failed"
        playbook = workflow["playbook"]
        self.records.record_outcome(playbook["id"], int(playbook["version"]), outcome, once_for=answer["run"])
        wrote = workflow["decision"]["path"] != "monitor" and any(s["writes"] for s in workflow["plan"]["steps"])
        if self.autonomy is not None and wrote:  # a run that changed something (counted once per incident)
            self.autonomy.record(playbook["id"], outcome, incident_id=workflow["incident_id"],
                                 connection_id=workflow["connection_id"])
        note = "recovery verified" if verified else f"verification failed after {answer['attempt']} checks"
        self.records.set_status(workflow["incident_id"], "recovered" if verified else "escalated", note)
        if not verified and self.rollback is not None:
            answer = {**answer, "rollback": self.rollback(workflow)}
        return answer

    def _duplicates_left(self, workflow: dict[str, Any]) -> int:
        from fivetran_recovery.recovery_sql.templates import duplicate_groups_sql  # sqlglot: not at cold start

        warehouse = self.warehouse
        dedup = ("dedup_primary_key", "dedup_latest")
        steps = workflow["plan"]["steps"]
        sql_steps = [s for s in steps if s["action"] == "run_recovery_sql" and s["params"].get("template") in dedup]
        if warehouse is None or not sql_steps:
            return 0
        p = sql_steps[0]["params"]
        return int(
            warehouse.scalar(duplicate_groups_sql(warehouse.dialect, TableRef(p["schema"], p["table"]), p["keys"])) or 0
        )

    def _append(self, workflow: dict[str, Any], kind: str, detail: dict[str, Any]) -> None:
        self.audit.append(chain_id=workflow["connection_id"], incident_id=workflow["incident_id"], kind=kind,
                          actor=ACTOR, detail=detail)

