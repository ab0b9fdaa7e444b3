"""A preemptive step that needs approval, end to end on moto: the predict function's PreemptService (wired by
composition/predict.py) opens a real pending approval; the API approves it (team scope and one decision as for
incidents); approving starts the recovery state machine, which runs the step once through remediate; rejecting
and settling the prediction start nothing (issue 15 items 3-4)."""

from __future__ import annotations

import json

import pytest

from fivetran_recovery.composition.predict import preempt_service
from fivetran_recovery.prediction.risk import RiskAssessment
from local.defaults import LOCAL_APPROVER_TOKEN
from tests.workflow.test_approvals import ANA, TeamSecrets

CID = "lunar_pebble"
ROOT = {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}


@pytest.fixture
def harness(workflow_stack, sim, monkeypatch):
    """The workflow harness with the deployment in auto (the stack's default is monitor)."""
    from recovery_harness import build_harness

    from local.lambda_runtime import route_moto_lambda

    monkeypatch.setenv("ROLLOUT_MODE", "auto")
    monkeypatch.setenv("PLAYBOOK_PROMOTE_AFTER", "1")  # one verified approved run earns auto (default 5)
    built = build_harness(workflow_stack, sim)
    with route_moto_lambda(built.lambdas):
        yield built


def _open(harness):
    harness.adapters.override(secrets=TeamSecrets(harness.adapters.secrets, harness.adapters.config.approver_secret_id))
    service = preempt_service(harness.adapters)
    connection = harness.adapters.fivetran.get_connection(CID)
    assessment = RiskAssessment(connection_id=CID, risk=0.91, level="high", kind="quota", lead_time_hours=6,
                                reasons=["retry_api_call warnings 4x the connection's own rate"], signals={})
    notice = service.act(assessment, connection)
    assert notice.decision_path == "approval" and notice.approval_id, notice
    return service, notice, connection


def _decide(harness, approval_id, body, headers=ROOT):
    answer = harness.http("approve", "POST", f"/approvals/{approval_id}/decision", headers=headers,
                          body=json.dumps(body))
    return answer["statusCode"], json.loads(answer["body"])


def _patches(harness):
    return [c for c in harness.write_calls(CID) if c["method"] == "PATCH" and c["path"] == f"/v1/connections/{CID}"]


def test_given_a_preemptive_approval_when_approved_then_the_workflow_runs_the_step_once(harness):
    _service, notice, connection = _open(harness)
    approval = harness.adapters.approvals.get(notice.approval_id)
    assert approval["status"] == "pending" and approval["starts_workflow"] and approval["policy"]["team"]
    assert approval["incident_id"] == notice.notice_id and _patches(harness) == []
    assert harness.wait_for_approval(notice.notice_id) == notice.approval_id  # the request went out like any other
    from fivetran_recovery.composition.approve import console_service

    reads = console_service(harness.adapters).reads  # the console lists it and has a page for its record
    assert notice.approval_id in [a["approval_id"] for a in reads.list_approvals()["approvals"]]
    page = reads.workflow_only(notice.notice_id)
    assert page and [a["approval_id"] for a in page["approvals"]] == [notice.approval_id]

    status, body = _decide(harness, notice.approval_id, {"decision": "approve"}, {"authorization": f"Bearer {ANA}"})
    assert status == 403 and "ana approves for finance-data" in body["error"]  # scoped to the owning team
    status, body = _decide(harness, notice.approval_id, {"decision": "approve"})
    assert status == 200 and body["status"] == "approved", body
    assert harness.wait(notice.notice_id, timeout=60)["status"] == "SUCCEEDED", harness.errors(notice.notice_id)
    status, _ = _decide(harness, notice.approval_id, {"decision": "approve"})  # a double click
    assert status == 409

    [patch] = _patches(harness)
    assert patch["body"]["sync_frequency"] > connection.sync_frequency
    kinds = [r.kind for r in harness.adapters.audit.for_incident(notice.notice_id)]
    assert kinds.index("approval_requested") < kinds.index("approval") < kinds.index("action_intent") \
        < kinds.index("action")
    assert harness.adapters.approvals.get(notice.approval_id)["delivery"] == "delivered"


def test_given_a_preemptive_approval_when_rejected_or_settled_then_nothing_runs_and_it_is_on_record(harness):
    service, notice, _ = _open(harness)
    status, body = _decide(harness, notice.approval_id, {"decision": "reject", "comment": "quota is fine"})
    assert status == 200 and body["status"] == "rejected", body
    executions = harness.sfn.list_executions(stateMachineArn=harness.state_machine_arn)["executions"]
    assert executions == [] and _patches(harness) == []

    stored = next(n for n in service.notices.for_connection(CID) if n.notice_id == notice.notice_id)
    stored.window_ends = stored.opened_at  # the prediction's window is over
    service.notices.put(stored)
    [settled] = service.settle(CID)
    assert settled.outcome == "did_not_happen" and "rejected by root" in settled.outcome_detail  # TeamSecrets names the local token root


def test_given_a_preemptive_approval_nobody_gave_when_settled_then_it_expires_and_cannot_be_approved(harness):
    service, notice, _ = _open(harness)
    stored = next(n for n in service.notices.for_connection(CID) if n.notice_id == notice.notice_id)
    stored.window_ends = stored.opened_at
    service.notices.put(stored)
    [settled] = service.settle(CID)
    assert "expired" in settled.outcome_detail
    assert harness.adapters.approvals.get(notice.approval_id)["status"] == "expired"
    status, _body = _decide(harness, notice.approval_id, {"decision": "approve"})
    assert status == 409 and _patches(harness) == []


class FailingStart:
    """Step Functions whose StartExecution fails once (throttled), as a lost start after the decision."""

    def __init__(self, inner):
        self.inner, self.failed = inner, 0

    def start_execution(self, **kwargs):
        from botocore.exceptions import ClientError

        if not self.failed:
            self.failed += 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "StartExecution")
        return self.inner.start_execution(**kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_given_an_approval_whose_start_failed_when_predict_runs_then_it_starts_the_workflow_once(harness):
    service, notice, _ = _open(harness)
    harness.adapters.override(sfn=FailingStart(harness.sfn))
    status, body = _decide(harness, notice.approval_id, {"decision": "approve"})
    assert status == 202 and "next predict run" in body["waiting_for"] and _patches(harness) == []
    service.settle(CID)  # the next run reconciles: the approved plan starts now
    assert harness.wait(notice.notice_id, timeout=60)["status"] == "SUCCEEDED", harness.errors(notice.notice_id)
    service.settle(CID)  # and only once
    assert len(_patches(harness)) == 1
    assert harness.adapters.approvals.get(notice.approval_id)["delivery"] == "delivered"
    kinds = [r.kind for r in harness.adapters.audit.for_incident(notice.notice_id)]
    assert kinds.count("approval_reconciled") == 1


def test_given_an_approved_run_verified_when_quota_is_predicted_again_then_the_earned_playbook_runs_in_auto(harness):
    service, notice, _connection = _open(harness)
    assert _decide(harness, notice.approval_id, {"decision": "approve"})[0] == 200
    assert harness.wait(notice.notice_id, timeout=60)["status"] == "SUCCEEDED", harness.errors(notice.notice_id)
    standing = harness.adapters.autonomy.standing("preempt_lower_frequency")
    assert standing.stage == "auto" and standing.verified == 1, standing  # verify counted the approved run
    stored = next(n for n in service.notices.for_connection(CID) if n.notice_id == notice.notice_id)
    stored.window_ends = stored.opened_at
    service.notices.put(stored)
    [settled] = service.settle(CID)
    assert settled.outcome in ("prevented", "happened") and "approval approved" in settled.outcome_detail

    harness.sim.advance(120)  # a later run: quota is predicted again
    again = service.act(RiskAssessment(connection_id=CID, risk=0.9, level="high", kind="quota", lead_time_hours=6,
                                       reasons=["retries climbing again"], signals={}),
                        harness.adapters.fivetran.get_connection(CID))
    assert again.decision_path == "auto" and again.approval_id is None and again.writes == 1
    assert "has earned auto" in again.decision_reasons[0]
    assert len(_patches(harness)) == 2  # the approved one, then the earned one, each once
