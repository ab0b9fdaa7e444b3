"""Remediate as a service: no write without the policy allowing it, a retried step acts once, one workflow per
connection, and the audit trail holds before/after state."""

from __future__ import annotations

import pytest

from fivetran_recovery.composition.remediate import remediation_service
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.playbooks.registry import default_registry
from fivetran_recovery.remediation import PolicyViolation, StepInProgress, StepUnresolved
from fivetran_recovery.workflow import build_workflow_input

BLIP = Diagnosis(category="network", pattern="transient_network_blip", retryable=True, confidence=0.9)


def workflow_for(
    harness,
    *,
    mode: str = "auto",
    playbook: str = "retry_with_backoff",
    incident: str = "inc-1",
    connection: str = "quiet_harbor",
    diagnosis: Diagnosis = BLIP,
    snapshot: dict | None = None,
) -> dict:
    return build_workflow_input(
        incident_id=incident,
        connection_id=connection,
        diagnosis=diagnosis,
        playbook=default_registry().get(playbook),
        mode=mode,
        criticality="normal",
        connection=harness.sim.connection(connection),
        event={"event": "sync_end", "created": "2026-01-01T00:00:00Z"},
        settings=harness.adapters.settings,
        config=harness.adapters.config,
        schema_config=harness.sim.schema_config(connection) if snapshot else None,
        snapshot=snapshot,
    )


def at_step(workflow: dict, index: int, **state) -> dict:
    return {**workflow, "cursor": {"index": index}, **state}


def test_given_monitor_path_when_a_write_step_is_asked_then_refused_and_nothing_written(harness) -> None:
    workflow = workflow_for(harness, mode="monitor")
    service = remediation_service(harness.adapters)
    with pytest.raises(PolicyViolation):
        service.step(at_step(workflow, 1))  # step 1 is sync_now
    assert harness.write_calls("quiet_harbor") == []


def test_given_approval_required_step_without_recorded_approval_then_refused(harness) -> None:
    workflow = workflow_for(harness, mode="recommend")
    service = remediation_service(harness.adapters)
    forged = {"status": "approved", "approval_id": "apr-forged", "approved_by": "mallory"}
    with pytest.raises(PolicyViolation, match="not on record"):
        service.step(at_step(workflow, 1, approval=forged))
    with pytest.raises(PolicyViolation):
        service.step(at_step(workflow, 1))
    assert harness.write_calls("quiet_harbor") == []


def test_given_approval_of_another_incident_then_refused(harness) -> None:
    workflow = workflow_for(harness, mode="recommend")
    other = harness.adapters.approvals.create(
        incident_id="inc-other",
        connection_id="quiet_harbor",
        task_token="tok",
        timeout_seconds=600,
        playbook_id="retry_with_backoff",
        planned_actions=[],
        rca={},
        reasons=[],
    )
    harness.adapters.approvals.decide(
        other["approval_id"], decision="approved", approver="ana", source="api", comment=""
    )
    with pytest.raises(PolicyViolation):
        remediation_service(harness.adapters).step(
            at_step(workflow, 1, approval={"approval_id": other["approval_id"], "status": "approved"})
        )
    assert harness.write_calls("quiet_harbor") == []


def test_given_a_step_retried_when_it_already_acted_then_it_acts_once(harness) -> None:
    workflow = workflow_for(harness)
    service = remediation_service(harness.adapters)
    first = service.step(at_step(workflow, 1))
    again = service.step(at_step(workflow, 1))
    assert first["status"] == "done" and again["replayed"] is True
    assert [w["path"] for w in harness.write_calls("quiet_harbor")] == ["/v1/connections/quiet_harbor/sync"]
    actions = [r for r in harness.adapters.audit.for_incident("inc-1") if r.kind == "action"]
    assert len(actions) == 1
    assert actions[0].detail["before"]["sync_state"] and "after" in actions[0].detail
    assert actions[0].detail["calls"][0]["path"] == "/v1/connections/quiet_harbor/sync"


def test_given_a_step_claimed_by_a_running_invocation_then_in_progress(harness) -> None:
    workflow = workflow_for(harness)
    harness.adapters.ledger.claim("inc-1#step#1", repeatable=True)
    with pytest.raises(StepInProgress):
        remediation_service(harness.adapters).step(at_step(workflow, 1))
    assert harness.write_calls("quiet_harbor") == []


def test_given_fivetran_refuses_when_step_fails_then_a_retry_may_act(harness) -> None:
    # more 500s than the client's own bounded retries: the step fails, Fivetran answered, so it did not act
    harness.sim.faults.add("server_error", method="POST", path="/quiet_harbor/sync", status=500, count=4)
    workflow = workflow_for(harness)
    service = remediation_service(harness.adapters)
    with pytest.raises(Exception, match="500"):
        service.step(at_step(workflow, 1))
    assert service.step(at_step(workflow, 1))["status"] == "done"
    statuses = [w["status"] for w in harness.write_calls("quiet_harbor")]
    assert statuses == [500, 500, 500, 500, 200]
    assert any(r.kind == "action_failed" for r in harness.adapters.audit.for_incident("inc-1"))


def test_given_unresolved_step_when_run_then_refused_before_any_call(harness) -> None:
    diagnosis = Diagnosis(category="schema_drift", pattern="column_type_change", retryable=False, confidence=0.9)
    workflow = workflow_for(harness, playbook="schema_change_breaking", connection="lunar_pebble", diagnosis=diagnosis)
    approval = harness.adapters.approvals.create(
        incident_id="inc-1",
        connection_id="lunar_pebble",
        task_token="tok",
        timeout_seconds=600,
        playbook_id="schema_change_breaking",
        planned_actions=[],
        rca={},
        reasons=[],
    )
    harness.adapters.approvals.decide(
        approval["approval_id"], decision="approved", approver="ana", source="api", comment=""
    )
    with pytest.raises(StepUnresolved):
        remediation_service(harness.adapters).step(
            at_step(workflow, 2, approval={"approval_id": approval["approval_id"], "status": "approved"})
        )
    assert harness.write_calls("lunar_pebble") == []


def test_given_two_incidents_on_one_connection_then_only_one_workflow_runs(harness) -> None:
    service = remediation_service(harness.adapters)
    assert service.begin(workflow_for(harness, incident="inc-a"))["proceed"] is True
    second = service.begin(workflow_for(harness, incident="inc-b"))
    assert second["proceed"] is False and second["lock_held_by"] == "inc-a"
    assert service.begin(workflow_for(harness, incident="inc-a"))["proceed"] is True  # a retried begin
    harness.adapters.records.release_lock("quiet_harbor", "inc-a")
    assert service.begin(workflow_for(harness, incident="inc-b"))["proceed"] is True


def test_given_incomplete_setup_when_begin_then_not_auto_fixed(harness) -> None:
    harness.sim._get("quiet_harbor").setup_state = "incomplete"
    result = remediation_service(harness.adapters).begin(workflow_for(harness))
    assert result["proceed"] is False and "incomplete" in result["reason"]


def _history(harness, event: str, minutes_ago: float = 1.0) -> None:
    import uuid
    from datetime import timedelta

    from fivetran_recovery.stores.base import HistoryRecord

    at = harness.sim.now() - timedelta(minutes=minutes_ago)
    harness.adapters.history.record(
        HistoryRecord(connection_id="quiet_harbor", at=at, event=event, event_key=uuid.uuid4().hex)
    )


def test_given_a_recent_human_edit_webhook_when_begin_then_automation_stops(harness) -> None:
    _history(harness, "edit_connector", minutes_ago=3)
    result = remediation_service(harness.adapters).begin(workflow_for(harness))
    assert result["proceed"] is False and "edit_connector" in result["reason"]


def _breaking_after_our_pause(harness, extra_pause_webhooks: int) -> dict:
    diagnosis = Diagnosis(category="schema_drift", pattern="column_type_change", retryable=False, confidence=0.9)
    known_good = harness.sim.schema_config("quiet_harbor")
    schema = next(iter(known_good["schemas"].values()))
    next(iter(schema["tables"].values())).setdefault("columns", {})["dropped_at_source"] = {"enabled": True}
    workflow = workflow_for(harness, playbook="schema_change_breaking", diagnosis=diagnosis, snapshot=known_good)
    service = remediation_service(harness.adapters)
    assert service.begin(workflow)["proceed"] is True
    assert service.step(at_step(workflow, 0))["status"] == "done"  # our protective pause
    for _ in range(1 + extra_pause_webhooks):  # Fivetran's webhook for our pause (+ any human pauses)
        _history(harness, "pause_connector", minutes_ago=0)
    approval = harness.adapters.approvals.create(
        incident_id="inc-1",
        connection_id="quiet_harbor",
        task_token="tok",
        timeout_seconds=600,
        playbook_id="schema_change_breaking",
        planned_actions=[],
        rca={},
        reasons=[],
    )
    harness.adapters.approvals.decide(
        approval["approval_id"], decision="approved", approver="ana", source="api", comment=""
    )
    approved = {"approval_id": approval["approval_id"], "status": "approved"}
    return service.step(at_step(workflow, 3, approval=approved))  # resume


def test_given_our_own_pause_webhook_when_next_step_runs_then_not_mistaken_for_a_human(harness) -> None:
    assert _breaking_after_our_pause(harness, extra_pause_webhooks=0)["status"] == "done"
    assert [w["body"] for w in harness.write_calls("quiet_harbor")] == [{"paused": True}, {"paused": False}]


def test_given_a_second_pause_webhook_when_next_step_runs_then_a_human_is_assumed_and_it_stops(harness) -> None:
    result = _breaking_after_our_pause(harness, extra_pause_webhooks=1)
    assert result["status"] == "blocked" and "pause_connector" in result["detail"]
    assert [w["body"] for w in harness.write_calls("quiet_harbor")] == [{"paused": True}]


def test_given_the_audit_write_fails_after_acting_when_retried_then_it_does_not_act_again(harness) -> None:
    from fivetran_recovery.audit import AuditError

    workflow = workflow_for(harness)
    real_append = harness.adapters.audit.append

    def failing_append(**kwargs):
        if kwargs["kind"] == "action":
            raise AuditError("audit write failed: ProvisionedThroughputExceededException")
        return real_append(**kwargs)

    harness.adapters.audit.append = failing_append
    with pytest.raises(AuditError):
        remediation_service(harness.adapters).step(at_step(workflow, 1))
    harness.adapters.audit.append = real_append
    again = remediation_service(harness.adapters).step(at_step(workflow, 1))
    assert again["replayed"] is True
    assert [w["path"] for w in harness.write_calls("quiet_harbor")] == ["/v1/connections/quiet_harbor/sync"]
