"""Failure prediction from Platform Connector LOG rows."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fivetran_recovery.prediction import LogRowError, assess_connections, read_log_rows, syncs_from_log

DATA = Path(__file__).resolve().parent.parent / "data" / "prediction"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _sync_rows(connection: str, index: int, minutes: float, status: str, reason: str = "", retries: int = 0):
    start = T0 + timedelta(hours=index)
    sync_id = f"{connection}-{index}"
    rows = [{"id": f"{sync_id}-s", "time_stamp": start.isoformat(), "connection_id": connection, "event": "INFO",
             "message_event": "sync_start", "message_data": "", "sync_id": sync_id}]
    rows += [{"id": f"{sync_id}-w{i}", "time_stamp": (start + timedelta(minutes=1)).isoformat(),
              "connection_id": connection, "event": "WARNING", "message_event": "warning", "sync_id": sync_id,
              "message_data": json.dumps({"type": "retry_api_call", "message": "Retrying after 30 seconds."})}
             for i in range(retries)]
    data = {"status": status, **({"reason": reason} if reason else {})}
    rows.append({"id": f"{sync_id}-e", "time_stamp": (start + timedelta(minutes=minutes)).isoformat(),
                 "connection_id": connection, "event": "INFO" if status == "SUCCESSFUL" else "SEVERE",
                 "message_event": "sync_end", "message_data": json.dumps(data), "sync_id": sync_id})
    return rows


def _jsonl(rows) -> str:
    return "\n".join(json.dumps(r) for r in rows)


def test_given_steady_successful_syncs_when_assessed_then_low_risk():
    rows = [r for i in range(8) for r in _sync_rows("steady", i, 10, "SUCCESSFUL")]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))), now=T0 + timedelta(hours=9))
    assert assessment.level == "low" and assessment.risk < 0.2
    assert assessment.signals["failure_runs_7d"] == 0 and assessment.lead_time_hours is None


def test_given_durations_growing_day_over_day_when_assessed_then_high_with_the_trend_as_reason():
    durations = [10.0] * 72 + [10.0 * 1.6 ** ((i + 1) / 24) for i in range(72)]  # steady 3 days, then +60%/day
    rows = [r for i, d in enumerate(durations) for r in _sync_rows("growing", i, d, "SUCCESSFUL")]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))), now=T0 + timedelta(hours=145))
    assert assessment.level == "high", assessment
    assert assessment.kind == "growth" and "sync durations up" in assessment.reasons[0]
    assert assessment.lead_time_hours is not None and assessment.lead_time_hours > 0


def test_given_a_spike_that_fades_when_assessed_then_not_high():
    durations = [10.0] * 140 + [45.0, 50.0, 12.0, 10.0]
    rows = [r for i, d in enumerate(durations) for r in _sync_rows("spiky", i, d, "SUCCESSFUL")]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))), now=T0 + timedelta(hours=145))
    assert assessment.level == "low", assessment


def test_given_retries_climbing_and_reschedules_when_assessed_then_quota_with_a_short_lead():
    rows = [r for i in range(96) for r in _sync_rows("quota", i, 10, "SUCCESSFUL", retries=int(i == 50))]
    rows += [r for i, n in enumerate((2, 4, 6)) for r in _sync_rows("quota", 96 + i, 12, "SUCCESSFUL", retries=n)]
    rows += [r for i in range(2) for r in _sync_rows("quota", 99 + i, 1, "RESCHEDULED", "waiting for API quota")]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))), now=T0 + timedelta(hours=102))
    assert assessment.level == "high" and assessment.kind == "quota", assessment
    assert "rescheduled" in assessment.reasons[0] and assessment.lead_time_hours <= 6


def test_given_twelve_reschedules_and_no_success_when_assessed_then_high():
    rows = [r for i in range(12) for r in _sync_rows("stuck", i, 1, "RESCHEDULED", "waiting for API quota")]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))), now=T0 + timedelta(hours=13))
    assert assessment.level == "high" and assessment.risk > 0.9, assessment


def test_given_a_connection_long_past_its_last_success_when_assessed_then_high_and_stale():
    rows = [r for i in range(5) for r in _sync_rows("stale", i * 24, 10, "SUCCESSFUL")]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))), now=T0 + timedelta(hours=43_614))
    assert assessment.level == "high" and assessment.kind == "stale"
    assert "43,5" in assessment.reasons[0] and assessment.lead_time_hours == 0


def test_given_a_warned_credential_expiry_when_assessed_then_the_lead_time_is_the_stated_date():
    expiry = (T0 + timedelta(hours=100)).date().isoformat()  # today: its middle is 8 h after now
    rows = [r for i in range(100) for r in _sync_rows("oauth", i, 10, "SUCCESSFUL")]
    rows.append({"id": "w", "time_stamp": (T0 + timedelta(hours=99, minutes=2)).isoformat(), "connection_id": "oauth",
                 "event": "WARNING", "message_event": "warning", "sync_id": "oauth-99",
                 "message_data": json.dumps({"type": "oauth_token_expiring", "message": f"Token expires on {expiry}."})})
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))), now=T0 + timedelta(hours=100))
    assert assessment.kind == "credential" and assessment.level == "high", assessment
    assert assessment.lead_time_hours == 8 and expiry in assessment.reasons[0]


def test_given_repeated_failures_when_ranked_then_failing_connection_comes_first():
    rows = [r for i in range(6) for r in _sync_rows("ok", i, 10, "SUCCESSFUL")]
    rows += [r for i in range(6) for r in _sync_rows("bad", i, 10, "SUCCESSFUL" if i < 3 else "FAILURE", "boom")]
    ranked = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))))
    assert [a.connection_id for a in ranked] == ["bad", "ok"]
    assert ranked[0].signals["consecutive_failures"] == 3 and ranked[0].level == "high"


def test_given_priority_first_flush_reschedules_when_assessed_then_not_counted_as_failures():
    reason = "We have rescheduled the connection to force flush data. This is intended behavior."
    rows = [r for i in range(6) for r in _sync_rows("flush", i, 10, "RESCHEDULED" if i % 2 else "SUCCESSFUL", reason)]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))))
    assert assessment.signals["reschedules_24h"] == 0 and assessment.level == "low"


def test_given_fivetrans_own_seed_csv_when_read_then_every_connection_is_assessed():
    rows = list(read_log_rows((DATA / "platform_connector_log_seed.csv").read_text()))
    assert len(rows) == 35
    assessments = assess_connections(syncs_from_log(rows))
    assert {a.connection_id for a in assessments} == {r.connection_id for r in rows}
    assert all(0 <= a.risk <= 1 for a in assessments)


@pytest.mark.parametrize("text, problem", [
    ('{"id": "1", "time_stamp": "not a time", "connection_id": "c", "event": "INFO"}', "time_stamp"),
    ('{"id": "1", "time_stamp": "2026-01-01T00:00:00Z"}', "connection_id"),
    ("id,time_stamp\n1,2026-01-01", "lacks column"),
    ('{"id": "1",', "not JSON"),
])
def test_given_bad_rows_when_read_then_error_names_the_problem(text, problem):
    with pytest.raises(LogRowError, match=problem):
        list(read_log_rows(text, source="rows.jsonl"))


def test_given_cli_when_run_on_seed_then_one_json_line_per_connection(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "local.cli", "predict", "--log", str(DATA / "platform_connector_log_seed.csv")],
        capture_output=True, text=True, check=True, timeout=60,
    )
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert lines and all({"connection_id", "risk", "level", "reasons", "signals", "lead_time_hours"} <= set(line)
                         for line in lines)
    stale = next(line for line in lines if line["connection_id"] == "this_connection")
    assert stale["level"] == "high" and stale["lead_time_hours"] == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    failed = subprocess.run([sys.executable, "-m", "local.cli", "predict", "--log", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2 and "bad.jsonl:1" in failed.stderr
