"""Diagnose one webhook event: the heart of the consumer behind the SQS queue.

history -> fast classification (rules) -> triage (attach, open, correlate, suppress, self-heal) -> for a new
real problem only: context from the Fivetran API and the history, root cause analysis (the LLM when the rules
are unsure), the playbook, and the recovery workflow started with the incident id as the execution name (so a
retried event cannot start a second workflow).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from fivetran_recovery.diagnose import ordering, resume
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.incident import Incident, IncidentStatus
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.rca import classify
from fivetran_recovery.rca.history import RecentHistory
from fivetran_recovery.redaction import clip
from fivetran_recovery.stores.base import HistoryRecord, HistoryStore
from fivetran_recovery.triage.decision import TriageAction, TriageDecision

HISTORY_EVENTS = frozenset({"sync_start", "sync_end", "connection_failure", "connection_successful",
                            "pause_connector", "resume_connector", "edit_connector", "force_update_connector",
                            "resync_connector", "resync_table", "delete_connector"})
EXECUTION_NAME = re.compile(r"[^0-9A-Za-z_-]")
STALE = "stale"  # an outcome: the event is older than what is known of its connection
logger = logging.getLogger(__name__)


class SweepError(RuntimeError):
    """Some confirmed incidents could not be acted on (each was logged)."""


class WorkflowStarter(Protocol):
    def __call__(self, *, name: str, payload: dict[str, Any]) -> str | None: ...


@dataclass
class Outcome:
    """What happened to one event: for logs, metrics and the drill."""

    event_key: str
    action: str
    incident_id: str | None = None
    diagnosis: Diagnosis | None = None
    llm_calls: int = 0
    execution: str | None = None
    notifications: int = 0
    pages: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class DiagnoseService:
    history: HistoryStore
    triage: Any  # fivetran_recovery.triage.engine.Triage
    deep_diagnose: Callable[[WebhookEvent | None, Incident, Diagnosis], tuple[Diagnosis, dict[str, Any]]]
    plan_workflow: Callable[..., dict[str, Any]]  # (incident, diagnosis, event, rules=classifier's diagnosis)
    start_workflow: WorkflowStarter
    notify: Callable[[TriageDecision], tuple[int, int]]
    clock: Callable[[], datetime]
    is_manual_schedule: Callable[[str], bool] = lambda connection_id: False
    workflow_exists: Callable[[str], bool] = lambda name: True
    after_success: Callable[[str, list[HistoryRecord]], bool] | None = None  # known-good schema snapshot
    snapshot_sweep: Callable[[], int] | None = None
    max_event_skew: timedelta = timedelta(minutes=10)
    resume_after: timedelta = timedelta(minutes=2)  # a consumer may still be acting on a fresh confirmation
    max_start_attempts: int = 3

    def now(self) -> datetime:
        """Our wall clock: every decision (holds, sweeps) runs on it; event times are only data (see ordering)."""
        return self.clock()

    # ------------------------------------------------------------------ events
    def handle(self, event: WebhookEvent) -> Outcome:
        now = self.now()
        tracked = bool(event.connection_id) and event.event in HISTORY_EVENTS and not event.is_test
        recent = self.history.recent(event.connection_id or "", limit=20) if tracked else []
        placed = ordering.place(event, recent, wall=now, max_skew=self.max_event_skew)
        event = placed.event
        manual = self._rescheduled_manual(event)
        failing = event.is_failure or manual
        quick = self._classify(event, recent) if failing else Diagnosis.unknown("not a failure")
        if tracked:
            self.history.record(self._history_record(event, quick, failing))
            if event.event == "sync_end" and (event.status or "").upper() == "SUCCESSFUL" \
                    and ordering.is_latest_outcome(event, recent):  # a late success says nothing about now
                self._after_success(event.connection_id or "", recent)
        stale_since = ordering.newer_success(event, recent) if failing else None
        if stale_since is not None:
            outcome = Outcome(event_key=event.event_key, action=STALE, diagnosis=quick, notes=[
                f"failure at {event.created.isoformat()} is older than the last success at "
                f"{stale_since.isoformat()}: recorded, changes nothing"])
        else:
            decision = self.triage.process(event, quick, now=now, manual_schedule=manual)
            decision = self._resume_interrupted(decision)
            outcome = self._act(decision, event, quick)
            outcome.event_key = event.event_key
        if placed.note:
            outcome.notes.append(placed.note)
        return outcome

    def _after_success(self, connection_id: str, recent: list[HistoryRecord]) -> None:
        if self.after_success is None:
            return
        try:
            self.after_success(connection_id, recent)
        except Exception:  # a missed snapshot only means the next schema change waits for a human
            logger.exception("schema snapshot after a success failed", extra={"connection_id": connection_id})

    def sweep(self) -> list[Outcome]:
        """Confirm pending incidents whose hold ended without recovery, resume (or escalate) confirmed incidents
        that never got their workflow, and snapshot the schema of connections that have no known-good snapshot
        yet (run per batch and on a schedule).

        One incident failing to act on does not stop the others; its error is logged and re-raised at the end."""
        outcomes: list[Outcome] = []
        errors: list[Exception] = []
        if self.snapshot_sweep is not None:
            try:
                self.snapshot_sweep()
            except Exception:
                logger.exception("schema snapshot sweep failed")
        now = self.now()
        for decision in self.triage.sweep(now=now):
            target = decision.target
            quick = (target.diagnosis if target else None) or Diagnosis.unknown()
            self._guarded(lambda d=decision, q=quick: self._act(d, None, q), target and target.id, outcomes, errors)
        for incident_id in self.triage.incidents.awaiting_workflow(now - self.resume_after):
            self._guarded(lambda i=incident_id: self._resume(i, now), incident_id, outcomes, errors)
        if errors:
            raise SweepError(f"{len(errors)} confirmed incident(s) could not be acted on") from errors[0]
        return outcomes

    @staticmethod
    def _guarded(act: Callable[[], Outcome | None], incident_id: str | None, outcomes: list[Outcome],
                 errors: list[Exception]) -> None:
        try:
            outcome = act()
        except Exception as exc:
            logger.exception("acting on a confirmed incident failed", extra={"incident_id": incident_id})
            errors.append(exc)
            return
        if outcome is not None:
            outcomes.append(outcome)

    def _resume(self, incident_id: str, now: datetime) -> Outcome | None:
        """A confirmed incident without a workflow: it exists after all, or try again, or hand it to a person."""
        incidents = self.triage.incidents
        if self.workflow_exists(execution_name(incident_id)):
            resume.mark_started(incidents, incident_id, now, None)
            return None
        incident = incidents.get(incident_id)
        if incident is None or not incident.awaits_workflow:
            return None
        if incident.workflow_attempts >= self.max_start_attempts:
            decision = self.triage.update_status(
                incident_id, IncidentStatus.ESCALATED, now=now,
                note=f"its recovery workflow could not be started after {incident.workflow_attempts} tries")
            sent, pages = self.notify(decision)
            return Outcome(event_key="", action="escalated", incident_id=incident_id, notifications=sent,
                           pages=pages, notes=[decision.reason or "escalated: no workflow"])
        claimed = resume.count_attempt(incidents, incident_id, now)
        if claimed is None:
            return None
        logger.warning("resuming a confirmed incident without a workflow", extra={"incident_id": incident_id})
        decision = TriageDecision(action=TriageAction.CONFIRMED, incident=claimed, should_start_workflow=True,
                                  should_diagnose_deeply=claimed.status is not IncidentStatus.DIAGNOSED,
                                  reason=f"resumed {incident_id}: confirmed without a workflow")
        return self._act(decision, None, claimed.diagnosis or Diagnosis.unknown())

    def _resume_interrupted(self, decision: TriageDecision) -> TriageDecision:
        """A redelivered event whose first attempt confirmed an incident but failed before its workflow started:
        triage sees a duplicate, so start what the first attempt could not (the execution name makes it once)."""
        incident = decision.incident
        if (decision.action is not TriageAction.IGNORED or incident is None or not incident.is_open
                or incident.confirmed_at is None or not incident.is_top_level
                or self.workflow_exists(execution_name(incident.id))):
            return decision
        logger.warning("resuming an incident whose workflow never started", extra={"incident_id": incident.id})
        return decision.model_copy(update={
            "should_diagnose_deeply": incident.status is not IncidentStatus.DIAGNOSED,
            "should_start_workflow": True,
        })

    # ------------------------------------------------------------------ internals
    def _classify(self, event: WebhookEvent, recent: list[HistoryRecord]) -> Diagnosis:
        data = event.data or {}
        reason = str(data.get("reason") or data.get("message") or "")
        outcomes = [r.status or "" for r in recent if r.event == "sync_end" and r.event_key != event.event_key]
        last_success = max((r.at for r in recent if (r.status or "").upper() == "SUCCESSFUL"), default=None)
        history = RecentHistory(outcomes=outcomes[-20:], last_success_at=last_success)
        return classify(reason, status=event.status, task_type=data.get("taskType") or data.get("task_type"),
                        history=history, source="webhook.reason")

    def _rescheduled_manual(self, event: WebhookEvent) -> bool:
        """A RESCHEDULED sync of a manual-schedule connection (one read of the connection, only for those)."""
        if event.event != "sync_end" or (event.status or "").upper() != "RESCHEDULED" or not event.connection_id:
            return False
        return self.is_manual_schedule(event.connection_id)

    @staticmethod
    def _history_record(event: WebhookEvent, quick: Diagnosis, failed: bool) -> HistoryRecord:
        data = event.data or {}
        return HistoryRecord(
            connection_id=event.connection_id or "",
            at=event.created,
            event=event.event,
            event_key=event.event_key,
            status=event.status,
            sync_id=event.sync_id,
            reason=clip(str(data.get("reason")), 1000) if data.get("reason") else None,
            category=quick.category.value if failed else None,
            pattern=quick.pattern if failed else None,
            actor=clip(str(data.get("actor")), 200) if data.get("actor") else None,
        )

    def _act(self, decision: TriageDecision, event: WebhookEvent | None, quick: Diagnosis) -> Outcome:
        target = decision.target
        outcome = Outcome(event_key=decision.event_key or "", action=decision.action.value,
                          incident_id=target.id if target else None, diagnosis=quick)
        sent, pages = self.notify(decision)
        outcome.notifications, outcome.pages = sent, pages
        diagnosis = quick
        if decision.should_diagnose_deeply and target is not None:
            diagnosis, details = self.deep_diagnose(event, target, quick)
            outcome.diagnosis = diagnosis
            outcome.llm_calls = int(details.get("llm_calls", 0))
            diagnosed = self.triage.update_status(
                target.id, IncidentStatus.DIAGNOSED, diagnosis=diagnosis,
                note=f"{diagnosis.category.value}/{diagnosis.pattern} ({diagnosis.analyzer})")
            if diagnosed.action is TriageAction.IGNORED:  # closed meanwhile (a sync succeeded): nothing to fix
                outcome.notes.append(diagnosed.reason)
                return outcome
            sent, pages = self.notify(diagnosed)
            outcome.notifications += sent
            outcome.pages += pages
        if decision.should_start_workflow and target is not None:
            payload = self.plan_workflow(target, diagnosis, event, rules=quick)
            outcome.execution = self.start_workflow(name=execution_name(target.id), payload=payload)
            resume.mark_started(self.triage.incidents, target.id, self.now(), outcome.execution)
        if decision.action in (TriageAction.IGNORED, TriageAction.NOT_A_FAILURE) and decision.reason:
            outcome.notes.append(decision.reason)
        return outcome


def execution_name(incident_id: str) -> str:
    """Step Functions execution names: 1-80 chars of letters, digits, - and _."""
    return EXECUTION_NAME.sub("-", incident_id)[:80]
