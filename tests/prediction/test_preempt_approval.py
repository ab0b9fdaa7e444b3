"""Preemptive steps that need approval: a real pending approval (its workflow input), earned autonomy for a
medium-risk preemptive playbook, and what settling does to the approval (issue 15 items 3-4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from fivetran_recovery.autonomy import EarnedAutonomy, MemoryStandingStore
from fivetran_recovery.autonomy.ladder import Standing
from fivetran_recovery.models.workflow import PlanStep, WorkflowInput
from fivetran_recovery.playbooks.registry import load_registry
from fivetran_recovery.policy.decide import decide
from tests.prediction.test_preempt import NOW, Harness, _predicted


@dataclass
class Record:
    kind: str
    actor: str
    detail: dict = field(default_factory=dict)


class Approvals:
    def __init__(self):
        self.requested, self.expired, self.trail = [], [], []

    def request(self, workflow):
        self.requested.append(workflow)
        return {"approval_id": f"apr-{len(self.requested)}"}


def _wired(mode="auto", stage=None, initial="auto"):
    h = Harness(mode)
    approvals = Approvals()
    store = MemoryStandingStore()
    if stage is not None:
        store.put(Standing(playbook_id="preempt_lower_frequency", stage=stage))
    h.service.autonomy = EarnedAutonomy(store=store, audit=None, clock=h.clock, initial_stage=initial)
    h.service.request_approval = approvals.request
    h.service.expire_approvals = lambda record_id: approvals.expired.append(record_id) or [f"apr-of-{record_id}"]
    h.service.trail = lambda record_id: approvals.trail
    return h, approvals


def test_given_quota_predicted_and_auto_not_earned_then_one_pending_approval_with_the_exact_change_and_no_write():
    h, approvals = _wired()
    connection = h.connection()
    notice = h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    assert notice.decision_path == "approval" and notice.approval_id == "apr-1" and h.sim.write_calls() == []
    assert notice.pending == [f"waiting for approval apr-1: {notice.pending[0].split(': ', 1)[1]}"]
    [workflow] = approvals.requested
    WorkflowInput.model_validate({k: v for k, v in workflow.items() if k != "config"})  # a real workflow input
    [step] = workflow["plan"]["steps"]
    assert step["action"] == "update_schedule" and step["approval_required"] and step["index"] == 0
    relaxed = step["params"]["sync_frequency"]
    assert relaxed > connection.sync_frequency
    assert step["calls"] == [{"kind": "fivetran_api", "method": "PATCH", "path": f"/v1/connections/{connection.id}",
                              "body": {"sync_frequency": relaxed}, "dialect": None, "sql": None}]
    assert workflow["incident_id"] == notice.notice_id and workflow["decision"]["path"] == "approval"
    assert workflow["plan"]["verification"] == {"enabled": True, "kind": "next_sync_succeeded",
                                                "require_connected": True, "wait_for_human": False}
    # the approval lasts until the prediction is settled (the notice's window), not the deployment's default
    assert workflow["config"]["approval_timeout_seconds"] == int(timedelta(hours=24).total_seconds())
    assert "[needs approval]" in workflow["dry_run"][0] and "PATCH" in workflow["dry_run"][0]
    assert "waiting for approval apr-1" in h.outbox.notices[-1].plain_text()


def test_given_the_quota_playbook_earned_auto_then_its_frequency_change_runs_once_written_ahead():
    h, approvals = _wired(stage="auto")
    connection = h.connection()
    notice = h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    assert notice.decision_path == "auto" and approvals.requested == [] and notice.writes == 1
    assert "has earned auto" in notice.decision_reasons[0]
    [call] = h.sim.write_calls()
    assert call["method"] == "PATCH" and call["path"] == f"/v1/connections/{connection.id}"
    assert [a[2] for a in h.audit] == ["at_risk_opened", "preemptive_intent", "preemptive_outcome"]
    assert h.service.act(_predicted(connection.id, "quota", lead=4), connection) is None  # deduplicated
    assert len(h.sim.write_calls()) == 1


@pytest.mark.parametrize("mode, stage, path", [
    ("recommend", "auto", "approval"),  # the rollout stage caps what was earned
    ("monitor", "auto", "monitor"),
    ("auto", "recommend", "approval"),  # earned only recommend so far
])
def test_given_the_rollout_or_the_earned_stage_below_auto_then_the_change_does_not_run_alone(mode, stage, path):
    h, approvals = _wired(mode=mode, stage=stage)
    connection = h.connection()
    notice = h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    assert notice.decision_path == path and h.sim.write_calls() == []
    assert len(approvals.requested) == (path == "approval")


def test_given_an_earned_auto_then_only_medium_risk_runs_alone_never_high_or_critical():
    registry = load_registry()
    quota = registry.get("preempt_lower_frequency")
    step = PlanStep(index=0, action="update_schedule", params={"sync_frequency": 120}, risk="medium", writes=True)
    assert decide(quota, [step], mode="auto", criticality="normal", earned_auto=True)[0].path == "auto"
    assert decide(quota, [step], mode="auto", criticality="normal")[0].path == "approval"
    assert decide(quota, [step], mode="auto", criticality="critical", earned_auto=True)[0].path == "approval"
    high = step.model_copy(update={"risk": "high"})
    assert decide(quota, [high], mode="auto", criticality="normal", earned_auto=True)[0].path == "approval"


@pytest.mark.parametrize("trail, outcome, detail", [
    ([], "did_not_happen", "approval expired"),
    ([Record("approval", "ana", {"decision": "rejected"})], "did_not_happen", "approval rejected by ana"),
    ([Record("approval", "ana", {"decision": "approved"}),
      Record("action", "remediate", {"action": "update_schedule", "result": {"status": "done", "writes": 1}})],
     "prevented", "approval approved by ana"),
])
def test_given_a_pending_approval_when_the_prediction_settles_then_it_expires_and_the_decision_is_recorded(
        trail, outcome, detail):
    h, approvals = _wired()
    connection = h.connection()
    notice = h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    approvals.trail = trail
    assert h.service.settle(connection.id) == [] and approvals.expired == []  # the window is still open
    h.now = NOW + timedelta(hours=25)
    [settled] = h.service.settle(connection.id)
    assert approvals.expired == [notice.notice_id]
    assert settled.outcome == outcome and detail in settled.outcome_detail
    assert h.audit[-1][2] == "at_risk_settled" and detail in h.audit[-1][3]["detail"]


def test_given_a_run_that_stops_midway_through_the_earned_change_when_predict_runs_again_then_it_is_not_doubled():
    h, _ = _wired(stage="auto")
    connection = h.connection()

    class Crash(Exception):
        pass

    def crash(cid, record_id, kind, detail):
        h.audit.append((cid, record_id, kind, detail))
        if kind == "preemptive_outcome":
            raise Crash  # the Lambda stops after the PATCH, before the notice is saved with its actions

    h.service.audit = crash
    with pytest.raises(Crash):
        h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    h.service.audit = lambda *a: h.audit.append(a)
    h.now += timedelta(hours=1)
    assert h.service.act(_predicted(connection.id, "quota", lead=4), h.connection()) is None  # open: refreshed
    assert len(h.sim.write_calls()) == 1


def test_given_the_approval_request_failed_when_the_prediction_comes_again_then_it_is_requested_once():
    h, approvals = _wired()
    connection = h.connection()
    calls = []

    def flaky(workflow):
        calls.append(workflow)
        if len(calls) == 1:
            raise TimeoutError("approvals table throttled")
        return approvals.request(workflow)

    h.service.request_approval = flaky
    notice = h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    assert notice.approval_id is None and "not requested yet: TimeoutError" in notice.pending[0]
    h.now += timedelta(hours=1)
    assert h.service.act(_predicted(connection.id, "quota", lead=4), connection) is None  # deduplicated ...
    [stored] = h.service.notices.for_connection(connection.id)
    assert stored.approval_id == "apr-1" and stored.pending[0].startswith("waiting for approval apr-1")  # ... asked
    h.now += timedelta(hours=1)
    h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    assert len(approvals.requested) == 1 and h.sim.write_calls() == []  # and only once
