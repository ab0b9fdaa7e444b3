"""Remediate: `begin` (lock the connection, re-check preconditions) and `step` (one playbook step, exactly once,
only if the policy allows it, with an audit record holding the connection's state before and after)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fivetran_recovery.config import RecoveryConfig
from fivetran_recovery.fivetran import FivetranError, NotFoundError
from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.playbooks.schema import Action, Precondition
from fivetran_recovery.policy.dry_run import resolve_step
from fivetran_recovery.policy.human import parse_time, recent_human_change
from fivetran_recovery.recovery_sql.execution import plan_previews, sql_intent
from fivetran_recovery.redaction import clip
from fivetran_recovery.remediation.actions import (
    ActionExecutor,
    StepResult,
    condition_holds,
    is_repeatable,
    snapshot,
)
from fivetran_recovery.remediation.journal import Journal, own_writes
from fivetran_recovery.remediation.ledger import StepLedger, step_key
from fivetran_recovery.remediation.sql_probe import probe_unresolved, probed_step, with_probed
from fivetran_recovery.settings import Settings
from fivetran_recovery.stores.base import HistoryStore

if TYPE_CHECKING:
    from fivetran_recovery.approvals.store import ApprovalStore
    from fivetran_recovery.audit import AuditLog
    from fivetran_recovery.fivetran import FivetranClient
    from fivetran_recovery.notifiers import Dispatcher
    from fivetran_recovery.playbooks.registry import Registry
    from fivetran_recovery.recovery_sql import Warehouse
    from fivetran_recovery.workflow.records import WorkflowRecords

logger = logging.getLogger(__name__)
ACTOR = "remediate"


class PolicyViolation(RuntimeError):
    """The workflow asked for a write the policy does not allow (never acted on)."""


class StepUnresolved(RuntimeError):
    """The step could not be fully planned; it needs a human, not a guess."""


@dataclass(kw_only=True)
class RemediationService:
    """Its collaborators are given by the composition root (`composition/remediate.py`), never looked up."""

    settings: Settings
    config: RecoveryConfig
    records: WorkflowRecords
    audit: AuditLog
    approvals: ApprovalStore
    ledger: StepLedger
    fivetran: FivetranClient
    history: HistoryStore
    registry: Registry
    warehouse: Warehouse | None
    dispatcher: Dispatcher
    clock: Callable[[], datetime]

    # -- begin ---------------------------------------------------------------------------------------------
    def begin(self, workflow: dict[str, Any]) -> dict[str, Any]:
        incident, cid = workflow["incident_id"], workflow["connection_id"]
        ttl = self.settings.approval_timeout_seconds + 6 * 3600
        acquired, holder = self.records.acquire_lock(cid, incident, max(ttl, self.config.lock_ttl_seconds))
        if not acquired:
            return self._stop(
                workflow, f"another recovery workflow ({holder}) is running for this connection", lock_held_by=holder
            )
        reason = self._precondition_failure(workflow)
        if reason:
            return self._stop(workflow, reason)
        probed = probe_unresolved(workflow, lambda: self.warehouse, self.fivetran)  # duplicates: ask the destination
        previews = plan_previews(with_probed(workflow, probed), lambda: self.warehouse)  # SQL dry run before approval
        self.audit.append(
            chain_id=cid,
            incident_id=incident,
            kind="workflow_started",
            actor=ACTOR,
            detail={
                "path": workflow["decision"]["path"],
                "decision": workflow["decision"],
                "playbook": workflow["playbook"],
                "steps": workflow["dry_run"],
                **({"sql_preview": previews} if previews else {}),
                **({"probed_steps": sorted(probed)} if probed else {}),
            },
        )
        status = "awaiting_approval" if workflow["decision"]["path"] == "approval" else "remediating"
        self.records.set_status(incident, status, f"recovery workflow started ({workflow['playbook']['id']})")
        return {"proceed": True, **({"sql_preview": previews} if previews else {}),
                **({"resolved_steps": probed} if probed else {})}

    def _stop(self, workflow: dict[str, Any], reason: str, **extra: Any) -> dict[str, Any]:
        self.audit.append(
            chain_id=workflow["connection_id"],
            incident_id=workflow["incident_id"],
            kind="workflow_blocked",
            actor=ACTOR,
            detail={"reason": reason, **extra},
        )
        return {"proceed": False, "reason": reason, **extra}

    def _playbook_preconditions(self, workflow: dict[str, Any]) -> set[str]:
        try:
            playbook = self.registry.get(workflow["playbook"]["id"])
        except KeyError:
            return {p.value for p in Precondition}
        return {p.value for p in playbook.preconditions}

    def _precondition_failure(self, workflow: dict[str, Any], *, we_paused: bool = False) -> str | None:
        wanted = self._playbook_preconditions(workflow)
        if not wanted:
            return None
        try:
            connection = self.fivetran.get_connection(workflow["connection_id"])
        except NotFoundError:
            return "the connection does not exist any more"
        if Precondition.SETUP_NOT_INCOMPLETE.value in wanted and connection.status.setup_state == "incomplete":
            return "setup is incomplete: a genuine misconfiguration that automation must not paper over"
        human = self._human_change(workflow, connection, we_paused=we_paused)
        if human and wanted & {Precondition.NOT_PAUSED_BY_HUMAN.value, Precondition.NO_RECENT_HUMAN_EDIT.value}:
            return human
        return None

    def _human_change(self, workflow: dict[str, Any], connection: Any, *, we_paused: bool) -> str | None:
        now = self.clock()
        started = parse_time(workflow.get("started_at")) or now
        # Any change since the workflow began counts (an approval may wait for hours), and at least the window.
        window = max(timedelta(minutes=self.config.human_change_window_minutes), now - started)
        try:
            records = self.history.recent(workflow["connection_id"], limit=50, since=now - window)
        except Exception as exc:  # history is a hint; its absence must not block nor crash the workflow
            logger.warning("history unavailable", extra={"error": type(exc).__name__})
            records = []
        events = [{"event": r.event, "created": r.at.isoformat()} for r in records]
        recent = [r for r in self.audit.recent(workflow["connection_id"], limit=100)
                  if (parse_time(r.recorded_at) or now) >= now - window]
        own = own_writes(recent)
        state = {"paused": connection.paused}
        return recent_human_change(state, events, now=now, window=window, own_actions=own, we_paused=we_paused)

    # -- step ----------------------------------------------------------------------------------------------
    def step(self, workflow: dict[str, Any]) -> dict[str, Any]:
        """One playbook step, exactly once. A Fivetran write is written ahead (intent, then the call, then the
        outcome); after an error that may have acted, or an earlier invocation's crash, Fivetran's state is read
        back before anything is repeated (journal.py)."""
        index = int(workflow["cursor"]["index"])
        step = PlanStep.model_validate(workflow["plan"]["steps"][index])
        approval = self._check_policy(workflow, step)
        if step.unresolved:
            resolved = probed_step(workflow, index) or resolve_step(
                step, workflow["connection_id"], (approval or {}).get("resolution"))
            if resolved is None:
                raise StepUnresolved(f"step {step.index} ({step.action}) is unresolved: {step.unresolved}")
            step = resolved  # completed by the approver's recorded resolution
        key = step_key(workflow["incident_id"], index)
        journal = self._journal(workflow, step, key)
        claim = self.ledger.acquire(key)
        if claim.state == "completed":
            logger.info(
                "step already done; not acting again", extra={"step": index, "incident": workflow["incident_id"]}
            )
            journal.ensure_outcome(claim.result or {})
            return {**(claim.result or {}), "index": index, "replayed": True}
        if claim.state == "stale":  # an earlier invocation claimed it and died: what did it do?
            settled = journal.settle_stale(claim, repeatable=is_repeatable(step))
            if settled is not None:
                return {**settled.as_dict(), "index": index, "action": step.action}
        try:
            result = self._act(workflow, step, approval, key, journal)
        except Exception as exc:
            if self.ledger.is_complete(key):  # it acted and is recorded; a later write failed
                self._audit_failure(workflow, step, exc)
                raise
            settled = journal.after_error(exc, repeatable=is_repeatable(step)) if journal.intended else None
            if settled is None:  # failed before acting, or Fivetran refused: nothing happened, a retry may act
                self.ledger.release(key)
                self._audit_failure(workflow, step, exc)
                raise
            result = settled
        if result.status != "done":  # blocked or skipped: record the outcome so a retry does not re-decide
            self.ledger.complete(key, {**result.as_dict(), "index": index, "action": step.action})
        return {**result.as_dict(), "index": index, "action": step.action}

    def _journal(self, workflow: dict[str, Any], step: PlanStep, key: str) -> Journal:
        return Journal(workflow=workflow, step=step, key=key, audit=self.audit, ledger=self.ledger,
                       fivetran=self.fivetran, actor=ACTOR, warehouse=self.warehouse)

    def _check_policy(self, workflow: dict[str, Any], step: PlanStep) -> dict[str, Any] | None:
        """Refuse any write the decision does not allow; for gated steps, the stored approval must agree."""
        if not step.writes:
            return None
        decision = workflow["decision"]
        if decision["path"] == "monitor":
            raise PolicyViolation("monitor path: write steps never run")
        if not step.approval_required and not step.unresolved:
            return None
        approval = workflow.get("approval") or {}
        approval_id = approval.get("approval_id")
        stored = self.approvals.get(approval_id) if approval_id else None
        if stored is None or stored.get("status") != "approved" or stored.get("incident_id") != workflow["incident_id"]:
            raise PolicyViolation(f"step {step.index} ({step.action}) needs an approval that is not on record")
        return stored

    def _act(self, workflow: dict[str, Any], step: PlanStep, approval: dict[str, Any] | None, key: str,
             journal: Journal) -> StepResult:
        action = Action(step.action)
        fivetran_write = step.writes and action is not Action.RUN_RECOVERY_SQL
        needs_state = fivetran_write or step.when != "always" or action is Action.WAIT
        connection = self.fivetran.get_connection(workflow["connection_id"]) if needs_state else None
        if fivetran_write:
            we_paused = self._we_paused(workflow, step.index)
            human = self._human_change(workflow, connection, we_paused=we_paused)
            if human and self._playbook_preconditions(workflow) & {
                Precondition.NOT_PAUSED_BY_HUMAN.value,
                Precondition.NO_RECENT_HUMAN_EDIT.value,
            }:
                self._audit(workflow, step, "action_blocked", {"reason": human, "before": snapshot(connection)})
                return StepResult("blocked", human)
        previous = self._previous_result(workflow, step.index)
        holds, why = condition_holds(step.when, connection, previous)
        if not holds:
            self._audit(workflow, step, "action_skipped", {"reason": why, "before": snapshot(connection)})
            return StepResult("skipped", f"condition {step.when} not met: {why}")
        executor = ActionExecutor(
            fivetran=self.fivetran,
            warehouse=self.warehouse,
            dispatcher=self.dispatcher,
            clock=self.clock,
            wait_scale=self.config.step_wait_scale,
        )
        if fivetran_write:
            journal.intend(snapshot(connection))  # before the call: what we are about to do, and the state
        elif action is Action.RUN_RECOVERY_SQL:
            journal.intend(sql_intent(step.params))  # a warehouse write is written ahead the same way
        result = executor.run(step, workflow, connection)
        # From here on the action has happened: nothing below may let a retry act again.
        self.ledger.complete(key, {**result.as_dict(), "index": step.index, "action": step.action})
        try:
            after = snapshot(self.fivetran.get_connection(workflow["connection_id"])) if fivetran_write else {}
        except FivetranError as exc:
            after = {"unavailable": type(exc).__name__}
        self._audit(
            workflow,
            step,
            "action",
            {
                "before": snapshot(connection),
                "after": after,
                "result": {k: v for k, v in result.as_dict().items() if k != "response"}
                | {"response": result.response},
                "approval_id": (approval or {}).get("approval_id"),
                "approved_by": (approval or {}).get("decided_by"),
                **journal.outcome_fields("applied"),
            },
        )
        return result

    def _we_paused(self, workflow: dict[str, Any], index: int) -> bool:
        """Did an earlier step of this plan pause the connection (and no later one resume it)?"""
        paused = False
        for earlier in workflow["plan"]["steps"][:index]:
            if earlier["action"] == "pause":
                paused = True
            elif earlier["action"] == "resume":
                paused = False
        return paused

    def _previous_result(self, workflow: dict[str, Any], index: int) -> dict[str, Any] | None:
        if index == 0:
            return None
        last = (workflow.get("last_step") or {}).get("value") or {}
        return last.get("response") if last.get("index") == index - 1 else None

    def _audit(self, workflow: dict[str, Any], step: PlanStep, kind: str, detail: dict[str, Any]) -> None:
        self.audit.append(
            chain_id=workflow["connection_id"],
            incident_id=workflow["incident_id"],
            kind=kind,
            actor=ACTOR,
            detail={"step": step.index, "action": step.action, "calls": [c.model_dump() for c in step.calls], **detail},
        )

    def _audit_failure(self, workflow: dict[str, Any], step: PlanStep, exc: Exception) -> None:
        try:
            self._audit(workflow, step, "action_failed", {"error": type(exc).__name__, "message": clip(str(exc), 500)})
        except Exception:  # the original error matters more
            logger.exception("could not audit a failed action")
