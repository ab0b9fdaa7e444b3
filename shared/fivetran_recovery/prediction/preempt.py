"""Prediction that acts, within policy: an at-risk notice for a connection crossing `high`, the preemptive
playbook for the predicted kind through the same policy gate as every recovery, and the outcome recorded.

- An at-risk notice is not a failure incident: it goes to the connection's owner with the reasons and the lead
  time, once per (connection, predicted kind) while it is open (later `high` scores only refresh it).
- The preemptive playbook (`match.predicted` in playbooks/*.yaml) is planned and put through policy.decide with
  the connection's rollout mode and criticality and an operator's stop: monitor writes nothing and only shows the
  recommendation; a step that needs approval is listed as waiting, not run; allowed steps run through the
  remediation's ActionExecutor, each written ahead to the audit trail (intent, then outcome).
- When the notice's window has passed, `settle` records whether the predicted failure happened, was prevented
  (a preemptive action ran and no sync failed) or did not happen, so prediction quality is tracked in production.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.notifiers.base import Notice
from fivetran_recovery.playbooks.schema import Action, Playbook
from fivetran_recovery.policy.decide import decide
from fivetran_recovery.policy.dry_run import relaxed_frequency
from fivetran_recovery.prediction.risk import RiskAssessment
from fivetran_recovery.prediction.syncs import FAILED

logger = logging.getLogger(__name__)
NOT_PREDICTIONS = frozenset({None, "stale", "failing", "fivetran_status", "background"})  # states, not forecasts
Outcome = Literal["open", "happened", "prevented", "did_not_happen"]
SCHEDULE_PLAYBOOK = "apply_schedule_recommendation"


class AtRiskNotice(BaseModel):
    notice_id: str
    connection_id: str
    kind: str
    risk: float
    lead_time_hours: float | None = None
    expected_by: str | None = None
    reasons: list[str] = Field(default_factory=list)
    owner: str | None = None
    opened_at: str
    last_seen_at: str
    window_ends: str
    playbook_id: str | None = None
    decision_path: str | None = None
    decision_reasons: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list, description="preemptive steps that ran")
    pending: list[str] = Field(default_factory=list, description="steps recommended or waiting for approval")
    writes: int = 0
    outcome: Outcome = "open"
    outcome_at: str | None = None
    outcome_detail: str | None = None


class AtRiskStore(Protocol):
    def for_connection(self, connection_id: str) -> list[AtRiskNotice]: ...

    def put(self, notice: AtRiskNotice) -> None: ...


class InMemoryAtRiskStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], AtRiskNotice] = {}

    def for_connection(self, connection_id: str) -> list[AtRiskNotice]:
        return [n.model_copy() for (cid, _), n in sorted(self.items.items()) if cid == connection_id]

    def put(self, notice: AtRiskNotice) -> None:
        self.items[(notice.connection_id, notice.kind)] = notice.model_copy()


class DynamoAtRiskStore:
    """The latest notice per (connection, kind) in the incidents table: `ATRISK#<connection>` / `<kind>`."""

    def __init__(self, table: Any):
        self._table = table

    def for_connection(self, connection_id: str) -> list[AtRiskNotice]:
        from boto3.dynamodb.conditions import Key

        answer = self._table.query(KeyConditionExpression=Key("pk").eq(f"ATRISK#{connection_id}"))
        return [AtRiskNotice.model_validate(json.loads(item["doc"])) for item in answer.get("Items", [])]

    def put(self, notice: AtRiskNotice) -> None:
        self._table.put_item(Item={"pk": f"ATRISK#{notice.connection_id}", "sk": notice.kind,
                                   "outcome": notice.outcome, "doc": notice.model_dump_json()})


def _iso(value: datetime) -> str:
    return value.isoformat()


def plan_steps(playbook: Playbook, connection: Any) -> list[PlanStep]:
    """The playbook's steps with their parameters resolved for this connection (a frequency, not a factor)."""
    steps = []
    for index, step in enumerate(playbook.steps):
        params = dict(step.params)
        if step.action is Action.UPDATE_SCHEDULE and "relax_factor" in params:
            current = getattr(connection, "sync_frequency", None)
            params = {"sync_frequency": relaxed_frequency(current, float(params.pop("relax_factor")))}
        steps.append(PlanStep(index=index, action=step.action.value, params=params, when=step.when.value,
                              description=step.description or step.action.value, risk=step.traits.risk.value,
                              writes=step.traits.is_write))
    return steps


class PreemptService:
    """Acts on `high` predictions; collaborators come by constructor (see composition/predict.py)."""

    def __init__(self, *, notices: AtRiskStore, registry: Any, executor: Any, dispatcher: Any, history: Any,
                 audit: Callable[[str, str, str, dict[str, Any]], None], policy_for: Callable[[str], tuple[str, str]],
                 owner_of: Callable[[str], str | None], clock: Callable[[], datetime],
                 stopped: Callable[[str], str | None] = lambda _cid: None):
        self.notices = notices
        self.registry = registry
        self.executor = executor
        self.dispatcher = dispatcher
        self.history = history
        self.audit = audit  # (chain/connection id, notice id, kind, detail)
        self.policy_for = policy_for  # connection -> (rollout mode, criticality)
        self.owner_of = owner_of
        self.clock = clock
        self.stopped = stopped

    def act(self, assessment: RiskAssessment, connection: Any) -> AtRiskNotice | None:
        """Open (or refresh) the at-risk notice for a `high` prediction and run its preemptive playbook."""
        if assessment.level != "high" or assessment.kind in NOT_PREDICTIONS:
            return None
        now = self.clock()
        cid, kind = assessment.connection_id, str(assessment.kind)
        existing = next((n for n in self.notices.for_connection(cid) if n.kind == kind and n.outcome == "open"), None)
        if existing is not None:  # deduplicated: one open notice per connection and predicted kind
            existing.last_seen_at, existing.risk = _iso(now), max(existing.risk, assessment.risk)
            existing.reasons = assessment.reasons
            self.notices.put(existing)
            return None
        lead = assessment.lead_time_hours
        notice = AtRiskNotice(
            notice_id=f"atrisk-{cid}-{kind}-{now.strftime('%Y%m%dT%H%M')}", connection_id=cid, kind=kind,
            risk=assessment.risk, lead_time_hours=lead, reasons=assessment.reasons, owner=self.owner_of(cid),
            expected_by=_iso(now + timedelta(hours=lead)) if lead is not None else None,
            opened_at=_iso(now), last_seen_at=_iso(now),
            window_ends=_iso(now + timedelta(hours=max(24.0, (lead or 0) + 6))))
        self.audit(cid, notice.notice_id, "at_risk_opened", notice.model_dump(mode="json"))
        playbook = self.registry.for_prediction(kind)
        if playbook is not None:
            self._preempt(notice, playbook, connection)
        self._tell_owner(notice)
        self.notices.put(notice)
        return notice

    def _preempt(self, notice: AtRiskNotice, playbook: Playbook, connection: Any) -> None:
        mode, criticality = self.policy_for(notice.connection_id)
        decision, steps = decide(playbook, plan_steps(playbook, connection), mode=mode, criticality=criticality,
                                 automation_stopped=self.stopped(notice.connection_id))
        notice.playbook_id, notice.decision_path = playbook.id, decision.path
        notice.decision_reasons = decision.reasons
        workflow = {"incident_id": notice.notice_id, "connection_id": notice.connection_id,
                    "rca": {"summary": "; ".join(notice.reasons), "category": "prediction", "pattern": notice.kind},
                    "dry_run": [s.description for s in steps]}
        for step in steps:
            if decision.path == "monitor" or step.approval_required:
                label = "recommended (monitor: no write)" if decision.path == "monitor" else "waiting for approval"
                notice.pending.append(f"{label}: {step.description}")
                continue
            detail = {"step": step.model_dump(mode="json"), "before": _before(connection)}
            self.audit(notice.connection_id, notice.notice_id, "preemptive_intent", detail)
            try:
                result = self.executor.run(step, workflow, connection)
            except Exception as exc:  # the notice still goes out; the failure is on the record
                self.audit(notice.connection_id, notice.notice_id, "preemptive_failed",
                           {"step": step.index, "error": type(exc).__name__})
                notice.pending.append(f"failed ({type(exc).__name__}): {step.description}")
                continue
            self.audit(notice.connection_id, notice.notice_id, "preemptive_outcome",
                       {"step": step.index, "status": result.status, "detail": result.detail})
            notice.actions.append(f"{step.description}: {result.detail}")
            notice.writes += result.writes

    def _tell_owner(self, notice: AtRiskNotice) -> None:
        lead = (f"expected within about {notice.lead_time_hours:g} h" if notice.lead_time_hours
                else "expected at any time")
        self.dispatcher.post(Notice(
            kind="at_risk", incident_id=notice.notice_id, connection_id=notice.connection_id,
            title=f"At risk: {notice.connection_id} is likely to fail ({notice.kind}), {lead}",
            summary=(f"Predicted failure risk {notice.risk:.0%} in the next 24 h. This is a forecast, not an "
                     "incident: nothing has failed yet."),
            reasons=notice.reasons, planned_actions=[*notice.actions, *notice.pending],
            facts={"Lead time": f"{notice.lead_time_hours:g} h" if notice.lead_time_hours is not None else "-",
                   "Policy": notice.decision_path or "no preemptive playbook", **(
                       {"Owner": notice.owner} if notice.owner else {})}))

    def apply_schedule(self, recommendation: Any, connection: Any) -> dict[str, Any]:
        """A cost-aware schedule recommendation through the policy gate (playbook apply_schedule_recommendation):
        monitor only shows it, a step needing approval waits, an allowed one runs written ahead."""
        cid = recommendation.connection_id
        playbook = self.registry.get(SCHEDULE_PLAYBOOK)
        steps = [s.model_copy(update={"params": {"sync_frequency": recommendation.recommended_minutes}})
                 for s in plan_steps(playbook, connection)]
        mode, criticality = self.policy_for(cid)
        decision, steps = decide(playbook, steps, mode=mode, criticality=criticality,
                                 automation_stopped=self.stopped(cid))
        record_id = f"schedule-{cid}-{self.clock().strftime('%Y%m%dT%H%M')}"
        self.audit(cid, record_id, "schedule_recommended", recommendation.model_dump(mode="json"))
        outcome: dict[str, Any] = {"record_id": record_id, "path": decision.path, "reasons": decision.reasons,
                                   "applied": [], "pending": []}
        workflow = {"incident_id": record_id, "connection_id": cid, "dry_run": [],
                    "rca": {"summary": "; ".join(recommendation.reasons), "category": "schedule", "pattern": "cost"}}
        for step in steps:
            if decision.path == "monitor" or step.approval_required:
                outcome["pending"].append(f"{'recommended' if decision.path == 'monitor' else 'waiting for approval'}"
                                          f": sync every {recommendation.recommended_minutes} min")
                continue
            self.audit(cid, record_id, "preemptive_intent", {"step": step.model_dump(mode="json"),
                                                             "before": _before(connection)})
            result = self.executor.run(step, workflow, connection)
            self.audit(cid, record_id, "preemptive_outcome", {"step": step.index, "detail": result.detail})
            outcome["applied"].append(result.detail)
        return outcome

    def settle(self, connection_id: str) -> list[AtRiskNotice]:
        """Close the connection's notices whose window has passed: happened, prevented or did not happen."""
        now, settled = self.clock(), []
        for notice in self.notices.for_connection(connection_id):
            if notice.outcome != "open" or datetime.fromisoformat(notice.window_ends) > now:
                continue
            opened, ends = datetime.fromisoformat(notice.opened_at), datetime.fromisoformat(notice.window_ends)
            failures = [r for r in self.history.recent(connection_id, limit=200, since=opened)
                        if r.event == "sync_end" and r.status in FAILED and opened <= r.at <= ends]
            if failures:
                notice.outcome, notice.outcome_detail = "happened", f"a sync failed at {failures[-1].at.isoformat()}"
            elif notice.writes or (notice.actions and notice.decision_path != "monitor"):
                notice.outcome, notice.outcome_detail = "prevented", f"{len(notice.actions)} preemptive action(s), " \
                    "no failed sync in the window"
            else:
                notice.outcome, notice.outcome_detail = "did_not_happen", "no failed sync in the window, no action"
            notice.outcome_at = _iso(now)
            self.audit(connection_id, notice.notice_id, "at_risk_settled",
                       {"outcome": notice.outcome, "detail": notice.outcome_detail})
            self.notices.put(notice)
            settled.append(notice)
        return settled


def _before(connection: Any) -> dict[str, Any]:
    return {"sync_frequency": getattr(connection, "sync_frequency", None),
            "paused": getattr(connection, "paused", None)}
