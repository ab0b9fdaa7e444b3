"""Verification verdicts from Fivetran's own timestamps, and the post-incident summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fivetran_recovery.audit import GENESIS_HASH, AuditRecord
from fivetran_recovery.fivetran import Connection
from fivetran_recovery.verification import evaluate
from fivetran_recovery.workflow.summary import build_summary, summary_facts

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE = {"succeeded_at": (T0 - timedelta(hours=1)).isoformat(), "failed_at": T0.isoformat()}


def connection(**fields) -> Connection:
    data = {
        "id": "c1",
        "paused": False,
        "succeeded_at": BASE["succeeded_at"],
        "failed_at": BASE["failed_at"],
        "status": {"setup_state": "connected", "sync_state": "scheduled", "update_state": "on_schedule"},
    }
    status = fields.pop("status", {})
    data.update(fields)
    data["status"].update(status)
    return Connection.model_validate(data)


def test_given_no_new_sync_then_pending() -> None:
    assert evaluate(connection(), since=BASE, plan={})["verdict"] == "pending"


def test_given_a_new_success_and_healthy_state_then_verified() -> None:
    result = evaluate(connection(succeeded_at=(T0 + timedelta(minutes=5)).isoformat()), since=BASE, plan={})
    assert result["verdict"] == "verified" and all(result["checks"].values())


def test_given_a_new_failure_then_failed_unless_waiting_for_a_human() -> None:
    failed = connection(failed_at=(T0 + timedelta(minutes=5)).isoformat())
    assert evaluate(failed, since=BASE, plan={})["verdict"] == "failed"
    assert evaluate(failed, since=BASE, plan={"wait_for_human": True})["verdict"] == "pending"


def test_given_success_but_still_paused_broken_or_delayed_then_not_verified() -> None:
    new = (T0 + timedelta(minutes=5)).isoformat()
    for state in ({"paused": True}, {"status": {"setup_state": "broken"}}, {"status": {"update_state": "delayed"}}):
        assert evaluate(connection(succeeded_at=new, **state), since=BASE, plan={})["verdict"] == "pending", state


def _record(seq: int, kind: str, at: datetime, actor: str = "remediate", **detail) -> AuditRecord:
    return AuditRecord(
        chain_id="c1",
        seq=seq,
        incident_id="inc-1",
        recorded_at=at.isoformat(),
        kind=kind,
        actor=actor,
        detail=detail,
        prev_hash=GENESIS_HASH,
    )


def test_summary_has_timeline_approvals_and_times() -> None:
    workflow = {
        "incident_id": "inc-1",
        "connection_id": "c1",
        "started_at": (T0 + timedelta(seconds=4)).isoformat(),
        "event": {"created": T0.isoformat()},
        "playbook": {"id": "p", "version": 1},
        "decision": {"path": "approval"},
        "rca": {"summary": "boom"},
    }
    records = [
        _record(1, "workflow_started", T0 + timedelta(seconds=5), path="approval", playbook={"id": "p"}),
        _record(
            2,
            "approval",
            T0 + timedelta(seconds=60),
            actor="ana",
            decision="approved",
            source="api",
            approval_id="apr-1",
            decided_at=(T0 + timedelta(seconds=60)).isoformat(),
        ),
        _record(
            3,
            "action",
            T0 + timedelta(seconds=62),
            step=0,
            action="sync_now",
            calls=[{"path": "/v1/connections/c1/sync"}],
            result={"detail": "sync triggered", "writes": 1},
        ),
        _record(4, "verification", T0 + timedelta(seconds=400), actor="verify", status="verified", attempt=2),
    ]
    summary = build_summary(workflow, records, "verified", T0 + timedelta(seconds=401))
    assert summary["time_to_detect_seconds"] == 4.0
    assert summary["time_to_first_action_seconds"] == 62.0
    assert summary["time_to_recover_seconds"] == 400.0
    assert summary["approvals"] == [
        {"approval_id": "apr-1", "decision": "approved", "by": "ana", "at": (T0 + timedelta(seconds=60)).isoformat()}
    ]
    assert summary["fivetran_write_calls"] == 1
    assert [t["kind"] for t in summary["timeline"]] == ["workflow_started", "approval", "action", "verification"]
    assert summary_facts(summary)["Time to recover"] == "400.0 s"
