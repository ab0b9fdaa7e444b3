"""Crash injection for notify (issue 13): each workflow notice (monitor, approval timeout, escalation, the closing
summary) with the invocation killed after its intent, after the send, after its record, and (the close) after the
lock is released; notify is then invoked again as the state machine retries it. Checked: each channel got the
notice once (the outbox and Slack look it up by its dedupe key; Slack through the message metadata), the notice
is on record once, the incident reaches its terminal status and its lock is released, the chain verifies; a
channel that cannot tell is sent it again and the record says so."""

from __future__ import annotations

import json

import httpx
import pytest
from crash_points import REPEAT, Killed, sample
from pydantic import SecretStr
from test_remediation import workflow_for

from fivetran_recovery.composition.notify import notify_service
from fivetran_recovery.notifiers import Dispatcher, OutboxNotifier, SlackNotifier

RECORDS = {"monitor": "recommendation", "approval_timeout": "approval_timed_out", "escalation": "escalation",
           "closed": "summary", "failure_branch": "failure_branch"}
POINTS = ["after_intent", "after_send", "after_record"]


def _event(harness, kind: str) -> dict:
    workflow = workflow_for(harness, mode="monitor" if kind == "monitor" else "auto")
    workflow["error"] = {"Error": "States.TaskFailed", "Cause": "boom"}
    workflow["outcome"] = "error_escalated"
    return {"kind": kind, "workflow": workflow}


def _kill_after(point: str, monkeypatch, harness, kind: str, channel) -> None:
    audit, fired = harness.adapters.audit, []
    wanted = {"after_intent": "notice_intent", "after_record": RECORDS[kind]}
    if point == "after_send":
        obj, name, when = channel, "post", lambda *a, **k: True
    elif point == "after_release":
        obj, name, when = harness.adapters.records, "release_lock", lambda *a, **k: True
    else:
        obj, name, when = audit, "append", lambda **k: k["kind"] == wanted[point]
    real = getattr(obj, name)

    def dying(*args, **kwargs):
        result = real(*args, **kwargs)
        if when(*args, **kwargs) and not fired:
            fired.append(point)
            raise Killed(point)
        return result

    monkeypatch.setattr(obj, name, dying)


def _run(harness, event: dict) -> dict:
    for _ in range(3):
        try:
            return notify_service(harness.adapters).handle(event)
        except Killed:
            continue  # the state machine retries a killed invocation
    raise AssertionError("notify did not settle")


def _recorded(harness, kind: str) -> list:
    return [r for r in harness.adapters.audit.for_incident("inc-1") if r.kind == RECORDS[kind]]


CASES = [(kind, point) for kind in sorted(RECORDS) for point in POINTS] + [("closed", "after_release")]


SMALL = [("escalation", "after_intent"), ("closed", "after_record"), ("failure_branch", "after_send")]


@pytest.mark.parametrize("run", range(REPEAT))
@pytest.mark.parametrize(("kind", "point"), sample(CASES, SMALL))
def test_given_notify_dies_at_each_point_then_the_notice_goes_out_once_and_is_on_record(harness, monkeypatch, kind,
                                                                                        point, run):
    event = _event(harness, kind)
    if kind == "closed":
        assert harness.adapters.records.acquire_lock("quiet_harbor", "inc-1", 600)[0]
    _kill_after(point, monkeypatch, harness, kind, harness.outbox)
    _run(harness, event)
    posts = [m for m in harness.outbox.messages if m["op"] == "post" and m["notice"]["incident_id"] == "inc-1"]
    assert len(posts) == 1, [p["notice"]["title"] for p in posts]  # sent once
    records = _recorded(harness, kind)
    assert len(records) == 1, records  # on record once
    if kind != "failure_branch":  # its notices are the steps' (their refs in `ran`)
        assert records[0].detail["channels"] == ["outbox"], records[0].detail
    if point == "after_intent" and kind != "failure_branch":  # the intent, not the send: looked up, then sent
        assert records[0].detail["reconciled"] == {"outbox": "not there: sent"}, records[0].detail
    if point == "after_send" and kind != "failure_branch":
        assert records[0].detail["reconciled"] == {"outbox": "found: not sent again"}, records[0].detail
    if kind == "closed":
        assert harness.adapters.records.lock_holder("quiet_harbor") is None  # released
    assert harness.adapters.audit.verify_chain("quiet_harbor").ok


class FakeSlack:
    """chat.postMessage keeps the message with its metadata; conversations.history returns them, newest first."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("chat.postMessage"):
            body = json.loads(request.content)
            ts = f"1700000000.{len(self.messages):04d}"
            self.messages.append({"ts": ts, "text": body["text"], "metadata": body.get("metadata")})
            return httpx.Response(200, json={"ok": True, "channel": "C1", "ts": ts})
        if request.url.path.endswith("conversations.history"):
            assert request.url.params["include_all_metadata"] == "true"
            return httpx.Response(200, json={"ok": True, "messages": list(reversed(self.messages))})
        return httpx.Response(200, json={"ok": False, "error": "unknown_method"})


class NoLookup(OutboxNotifier):
    """A channel that cannot tell whether it has a notice (as Jira or ServiceNow here)."""

    name = "tickets"
    find = None


def test_given_slack_and_a_channel_that_cannot_tell_when_notify_dies_after_the_send_then_slack_once(harness,
                                                                                                    monkeypatch):
    fake = FakeSlack()
    slack = SlackNotifier(bot_token=SecretStr("xoxb-test"), channel="C1",
                          http_client=httpx.Client(transport=httpx.MockTransport(fake)))
    blind = NoLookup()
    harness.adapters.override(dispatcher=Dispatcher([slack, blind]))
    _kill_after("after_send", monkeypatch, harness, "escalation", blind)  # after both sends
    _run(harness, _event(harness, "escalation"))
    assert len(fake.messages) == 1 and fake.messages[0]["metadata"]["event_type"] == "fivetran_recovery_notice"
    assert len(blind.messages) == 2  # it could not tell: sent again, and said so
    record = _recorded(harness, "escalation")[0].detail
    assert record["reconciled"] == {"slack": "found: not sent again", "tickets": "cannot tell: sent again"}, record


def test_given_the_approval_request_dies_after_posting_then_it_is_on_record_and_the_close_expires_it(harness,
                                                                                                      monkeypatch):
    """RequestApproval is not retried (a new invocation would get a new task token): the task fails, the
    workflow escalates and closes. The request was on record before it went out, and the close expires it."""
    workflow = workflow_for(harness, mode="recommend")
    _kill_after("after_send", monkeypatch, harness, "closed", harness.outbox)
    with pytest.raises(Killed):
        notify_service(harness.adapters).handle({"kind": "approval_request", "workflow": workflow,
                                                 "task_token": "task-token-1"})
    [approval_id] = harness.adapters.records.approval_ids("inc-1")
    records = harness.adapters.audit.for_incident("inc-1")
    assert [r.detail["notice"] for r in records if r.kind == "notice_intent"] == ["approval_request"]
    assert not [r for r in records if r.kind == "approval_requested"]  # it died before its own record
    close = {**workflow, "error": {"Error": "Lambda.Unknown", "Cause": "killed"}, "outcome": "error_escalated"}
    _run(harness, {"kind": "escalation", "workflow": close})
    _run(harness, {"kind": "closed", "workflow": close})
    assert harness.adapters.approvals.get(approval_id)["status"] == "expired"  # a late click decides nothing
    assert _recorded(harness, "closed")[0].detail["approvals_expired"] == [approval_id]
    requests = [m for m in harness.outbox.messages if m["op"] == "post" and m["notice"]["kind"] == "approval_request"]
    assert len(requests) == 1 and harness.adapters.audit.verify_chain("quiet_harbor").ok
