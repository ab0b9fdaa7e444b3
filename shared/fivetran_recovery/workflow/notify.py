"""The notify function's use cases, one per `kind` the state machine sends: monitor, approval_request,
approval_timeout, failure_branch, escalation, closed (the post-incident summary)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fivetran_recovery.approvals.service import ApprovalService
from fivetran_recovery.config import RecoveryConfig
from fivetran_recovery.models.workflow import PlanStep, run_key
from fivetran_recovery.notifiers.base import Notice
from fivetran_recovery.remediation.actions import ActionExecutor
from fivetran_recovery.workflow import notice_journal
from fivetran_recovery.workflow.summary import build_summary, summary_facts

if TYPE_CHECKING:
    from fivetran_recovery.audit import AuditLog
    from fivetran_recovery.notifiers import Dispatcher
    from fivetran_recovery.workflow.records import WorkflowRecords

logger = logging.getLogger(__name__)
ACTOR = "notify"
WAITING_FOR_HUMAN = ("waiting for the owner to act (the link was sent to them); the incident stays open and is "
                     "closed as recovered by the next successful sync")
CLOSED_BEFORE_DECISION = "Expired: the workflow ended before a decision reached it; nothing will run."
FINAL_STATUS = {
    "verified": "recovered",
    "monitored": "diagnosed",
    "done": "escalated",
    "rejected": "escalated",
    "approval_timed_out": "escalated",
    "verification_failed": "escalated",
    "error_escalated": "escalated",
    "blocked": "escalated",
}


@dataclass(kw_only=True)
class NotifyService:
    """Its collaborators are given by the composition root (`composition/notify.py`), never looked up; approval
    requests and their expiry go to the `approvals` use case it is given."""

    config: RecoveryConfig
    approvals: ApprovalService
    records: WorkflowRecords
    audit: AuditLog
    dispatcher: Dispatcher
    clock: Callable[[], datetime]
    audit_mirror: Callable[[list[Any]], int] | None = None  # the warehouse's copy of the audit trail

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        kind = event.get("kind")
        workflow = event.get("workflow")
        if not isinstance(workflow, dict) or "incident_id" not in workflow:
            raise ValueError("notify needs {kind, workflow} with the workflow state")
        match kind:
            case "approval_request":
                token = event.get("task_token")
                if not isinstance(token, str) or not token:
                    raise ValueError("approval_request needs the task token")
                return self.approvals.request(workflow, token)
            case "monitor":
                return self._monitor(workflow)
            case "approval_timeout":
                return self._timeout(workflow)
            case "failure_branch":
                return self._failure_branch(workflow)
            case "escalation":
                return self._escalation(workflow)
            case "closed":
                return self._closed(workflow)
        raise ValueError(f"unknown notify kind {kind!r}")

    def _notice(self, workflow: dict[str, Any], kind: str, title: str, summary: str = "", **extra: Any) -> Notice:
        policy = self.config.connection_policies.get(workflow["connection_id"])
        extra.setdefault("channel", policy.channel if policy else None)  # the connection's own channel, if set
        return Notice(
            kind=kind,  # type: ignore[arg-type]
            incident_id=workflow["incident_id"],
            connection_id=workflow["connection_id"],
            title=title,
            summary=summary or workflow["rca"]["summary"],
            rca=workflow["rca"],
            planned_actions=list(workflow.get("dry_run", [])),
            reasons=list(workflow["decision"].get("reasons", [])),
            **extra,
        )

    def _audit(self, workflow: dict[str, Any], kind: str, detail: dict[str, Any]) -> None:
        self.audit.append(
            chain_id=workflow["connection_id"],
            incident_id=workflow["incident_id"],
            kind=kind,
            actor=ACTOR,
            detail=detail,
        )

    def _send(self, workflow: dict[str, Any], purpose: str, notice: Notice) -> notice_journal.Sent:
        """Once per run (notice_journal.py): a retried invocation does not send it again."""
        return notice_journal.send_once(audit=self.audit, dispatcher=self.dispatcher, workflow=workflow,
                                        notice=notice, purpose=purpose, actor=ACTOR)

    def _monitor(self, workflow: dict[str, Any]) -> dict[str, Any]:
        blocked = workflow["decision"].get("blocked_by")
        title = f"Recommended fix: {workflow['playbook']['title']}"
        if blocked:
            title = f"Automation held back ({blocked.replace('_', ' ')}): {workflow['playbook']['title']}"
        sent = self._send(workflow, "monitor", self._notice(workflow, "monitor", title))
        if sent.replayed is not None:
            return {"channels": sent.replayed.get("channels", []), "errors": sent.replayed.get("channel_errors", {})}
        refs, errors = sent.refs, sent.errors
        self._audit(
            workflow,
            "recommendation",
            sent.record({
                "path": "monitor",
                "blocked_by": blocked,
                "recommended": workflow.get("dry_run", []),
                "channels": sorted(refs),
                "channel_errors": errors,
            }),
        )
        return {"channels": sorted(refs), "errors": errors}

    def _timeout(self, workflow: dict[str, Any]) -> dict[str, Any]:
        expired = self.approvals.expire_for(workflow)
        notice = self._notice(
            workflow,
            "escalation",
            "Approval timed out: nothing was changed",
            "Nobody decided on the planned fix in time. No action was taken; a human must look.",
        )
        sent = self._send(workflow, "approval_timeout", notice)
        if sent.replayed is not None:
            return {"expired": sent.replayed.get("approvals", []), "channels": sent.replayed.get("channels", [])}
        refs, errors = sent.refs, sent.errors
        self._audit(workflow, "approval_timed_out",
                    sent.record({"approvals": expired, "channels": sorted(refs), "channel_errors": errors}))
        return {"expired": expired, "channels": sorted(refs)}

    def _failure_branch(self, workflow: dict[str, Any]) -> dict[str, Any]:
        key = f"{run_key(workflow)}:failure_branch"  # once per run, as the other notices (notice_journal.py)
        mine = [r for r in self.audit.for_incident(workflow["incident_id"]) if r.detail.get("notice_key") == key]
        done = next((r for r in mine if r.kind == "failure_branch"), None)
        if done is not None:
            return {"ran": done.detail.get("ran", [])}
        if not mine:
            self._audit(workflow, notice_journal.INTENT, {"notice_key": key, "notice": "failure_branch",
                                                          "title": "the plan's on-failure steps"})
        dispatcher = notice_journal.KeyedDispatcher(self.dispatcher, key, retry=bool(mine))
        executor = ActionExecutor(fivetran=None, warehouse=None, dispatcher=dispatcher, clock=self.clock)
        results = []
        for raw in workflow["plan"].get("on_failure", []):
            step = PlanStep.model_validate(raw)
            if step.writes:  # the schema forbids it; never act here regardless
                continue
            result = executor.run(step, workflow, None)
            results.append({"action": step.action, "detail": result.detail})
        rollback = [f"{s['action']}: {s.get('description', '')}" for s in workflow["plan"].get("rollback", [])]
        self._audit(
            workflow,
            "failure_branch",
            {
                "verification": (workflow.get("verification") or {}).get("value"),
                "ran": results,
                "manual_rollback": rollback,
                "notice_key": key,
            },
        )
        return {"ran": results}

    def _escalation(self, workflow: dict[str, Any]) -> dict[str, Any]:
        error = workflow.get("error") or {}
        cause = plain_cause(error.get("Cause"))
        left = self._state_left(workflow)
        text = f"The recovery workflow stopped: {error.get('Error', 'error')}: {cause}. {left}"
        notice = self._notice(workflow, "escalation", "Recovery workflow escalated", text,
                              facts={"Cause": cause, "State left": left})
        sent = self._send(workflow, "escalation", notice)
        if sent.replayed is not None:
            return {"channels": sent.replayed.get("channels", [])}
        refs, errors = sent.refs, sent.errors
        self._audit(workflow, "escalation", sent.record(
            {"error": error.get("Error"), "cause": cause, "channels": sorted(refs), "channel_errors": errors}))
        return {"channels": sorted(refs)}

    def _state_left(self, workflow: dict[str, Any]) -> str:
        """What the failed plan left behind and what the human must do (a paused connection stays paused)."""
        records = self.audit.for_incident(workflow["incident_id"])
        toggles = [r.detail.get("action") for r in records
                   if r.kind == "action" and r.detail.get("action") in ("pause", "resume")]
        if toggles and toggles[-1] == "pause":
            return (f"The connection {workflow['connection_id']} stays paused (the plan paused it and did not get to "
                    "resume it): fix the cause, then resume it in Fivetran's dashboard.")
        return "No step left the connection changed; it runs as before the plan. Look at the cause, then retry."

    def _closed(self, workflow: dict[str, Any]) -> dict[str, Any]:
        outcome = str(workflow.get("outcome") or "done")
        begin = (workflow.get("begin") or {}).get("value") or {}
        last = (workflow.get("last_step") or {}).get("value") or {}
        reason = begin.get("reason") if begin.get("proceed") is False else last.get("detail")
        stopped = [r for r in self.audit.for_incident(workflow["incident_id"])
                   if r.kind == "workflow_stopped" and r.detail.get("run") == run_key(workflow)]
        if outcome == "blocked" and not stopped:  # once per run (a retried close finds it)
            self._audit(workflow, "workflow_stopped", {"reason": reason, "run": run_key(workflow)})
        now = self.clock()
        summary = build_summary(workflow, self.audit.for_incident(workflow["incident_id"]), outcome, now)
        if outcome == "blocked":
            summary["blocked_reason"] = reason
        # A fix that waits for a person (re-authorise) is not escalated when the wait outlasts verification: the
        # incident stays open and the next successful sync closes it as recovered. One story, not two.
        waiting = outcome == "verification_failed" and bool(
            ((workflow.get("plan") or {}).get("verification") or {}).get("wait_for_human"))
        if waiting:
            summary["outcome_text"] = WAITING_FOR_HUMAN
        self.records.write_summary(workflow["incident_id"], summary)
        notice = self._notice(
            workflow, "summary", f"Incident summary: {summary['outcome_text']}", facts=summary_facts(summary)
        )
        notice.planned_actions = [t["text"] for t in summary["timeline"]][-30:]
        sent = self._send(workflow, "closed", notice)
        # An approval still pending now waits for a workflow that has ended (e.g. its request's invocation died
        # after posting it): it expires, so a late click is told so instead of deciding nothing.
        expired = self.approvals.expire_for(workflow, CLOSED_BEFORE_DECISION) if self.approvals is not None else []
        if sent.replayed is None:
            self._audit(workflow, "summary", sent.record({
                "outcome": outcome,
                "time_to_recover_seconds": summary["time_to_recover_seconds"],
                "channels": sorted(sent.refs),
                "channel_errors": sent.errors,
                **({"approvals_expired": expired} if expired else {}),
            }))
        if workflow["decision"]["path"] != "monitor":
            self.records.release_lock(workflow["connection_id"], workflow["incident_id"])
        status = "remediating" if waiting else FINAL_STATUS.get(outcome, "escalated")
        if outcome != "verified":  # verify already moved a verified incident to recovered
            self.records.set_status(workflow["incident_id"], status, summary["outcome_text"])
        return {"outcome": outcome, "summary": summary, **self._mirror(workflow["incident_id"])}

    def _mirror(self, incident_id: str) -> dict[str, Any]:
        """The incident's records into the warehouse's audit table (idempotent; never fails the close)."""
        if self.audit_mirror is None:
            return {}
        try:
            return {"audit_mirrored": self.audit_mirror(list(self.audit.for_incident(incident_id)))}
        except Exception as exc:
            logger.warning("audit mirror failed", extra={"error": type(exc).__name__, "incident": incident_id})
            return {"audit_mirror_error": type(exc).__name__}


def plain_cause(cause: Any) -> str:
    """A Step Functions error cause as one human line: a Lambda error's type and message, never its stack trace."""
    text = str(cause or "")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(parsed, dict) and ("errorMessage" in parsed or "errorType" in parsed):
        kind, message = parsed.get("errorType") or "Error", str(parsed.get("errorMessage") or "")
        return f"{kind}: {message}"[:300]
    return text[:300]
