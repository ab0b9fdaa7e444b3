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
    assert assessment.signals["failure_rate"] == 0


def test_given_latency_creeping_up_with_retries_when_assessed_then_high_risk_before_any_failure():
    durations = [10, 10, 11, 10, 10, 25, 40, 60]
    rows = [r for i, d in enumerate(durations) for r in _sync_rows("creep", i, d, "SUCCESSFUL", retries=i // 3)]
    [assessment] = assess_connections(syncs_from_log(read_log_rows(_jsonl(rows))))
    assert assessment.signals["consecutive_failures"] == 0
    assert assessment.signals["duration_trend"] > 3
    assert assessment.level == "high", assessment
    assert any("latency" in reason for reason in assessment.reasons)


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
    assert assessment.signals["reschedules"] == 0 and assessment.level == "low"


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
    assert lines and all({"connection_id", "risk", "level", "reasons", "signals"} <= set(line) for line in lines)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    failed = subprocess.run([sys.executable, "-m", "local.cli", "predict", "--log", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2 and "bad.jsonl:1" in failed.stderr
