"""Prediction that acts, within policy: an at-risk notice for a connection crossing `high`, the preemptive
playbook for the predicted kind through the same policy gate as every recovery, and the outcome recorded.

- An at-risk notice is not a failure incident: it goes to the connection's owner with the reasons and the lead
  time, once per (connection, predicted kind) while it is open (later `high` scores only refresh it).
- The preemptive playbook (`match.predicted` in playbooks/*.yaml) is planned and put through policy.decide with
  the connection's rollout mode and criticality, the playbook's earned stage (autonomy/) and an operator's stop:
  monitor writes nothing and only shows the recommendation; allowed steps run through the remediation's
  ActionExecutor, each written ahead to the audit trail (intent, then outcome); steps that need approval become a
  real pending approval (preempt_workflow.py: approving starts the recovery workflow with them, rejecting records
  it, and it expires when the prediction is settled). A playbook that has earned auto runs its medium-risk steps
  (the quota playbook's frequency change) on its own in auto.
- When the notice's window has passed, `settle` records whether the predicted failure happened, was prevented
  (a preemptive action ran, here or in the approved workflow, and no sync failed) or did not happen, expiring an
  approval nobody gave, so prediction quality is tracked in production.
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
from fivetran_recovery.playbooks.schema import Playbook
from fivetran_recovery.policy.decide import decide
from fivetran_recovery.prediction.preempt_workflow import preemptive_workflow, render
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
    approval_id: str | None = Field(None, description="the pending approval of the steps that wait for a human")
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
    return render(playbook.steps, getattr(connection, "id", "") or "", connection)


class PreemptService:
    """Acts on `high` predictions; collaborators come by constructor (see composition/predict.py)."""

    def __init__(self, *, notices: AtRiskStore, registry: Any, executor: Any, dispatcher: Any, history: Any,
                 audit: Callable[[str, str, str, dict[str, Any]], None], policy_for: Callable[[str], tuple[str, str]],
                 owner_of: Callable[[str], str | None], clock: Callable[[], datetime],
                 stopped: Callable[[str], str | None] = lambda _cid: None, autonomy: Any = None,
                 request_approval: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 expire_approvals: Callable[[str], list[str]] = lambda _record_id: [],
                 trail: Callable[[str], list[Any]] = lambda _record_id: [],
                 start_approved: Callable[[str], str | None] = lambda _approval_id: None):
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
        self.autonomy = autonomy  # EarnedAutonomy: a playbook acts only up to the stage it has earned
        self.request_approval = request_approval  # ApprovalService.request(workflow, "", start_on_approval=True)
        self.expire_approvals = expire_approvals  # the record's pending approvals -> expired
        self.trail = trail  # the record's audit records (what the approved workflow did)
        self.start_approved = start_approved  # an approved plan whose workflow never started: start it (once)

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
            if existing.decision_path in (None, "approval") and not existing.approval_id:
                self._ask_again(existing, connection)  # the run that opened it stopped before asking
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
        self.notices.put(notice)  # written ahead: a run stopped midway finds it open and does not act again
        playbook = self.registry.for_prediction(kind)
        if playbook is not None:
            self._preempt(notice, playbook, connection)
        self._tell_owner(notice)
        self.notices.put(notice)
        return notice

    def _ask_again(self, notice: AtRiskNotice, connection: Any) -> None:
        """Request the approval a notice's steps wait for when the run that opened it stopped (or failed) before
        the request: the steps that run on their own are not run again."""
        playbook = self.registry.for_prediction(notice.kind)
        if playbook is None or self.request_approval is None:
            return
        decision, steps = self._gate(playbook, plan_steps(playbook, connection), notice.connection_id)
        if decision.path != "approval":
            return
        notice.playbook_id, notice.decision_path, notice.decision_reasons = playbook.id, "approval", decision.reasons
        asked = self._ask(notice.notice_id, notice.connection_id, playbook, decision, steps, connection,
                          kind=notice.kind, risk=notice.risk, reasons=notice.reasons,
                          until=datetime.fromisoformat(notice.window_ends))
        notice.pending = [p for p in notice.pending if not p.startswith("waiting for approval")] + asked["pending"]
        notice.approval_id = asked["approval_id"]

    def _gate(self, playbook: Playbook, steps: list[PlanStep], cid: str) -> tuple[Any, list[PlanStep]]:
        """policy.decide under the connection's mode capped by the playbook's earned stage, as diagnose does."""
        mode, criticality = self.policy_for(cid)
        holds, earned = [], False
        if self.autonomy is not None:
            mode, why = self.autonomy.effective_mode(playbook.id, mode)
            holds += [why] if why else []
            earned = self.autonomy.earned_auto(playbook.id)
        return decide(playbook, steps, mode=mode, criticality=criticality, holds=holds,
                      automation_stopped=self.stopped(cid), earned_auto=earned)

    def _preempt(self, notice: AtRiskNotice, playbook: Playbook, connection: Any) -> None:
        decision, steps = self._gate(playbook, plan_steps(playbook, connection), notice.connection_id)
        notice.playbook_id, notice.decision_path = playbook.id, decision.path
        notice.decision_reasons = decision.reasons
        ran = self._run(notice.notice_id, notice.connection_id, playbook, decision, steps, connection,
                        kind=notice.kind, risk=notice.risk, reasons=notice.reasons,
                        until=datetime.fromisoformat(notice.window_ends))
        notice.actions, notice.pending = ran["applied"], ran["pending"]
        notice.writes, notice.approval_id = ran["writes"], ran["approval_id"]

    def _run(self, record_id: str, cid: str, playbook: Playbook, decision: Any, steps: list[PlanStep],
             connection: Any, *, kind: str, risk: float, reasons: list[str], until: datetime) -> dict[str, Any]:
        """Allowed steps run here, written ahead; the ones that need approval become one pending approval."""
        out: dict[str, Any] = {"applied": [], "pending": [], "writes": 0, "approval_id": None}
        workflow = {"incident_id": record_id, "connection_id": cid, "dry_run": [s.description for s in steps],
                    "rca": {"summary": "; ".join(reasons), "category": "prediction", "pattern": kind}}
        for step in steps:
            if decision.path == "monitor" or step.approval_required:
                continue
            detail = {"step": step.model_dump(mode="json"), "before": _before(connection)}
            self.audit(cid, record_id, "preemptive_intent", detail)
            try:
                result = self.executor.run(step, workflow, connection)
            except Exception as exc:  # the notice still goes out; the failure is on the record
                self.audit(cid, record_id, "preemptive_failed", {"step": step.index, "error": type(exc).__name__})
                out["pending"].append(f"failed ({type(exc).__name__}): {step.description}")
                continue
            self.audit(cid, record_id, "preemptive_outcome",
                       {"step": step.index, "status": result.status, "detail": result.detail})
            out["applied"].append(f"{step.description}: {result.detail}")
            out["writes"] += result.writes
        if decision.path == "monitor":
            out["pending"] += [f"recommended (monitor: no write): {s.description}" for s in steps]
        else:
            asked = self._ask(record_id, cid, playbook, decision, steps, connection, kind=kind, risk=risk,
                              reasons=reasons, until=until)
            out["pending"] += asked["pending"]
            out["approval_id"] = asked["approval_id"]
        return out

    def _ask(self, record_id: str, cid: str, playbook: Playbook, decision: Any, steps: list[PlanStep],
             connection: Any, *, kind: str, risk: float, reasons: list[str], until: datetime) -> dict[str, Any]:
        """One pending approval for the steps that wait (preempt_workflow.py); a failed request is retried by the
        next run that sees the notice open."""
        waiting = [s for s in steps if s.approval_required]
        if not waiting or self.request_approval is None:
            return {"approval_id": None, "pending": [f"waiting for approval: {s.description}" for s in waiting]}
        request = preemptive_workflow(record_id=record_id, connection_id=cid, kind=kind, risk=risk, reasons=reasons,
                                      playbook=playbook, decision=decision, steps=steps, connection=connection,
                                      now=self.clock(), approval_seconds=int((until - self.clock()).total_seconds()))
        try:
            approval_id = self.request_approval(request)["approval_id"]
        except Exception as exc:  # the notice still goes out; the next run asks again
            logger.warning("approval not requested", extra={"record_id": record_id, "error": type(exc).__name__})
            return {"approval_id": None, "pending": [f"waiting for approval (not requested yet: "
                                                     f"{type(exc).__name__}): {s.description}" for s in waiting]}
        return {"approval_id": approval_id,
                "pending": [f"waiting for approval {approval_id}: {s.description}" for s in waiting]}

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
        monitor only shows it, a step needing approval becomes a pending approval, an allowed one runs written
        ahead."""
        cid = recommendation.connection_id
        playbook = self.registry.get(SCHEDULE_PLAYBOOK)
        frequency = {"sync_frequency": recommendation.recommended_minutes}
        steps = [s.model_copy(update={"params": frequency, "calls": [c.model_copy(update={"body": frequency})
                                                                       for c in s.calls]})
                 for s in plan_steps(playbook, connection)]
        decision, steps = self._gate(playbook, steps, cid)
        now = self.clock()
        record_id = f"schedule-{cid}-{now.strftime('%Y%m%dT%H%M')}"
        self.audit(cid, record_id, "schedule_recommended", recommendation.model_dump(mode="json"))
        ran = self._run(record_id, cid, playbook, decision, steps, connection, kind="schedule", risk=0.0,
                        reasons=recommendation.reasons, until=now + timedelta(hours=24))
        return {"record_id": record_id, "path": decision.path, "reasons": decision.reasons,
                "applied": ran["applied"], "pending": ran["pending"], "approval_id": ran["approval_id"]}

    def settle(self, connection_id: str) -> list[AtRiskNotice]:
        """Close the connection's notices whose window has passed: happened, prevented or did not happen."""
        now, settled = self.clock(), []
        for notice in self.notices.for_connection(connection_id):
            if notice.outcome == "open" and notice.approval_id:
                self.start_approved(notice.approval_id)  # reconcile a decision whose start was lost
            if notice.outcome != "open" or datetime.fromisoformat(notice.window_ends) > now:
                continue
            asked = notice.approval_id or notice.decision_path == "approval"  # (a run stopped after asking)
            approval = self._approved_run(notice) if asked else None
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
            if approval:
                notice.outcome_detail = f"{notice.outcome_detail}; approval {approval}"
            self.audit(connection_id, notice.notice_id, "at_risk_settled",
                       {"outcome": notice.outcome, "detail": notice.outcome_detail})
            self.notices.put(notice)
            settled.append(notice)
        return settled

    def _approved_run(self, notice: AtRiskNotice) -> str:
        """What happened to the notice's approval: an approval nobody gave expires now; what the approved workflow
        did (its audited actions) counts as the notice's actions."""
        expired = self.expire_approvals(notice.notice_id)
        records = self.trail(notice.notice_id)
        for record in records:
            if record.kind == "action" and (record.detail.get("result") or {}).get("status") == "done":
                notice.actions.append(f"{record.detail.get('action')} (approved workflow)")
                notice.writes += int((record.detail.get("result") or {}).get("writes") or 0)
        decided = [r for r in records if r.kind == "approval"]
        if decided:
            return f"{decided[-1].detail.get('decision')} by {decided[-1].actor}"
        return "expired: nobody decided before the prediction was settled" if expired else "not decided"


def _before(connection: Any) -> dict[str, Any]:
    return {"sync_frequency": getattr(connection, "sync_frequency", None),
            "paused": getattr(connection, "paused", None)}
