"""Issue 11 item 7: an approved fix that failed left the connection paused, its notice carried a raw Python
stackTrace and did not say the connection stays paused. A failed plan now says what state it left and what the
human must do, and never shows a stack trace."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from fivetran_recovery.config import RecoveryConfig
from fivetran_recovery.workflow.notify import NotifyService, plain_cause

CAUSE = json.dumps({"errorMessage": "404 Not Found on PATCH /v1/connections/lunar_pebble/schemas",
                    "errorType": "NotFoundError", "requestId": "r-1",
                    "stackTrace": ['  File "/var/task/app.py", line 40, in lambda_handler\n']})


class Audit:
    def __init__(self, actions: list[str]):
        self.records = [SimpleNamespace(kind="action", detail={"action": a}) for a in actions]
        self.appended: list[dict] = []

    def for_incident(self, incident_id: str) -> list:
        return self.records

    def append(self, **record) -> None:
        self.appended.append(record)


class Dispatcher:
    def __init__(self):
        self.notices = []

    def post(self, notice):
        self.notices.append(notice)
        return {"outbox": "ref"}, {}


def escalate(actions: list[str]) -> tuple[str, Audit]:
    audit, dispatcher = Audit(actions), Dispatcher()
    service = NotifyService(config=RecoveryConfig(), approvals=None, records=None, audit=audit,
                            dispatcher=dispatcher, clock=lambda: datetime.now(UTC))
    workflow = {"incident_id": "inc-1", "connection_id": "lunar_pebble", "rca": {"summary": "schema changed"},
                "decision": {"reasons": []}, "dry_run": [], "error": {"Error": "NotFoundError", "Cause": CAUSE}}
    service.handle({"kind": "escalation", "workflow": workflow})
    [notice] = dispatcher.notices
    return json.dumps(notice.model_dump(mode="json")), audit


def test_given_a_paused_connection_when_the_plan_fails_then_the_notice_says_it_stays_paused_without_a_trace():
    text, audit = escalate(["pause", "update_schema_config"])
    assert "stackTrace" not in text and "lambda_handler" not in text and "/var/task" not in text
    assert "NotFoundError: 404 Not Found on PATCH /v1/connections/lunar_pebble/schemas" in text
    assert "stays paused" in text and "resume it in Fivetran" in text
    assert "stackTrace" not in json.dumps(audit.appended)


def test_given_no_pause_left_when_the_plan_fails_then_it_says_nothing_was_left_changed():
    text, _ = escalate(["pause", "resume"])
    assert "stays paused" not in text and "No step left the connection changed" in text
    assert plain_cause("not json") == "not json"


class Records:
    def __init__(self):
        self.statuses, self.summaries = [], []

    def write_summary(self, incident_id, summary):
        self.summaries.append(summary)

    def release_lock(self, connection_id, incident_id):
        return True

    def set_status(self, incident_id, status, note):
        self.statuses.append((status, note))


def close(outcome: str, *, wait_for_human: bool) -> tuple[Records, Dispatcher]:
    records, dispatcher = Records(), Dispatcher()
    service = NotifyService(config=RecoveryConfig(), approvals=None, records=records, audit=Audit([]),
                            dispatcher=dispatcher, clock=lambda: datetime.now(UTC))
    workflow = {"incident_id": "inc-oauth", "connection_id": "amber_falcon", "rca": {"summary": "token expired"},
                "decision": {"path": "auto", "reasons": []}, "dry_run": [], "outcome": outcome,
                "plan": {"verification": {"wait_for_human": wait_for_human}}, "event": {},
                "playbook": {"id": "reauthorize_credentials", "version": 1, "title": "Re-authorise"}}
    service.handle({"kind": "closed", "workflow": workflow})
    return records, dispatcher


def test_given_a_fix_waiting_for_the_owner_when_verification_runs_out_then_open_not_escalated():
    """Issue 11 item 7: an OAuth incident was announced "escalated: the fix did not verify", then "Recovered"."""
    records, dispatcher = close("verification_failed", wait_for_human=True)
    [(status, note)] = records.statuses
    assert status == "remediating" and "stays open" in note
    assert "did not verify" not in dispatcher.notices[0].title and "escalated" not in dispatcher.notices[0].title
    records, _ = close("verification_failed", wait_for_human=False)
    assert records.statuses[0][0] == "escalated"
