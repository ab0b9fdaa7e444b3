"""RecentHistory from earlier events, and the RCA package staying cheap to import."""

from __future__ import annotations

import json
import subprocess
import sys

from fivetran_recovery.models.diagnosis import Category, Diagnosis
from fivetran_recovery.rca import RecentHistory


def _webhook(day: int, status: str, reason: str = "") -> dict:
    data = {"status": status, **({"reason": reason} if reason else {})}
    return {"event": "sync_end", "created": f"2026-01-{day:02d}T00:00:00Z", "connector_id": "c1", "data": data}


def test_given_repeated_identical_failures_when_building_history_then_they_are_counted():
    events = [
        _webhook(1, "SUCCESSFUL"),
        _webhook(2, "FAILURE", "Read timed out after 3000 ms"),
        _webhook(3, "FAILURE", "Read timed out after 5000 ms"),
        {"event": "sync_start", "created": "2026-01-03T01:00:00Z"},  # not a sync_end: ignored
    ]

    history = RecentHistory.from_events(events, current_message="Read timed out after 9000 ms")

    assert history.outcomes == ["SUCCESSFUL", "FAILURE", "FAILURE"]
    assert history.same_signature_failures == 2
    assert history.consecutive_failures == 2
    assert history.last_success_at is not None and history.last_success_at.day == 1


def test_given_a_different_earlier_failure_when_building_history_then_it_is_not_the_same_signature():
    events = [_webhook(1, "FAILURE", "permission denied for table x"), _webhook(2, "SUCCESSFUL")]

    history = RecentHistory.from_events(events, current_message="Read timed out")

    assert history.same_signature_failures == 0
    assert history.previous_succeeded


def test_given_log_rows_when_building_history_then_double_encoded_statuses_are_read():
    rows = [
        {
            "time_stamp": "2026-01-01 00:00:00",
            "message_event": "sync_end",
            "message_data": json.dumps(json.dumps({"status": "FAILURE_WITH_TASK", "reason": "x"})),
        },
        {"time_stamp": "2026-01-02 00:00:00", "message_event": "api_call", "message_data": '{"method": "GET"}'},
    ]

    assert RecentHistory.from_events(rows).outcomes == ["FAILURE_WITH_TASK"]


def test_given_diagnoses_when_asked_for_confidence_then_unknown_is_never_confident():
    assert Diagnosis.unknown().is_unknown and not Diagnosis.unknown().is_confident(0.0)
    sure = Diagnosis(category=Category.NETWORK, pattern="connection_reset", retryable=True, confidence=0.8)
    assert sure.is_confident(0.7) and not sure.is_confident(0.9)


def test_given_a_cold_interpreter_when_importing_rca_then_the_anthropic_sdk_is_not_loaded():
    code = "import sys, fivetran_recovery.rca; print('anthropic' in sys.modules)"

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert result.stdout.strip() == "False"
