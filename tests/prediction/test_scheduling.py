"""Cost-aware scheduling: saving against freshness at the times data is read, applied through the policy gate."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import duckdb

from fivetran_recovery.prediction.scheduling import cost_model, recommend
from fivetran_recovery.prediction.syncs import SyncRecord
from local.predict_fleet import to_csv_lines
from tests.prediction.test_preempt import Harness

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _hourly(days: int = 14, overhead: float = 5.0, rows: int = 600) -> list[SyncRecord]:
    """Hourly syncs: `overhead` minutes plus a minute per 1,000 rows, rows varying by the hour."""
    records = []
    for i in range(days * 24):
        start = NOW - timedelta(hours=days * 24 - i)
        n = rows + (i % 5) * 200
        records.append(SyncRecord(connection_id="c", sync_id=f"s{i}", started_at=start,
                                  ended_at=start + timedelta(minutes=overhead + n / 1000), status="SUCCESSFUL",
                                  records=n))
    return records


def _reads(hours: list[int], days: int = 14) -> list[datetime]:
    base = NOW.replace(hour=0) - timedelta(days=days)
    return [base + timedelta(days=d, hours=h, minutes=5) for d in range(days) for h in hours]


def test_given_syncs_when_modelled_then_fixed_overhead_and_per_row_cost_are_recovered():
    overhead, per_row, _ = cost_model(_hourly())
    assert abs(overhead - 5.0) < 0.05 and abs(per_row * 1000 - 1.0) < 0.05


def test_given_data_read_once_a_day_at_nine_when_recommended_then_a_daily_sync_before_nine():
    rec = recommend("c", _hourly(), _reads([9]), now=NOW)
    assert rec.recommended_minutes == 1440 and rec.daily_sync_time in {f"{h:02d}:00" for h in range(2, 9)}
    assert rec.syncs_per_day_saved == 23 and abs(rec.sync_minutes_per_day_saved - 115) < 2
    assert rec.freshness_p90_minutes_after <= 7 * 60 and rec.saving_share > 0.5


def test_given_data_read_all_day_when_recommended_then_freshness_stays_within_the_budget():
    reads = [NOW - timedelta(minutes=15 * k) for k in range(14 * 96)]
    rec = recommend("c", _hourly(), reads, now=NOW, budget_minutes=120)
    assert rec is not None and 60 < rec.recommended_minutes < 1440
    assert rec.freshness_p90_minutes_after <= rec.freshness_p90_minutes_before + 120
    tight = recommend("c", _hourly(), reads, now=NOW, budget_minutes=10)
    assert tight is None


def test_given_a_recommendation_when_applied_then_it_goes_through_the_policy_gate():
    for mode, path, writes in (("auto", "approval", 0), ("monitor", "monitor", 0)):
        h = Harness(mode)
        connection = h.connection()
        rec = recommend(connection.id, _hourly(), _reads([9]), now=NOW, current_minutes=60)
        outcome = h.service.apply_schedule(rec, connection)
        assert outcome["path"] == path and len(h.sim.write_calls()) == writes and outcome["pending"]
        assert h.audit[0][2] == "schedule_recommended"


def test_given_the_cli_with_a_duckdb_query_times_table_when_run_then_recommendations_with_saving_and_freshness(
        tmp_path):
    from fivetran_recovery.prediction.log_rows import LogRow

    rows = []
    for i, record in enumerate(_hourly(days=10)):
        sid = f"s{i}"
        rows += [LogRow(f"{sid}a", record.started_at, "c", "INFO", "sync_start", {}, sid),
                 LogRow(f"{sid}r", record.ended_at, "c", "INFO", "records_modified", {"count": record.records}, sid),
                 LogRow(f"{sid}b", record.ended_at, "c", "INFO", "sync_end", {"status": "SUCCESSFUL"}, sid)]
    log = tmp_path / "log.csv"
    log.write_text("".join(to_csv_lines(rows)))
    db = tmp_path / "reads.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE query_times (connection_id VARCHAR, read_at TIMESTAMP)")
        con.executemany("INSERT INTO query_times VALUES (?, ?)", [("c", r.replace(tzinfo=None)) for r in _reads([9])])
    out = subprocess.run([sys.executable, "-m", "local.cli", "schedule", "--log", str(log), "--query-times", str(db),
                          "--now", NOW.isoformat()], capture_output=True, text=True, timeout=60, check=True)
    [line] = [json.loads(x) for x in out.stdout.splitlines()]
    assert line["connection_id"] == "c" and line["recommended_minutes"] == 1440 and line["reads_seen"] > 0
    assert line["sync_minutes_per_day_saved"] > 100 and line["freshness_p90_minutes_after"] is not None
