"""Crash injection for approve (issue 13): the deciding invocation dies at each point between its side effects
(the stored decision, the `approval` record, SendTaskSuccess, the delivery mark, the delivery record); the next
request for the approval (a click again, Slack's retry) or the approval timeout completes it. Checked: the
workflow is resumed at most once (Step Functions refuses a closed task's token, as the fake here does), the
decision is on the trail before the workflow can act on it and exactly once, the delivery is recorded, the
chain verifies."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from crash_points import REPEAT, Killed, sample

from fivetran_recovery.composition.approve import approval_service
from local.defaults import LOCAL_APPROVER_TOKEN

BEARER = f"Bearer {LOCAL_APPROVER_TOKEN}"
POINTS = ["after_decide", "after_decision_record", "after_send", "after_mark", "after_delivery_record"]
BEFORE_SEND = ("after_decide", "after_decision_record")


class SingleUseSfn:
    """Step Functions' task tokens: the first SendTask* closes the task, any later one is refused."""

    def __init__(self, audit) -> None:
        self.audit, self.taken, self.refused, self.recorded_first = audit, {}, 0, []
        self.kill_after = False

    def _take(self, token: str, what: str, incident_id: str) -> None:
        if token in self.taken:
            self.refused += 1
            raise ClientError({"Error": {"Code": "TaskTimedOut", "Message": "Task Timed Out"}}, "SendTask")
        self.recorded_first.append(any(r.kind == "approval" for r in self.audit.for_incident(incident_id)))
        self.taken[token] = what
        if self.kill_after:
            self.kill_after = False
            raise Killed("after_send")

    def send_task_success(self, *, taskToken: str, output: str) -> None:
        self._take(taskToken, "success", "inc-9")

    def send_task_failure(self, *, taskToken: str, error: str, cause: str) -> None:
        self._take(taskToken, "failure", "inc-9")


@pytest.fixture
def pending(harness):
    sfn = SingleUseSfn(harness.adapters.audit)
    harness.adapters.override(sfn=sfn)
    record = harness.adapters.approvals.create(
        incident_id="inc-9", connection_id="quiet_harbor", task_token="task-token-9", timeout_seconds=600,
        playbook_id="retry_with_backoff", planned_actions=["[1] sync_now"], rca={"summary": "blip"}, reasons=[])
    harness.adapters.records.add_approval("inc-9", record["approval_id"])
    return harness, sfn, record["approval_id"]


def _kill_at(point: str, monkeypatch, harness, sfn) -> None:
    store, audit = harness.adapters.approvals, harness.adapters.audit
    if point == "after_send":
        sfn.kill_after = True
        return
    targets = {"after_decide": (store, "decide"), "after_mark": (store, "mark_delivered")}
    kinds = {"after_decision_record": "approval", "after_delivery_record": "approval_delivery"}
    obj, name = targets.get(point, (audit, "append"))
    real, fired = getattr(obj, name), []

    def dying(*args, **kwargs):
        result = real(*args, **kwargs)
        if not fired and (name != "append" or kwargs.get("kind") == kinds[point]):
            fired.append(point)
            raise Killed(point)
        return result

    monkeypatch.setattr(obj, name, dying)


def _decide(harness, approval_id: str, decision: str = "approve") -> tuple[int, dict]:
    body = json.dumps({"decision": decision, "comment": "ok"}).encode()
    return approval_service(harness.adapters).decide_api(approval_id, BEARER, body)


def _trail(harness, approval_id: str) -> dict:
    records = [r for r in harness.adapters.audit.for_incident("inc-9") if r.detail.get("approval_id") == approval_id]
    return {"decisions": [r.detail["decision"] for r in records if r.kind == "approval"],
            "deliveries": [r.detail["delivery"] for r in records if r.kind == "approval_delivery"],
            "chain_ok": harness.adapters.audit.verify_chain("quiet_harbor").ok}


@pytest.mark.parametrize("run", range(REPEAT))
@pytest.mark.parametrize("point", sample(POINTS, ["after_decide", "after_send"]))
def test_given_approve_dies_at_each_point_then_a_retry_resumes_once_with_the_decision_on_record(pending, monkeypatch,
                                                                                                 point, run):
    harness, sfn, approval_id = pending
    _kill_at(point, monkeypatch, harness, sfn)
    with pytest.raises(Killed):
        _decide(harness, approval_id)
    status, body = _decide(harness, approval_id)  # the approver clicks again (or Slack retries)
    assert len(sfn.taken) == 1 and sfn.recorded_first == [True], (point, sfn.taken)  # once, and on record first
    trail = _trail(harness, approval_id)
    assert trail["decisions"] == ["approved"] and trail["chain_ok"], trail
    assert len(trail["deliveries"]) == 1, trail
    if point in BEFORE_SEND:  # the retry delivered it
        assert status == 200 and trail["deliveries"] == ["delivered"], (status, body, trail)
    elif point == "after_send":  # the resend was refused: the earlier send had been taken
        assert status == 409 and "stands" in body["error"] and sfn.refused == 1, body
    else:  # it was all done but a record: 409 as for any second decision, the record completed
        assert status == 409 and body["status"] == "approved", body
    assert harness.adapters.approvals.undelivered(approval_id) is None


@pytest.mark.parametrize("run", range(REPEAT))
@pytest.mark.parametrize("point", sample(BEFORE_SEND, ["after_decision_record"]))
def test_given_approve_dies_before_the_send_and_nobody_retries_then_the_timeout_records_it(pending, monkeypatch,
                                                                                            point, run):
    harness, sfn, approval_id = pending
    _kill_at(point, monkeypatch, harness, sfn)
    with pytest.raises(Killed):
        _decide(harness, approval_id)
    service = approval_service(harness.adapters)
    assert service.expire_for({"incident_id": "inc-9"}) == []  # decided, so not expired ...
    trail = _trail(harness, approval_id)
    assert sfn.taken == {} and trail["decisions"] == ["approved"] and trail["chain_ok"], trail
    assert len(trail["deliveries"]) == 1 and "timeout" in trail["deliveries"][0], trail  # ... and said so
    assert _decide(harness, approval_id)[0] == 409 and sfn.taken == {}  # a late click resumes nothing
