"""A failed verification runs the playbook's low-risk rollback through the same executor as remediate, with an
audit record per step; the rollback of a risky playbook waits for approval; a verified incident rolls nothing back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from fivetran_recovery.fivetran import Connection
from fivetran_recovery.remediation.auto_rollback import rollback_runner
from fivetran_recovery.verification.service import VerificationService

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def connection(**fields) -> Connection:
    data = {"id": "c1", "paused": True, "succeeded_at": (T0 - timedelta(hours=1)).isoformat(),
            "failed_at": T0.isoformat(),
            "status": {"setup_state": "connected", "sync_state": "scheduled", "update_state": "on_schedule"}}
    data.update(fields)
    return Connection.model_validate(data)


class FakeFivetran:
    def __init__(self, state: Connection):
        self.state, self.calls = state, []

    def get_connection(self, connection_id):
        return self.state

    def resume(self, connection_id):
        self.calls.append(("resume", connection_id))
        self.state = self.state.model_copy(update={"paused": False})


class FakeAudit:
    def __init__(self):
        self.records = []

    def append(self, **record):
        self.records.append(SimpleNamespace(**record))

    def for_incident(self, incident_id):
        return []


def workflow(rollback_risk: str) -> dict:
    return {
        "incident_id": "inc-1", "connection_id": "c1",
        "playbook": {"id": "schema_change_breaking", "version": 1},
        "decision": {"path": "approval"},
        "plan": {"steps": [], "verification": {"kind": "next_sync_succeeded"},
                 "rollback": [{"index": 0, "action": "resume", "risk": rollback_risk, "writes": True,
                               "calls": [{"kind": "fivetran_api", "method": "PATCH", "path": "/v1/connections/c1",
                                          "body": {"paused": False}}]}]},
    }


def service(fivetran, audit) -> VerificationService:
    records = SimpleNamespace(record_outcome=lambda *a, **k: True, set_status=lambda *a: None)
    return VerificationService(audit=audit, records=records, fivetran=fivetran, warehouse=None,
                               rollback=rollback_runner(fivetran=fivetran, audit=audit, clock=lambda: T0))


def test_given_a_failed_verification_and_a_low_risk_rollback_then_it_runs_and_is_audited() -> None:
    fivetran = FakeFivetran(connection(failed_at=(T0 + timedelta(minutes=5)).isoformat()))
    audit = FakeAudit()
    answer = service(fivetran, audit).verify(workflow("low"), attempt=5, max_attempts=3)
    assert answer["status"] == "failed" and [r["status"] for r in answer["rollback"]] == ["done"]
    assert fivetran.calls == [("resume", "c1")]
    kinds = [r.kind for r in audit.records]
    assert kinds == ["verification", "action_intent", "action", "rollback"]  # the intent before the call
    action = audit.records[2].detail
    assert action["rollback"] is True and action["before"]["paused"] is True and action["after"]["paused"] is False


def test_given_a_risky_rollback_or_a_verified_incident_then_nothing_runs() -> None:
    fivetran = FakeFivetran(connection(failed_at=(T0 + timedelta(minutes=5)).isoformat()))
    audit = FakeAudit()
    answer = service(fivetran, audit).verify(workflow("high"), attempt=5, max_attempts=3)
    assert answer["rollback"] == [] and fivetran.calls == []
    assert [r.kind for r in audit.records] == ["verification", "rollback_needs_approval"]
    healthy = FakeFivetran(connection(paused=False, succeeded_at=(T0 + timedelta(minutes=5)).isoformat()))
    answer = service(healthy, FakeAudit()).verify(workflow("low"), attempt=1, max_attempts=3)
    assert answer["status"] == "verified" and "rollback" not in answer and healthy.calls == []
