"""Prediction that acts, within policy: at-risk notices, preemptive playbooks through the policy gate, outcomes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fivetran_recovery.fivetran import FivetranClient
from fivetran_recovery.playbooks.registry import load_registry
from fivetran_recovery.prediction.preempt import InMemoryAtRiskStore, PreemptService
from fivetran_recovery.prediction.risk import RiskAssessment
from fivetran_recovery.prediction.service import PredictService
from fivetran_recovery.remediation.actions import ActionExecutor
from fivetran_recovery.stores.base import HistoryRecord
from fivetran_recovery.stores.memory import InMemoryHistoryStore
from local.simulator import FivetranSimulator
from local.simulator.options import FAST

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


class Outbox:
    """The dispatcher's contract: channel notices, and owner-only ones (the Connect Card link) sent directly."""

    def __init__(self):
        self.notices, self.direct = [], []

    def post(self, notice):
        self.notices.append(notice)
        return {"outbox": {"n": len(self.notices)}}, {}

    def owner_email(self, connection_id, connection):
        return "owner@example.org"

    def post_direct(self, notice, *, email):
        self.direct.append((email, notice))
        return f"outbox DM to {email}", {}


class Harness:
    def __init__(self, mode: str = "auto", stopped: str | None = None):
        self.sim = FivetranSimulator(start=NOW, fidelity=FAST)
        self.client = FivetranClient(api_key=self.sim.api_key, api_secret=self.sim.api_secret,
                                     base_url="http://sim/v1", http_client=httpx.Client(transport=self.sim.transport()))
        self.outbox, self.history, self.audit, self.now = Outbox(), InMemoryHistoryStore(), [], NOW
        self.service = PreemptService(
            notices=InMemoryAtRiskStore(), registry=load_registry(),
            executor=ActionExecutor(fivetran=self.client, warehouse=None, dispatcher=self.outbox, clock=self.clock),
            dispatcher=self.outbox, history=self.history, audit=lambda *a: self.audit.append(a),
            policy_for=lambda cid: (mode, "normal"), owner_of=lambda cid: "data-platform", clock=self.clock,
            stopped=lambda cid: stopped)

    def clock(self):
        return self.now

    def connection(self, index: int = 0):
        return self.client.get_connection(self.sim.connection_ids[index])


def _predicted(connection_id: str, kind: str, lead: float = 20.0) -> RiskAssessment:
    return RiskAssessment(connection_id=connection_id, risk=0.93, level="high", kind=kind, lead_time_hours=lead,
                          reasons=[f"evidence for {kind} (p=0.90)"], signals={})


def test_given_a_warned_credential_expiry_in_auto_when_acted_then_a_reauth_link_goes_out_before_the_failure():
    h = Harness("auto")
    connection = h.connection()
    notice = h.service.act(_predicted(connection.id, "credential"), connection)
    assert notice.playbook_id == "preempt_reauthorize_before_expiry" and notice.decision_path == "auto"
    assert notice.writes == 1 and [c["path"] for c in h.sim.write_calls()] == [
        f"/v1/connections/{connection.id}/connect-card"]
    kinds = [n.kind for n in h.outbox.notices]
    assert kinds == ["owner_action", "at_risk"]  # where the link went, then the at-risk notice with reasons and lead
    assert [(email, n.link is not None) for email, n in h.outbox.direct] == [("owner@example.org", True)]
    at_risk = h.outbox.notices[-1]
    assert "20 h" in at_risk.title and at_risk.reasons == ["evidence for credential (p=0.90)"]
    assert [a[2] for a in h.audit] == ["at_risk_opened", "preemptive_intent", "preemptive_outcome"]


def test_given_the_same_prediction_again_when_acted_then_deduplicated_no_second_notice_or_write():
    h = Harness("auto")
    connection = h.connection()
    h.service.act(_predicted(connection.id, "credential"), connection)
    h.now += timedelta(hours=1)
    assert h.service.act(_predicted(connection.id, "credential"), connection) is None
    assert len(h.sim.write_calls()) == 1 and len(h.outbox.notices) == 2


def test_given_quota_exhaustion_predicted_in_auto_when_acted_then_the_frequency_change_waits_for_approval():
    h = Harness("auto")
    connection = h.connection()
    notice = h.service.act(_predicted(connection.id, "quota", lead=4), connection)
    assert notice.playbook_id == "preempt_lower_frequency" and notice.decision_path == "approval"
    assert h.sim.write_calls() == [] and notice.writes == 0
    assert notice.pending and notice.pending[0].startswith("waiting for approval")


@pytest.mark.parametrize("mode, stopped", [("monitor", None), ("auto", "automation stopped on it by ops")])
def test_given_monitor_mode_or_an_operator_stop_when_acted_then_the_owner_is_told_and_nothing_is_written(
        mode, stopped):
    h = Harness(mode, stopped)
    connection = h.connection()
    notice = h.service.act(_predicted(connection.id, "credential"), connection)
    assert h.sim.write_calls() == [] and notice.decision_path == "monitor"
    assert notice.pending[0].startswith("recommended (monitor: no write)")
    assert [n.kind for n in h.outbox.notices] == ["at_risk"]
    assert "recommended (monitor: no write)" in h.outbox.notices[0].plain_text()


@pytest.mark.parametrize("kind, failed, outcome", [
    ("credential", False, "prevented"), ("credential", True, "happened"), ("clustering", False, "did_not_happen")])
def test_given_the_window_passed_when_settled_then_the_outcome_is_recorded(kind, failed, outcome):
    h = Harness("auto")
    connection = h.connection()
    h.service.act(_predicted(connection.id, kind), connection)
    if failed:
        h.history.record(HistoryRecord(connection_id=connection.id, at=NOW + timedelta(hours=5), event="sync_end",
                                       event_key=uuid.uuid4().hex, status="FAILURE_WITH_TASK"))
    assert h.service.settle(connection.id) == []  # the window is still open
    h.now = NOW + timedelta(hours=27)
    [settled] = h.service.settle(connection.id)
    assert settled.outcome == outcome and h.audit[-1][2] == "at_risk_settled"


def test_given_a_low_or_state_assessment_when_acted_then_no_notice():
    h = Harness("auto")
    connection = h.connection()
    low = _predicted(connection.id, "quota").model_copy(update={"level": "low"})
    failing = _predicted(connection.id, "failing")
    assert h.service.act(low, connection) is None and h.service.act(failing, connection) is None
    assert h.outbox.notices == []


def test_given_a_status_warning_for_an_expiring_token_when_predicted_then_the_service_opens_the_notice():
    h = Harness("auto")
    cid = h.sim.connection_ids[0]
    expiry = (NOW + timedelta(hours=20)).date().isoformat()
    h.sim._connections[cid].warnings.append({"code": "oauth_token_expiring",
                                             "message": f"The access token expires on {expiry}."})
    for i in range(48):
        start, sync_id = NOW - timedelta(hours=48 - i), uuid.uuid4().hex
        for event, at, status in (("sync_start", start, None), ("sync_end", start + timedelta(minutes=5),
                                                                 "SUCCESSFUL")):
            h.history.record(HistoryRecord(connection_id=cid, at=at, event=event, event_key=uuid.uuid4().hex,
                                           status=status, sync_id=sync_id))

    class Risks:
        def put(self, assessment, *, at):
            pass

    service = PredictService(fivetran=h.client, history=h.history, risks=Risks(), clock=h.clock, preempt=h.service)
    ranked = service.run()
    top = next(a for a in ranked if a.connection_id == cid)
    assert top.kind == "credential" and top.level == "high" and 0 < top.lead_time_hours <= 24
    assert [n.connection_id for n in service.notices] == [cid]
