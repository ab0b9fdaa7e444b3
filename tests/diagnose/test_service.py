"""The diagnose use case on a real Triage with in-memory stores; Fivetran, RCA and Step Functions are fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from diagnose_rig import T0, Rig, failure

from fivetran_recovery.diagnose.service import SweepError, execution_name
from fivetran_recovery.models.diagnosis import Category, Diagnosis
from fivetran_recovery.models.webhook import WebhookEvent


def test_given_schema_failure_when_handled_then_diagnosed_once_and_one_workflow_started():
    rig = Rig()
    outcome = rig.service.handle(failure("c1", 0))
    assert outcome.action == "open" and outcome.execution
    assert outcome.diagnosis.category is Category.SCHEMA_DRIFT
    assert list(rig.started) == [execution_name(outcome.incident_id)] and rig.deep_calls == 1


def test_given_workflow_start_failed_when_event_redelivered_then_the_workflow_starts_once():
    rig = Rig()
    event = failure("c1", 0)
    rig.fail_start = 1
    with pytest.raises(ConnectionError):
        rig.service.handle(event)  # the record fails; SQS redelivers it
    assert rig.started == {}
    retry = rig.service.handle(event)
    assert retry.execution and len(rig.started) == 1
    third = rig.service.handle(event)  # another redelivery: the workflow exists, nothing new starts
    assert third.execution is None and len(rig.started) == 1


def test_given_incident_closed_during_diagnosis_when_acting_then_no_workflow_starts():
    rig = Rig()
    connection = "c1"

    def deep(event, incident, quick):
        success = WebhookEvent.model_validate({
            "event": "sync_end", "created": (T0 + timedelta(seconds=5)).isoformat(), "connector_id": connection,
            "sync_id": "ok", "destination_group_id": "bq", "data": {"status": "SUCCESSFUL"}})
        rig.triage.process(success, Diagnosis.unknown(), now=T0 + timedelta(seconds=5))  # a sync heals it meanwhile
        return quick, {}

    rig.service.deep_diagnose = deep
    outcome = rig.service.handle(failure(connection, 0))
    assert outcome.execution is None and rig.started == {}


def test_given_two_confirmed_incidents_when_one_fails_in_the_sweep_then_the_other_still_starts():
    rig = Rig()
    blip = "Error: Connection Error - Connection Reset by Peer"  # corpus ft-078: network, retryable -> held
    rig.service.handle(failure("c1", 0, blip))
    rig.service.handle(failure("c2", 0, blip))
    assert rig.started == {}
    rig.now = T0 + timedelta(seconds=120)
    rig.fail_start = 1
    with pytest.raises(SweepError):
        rig.service.sweep()
    assert len(rig.started) == 1


def test_given_success_then_the_snapshot_hook_sees_the_history_and_a_failing_hook_does_not_fail_the_event():
    rig = Rig()
    seen: list[tuple[str, list]] = []
    rig.service.after_success = lambda connection, recent: seen.append((connection, recent)) or True
    rig.service.handle(failure("c1", 0))
    rig.service.handle(failure("c1", 30, reason="", status="SUCCESSFUL"))
    [(connection, recent)] = seen
    assert connection == "c1" and [r.category for r in recent] == ["schema_drift"]

    def broken(connection, recent):
        raise RuntimeError("DynamoDB throttled")

    rig.service.after_success = broken
    assert rig.service.handle(failure("c2", 60, reason="", status="SUCCESSFUL")).action  # still handled


def test_given_sweep_then_schema_snapshots_are_swept_too():
    rig = Rig()
    calls = []
    rig.service.snapshot_sweep = lambda: calls.append(1) or 0
    rig.service.sweep()
    assert calls == [1]
