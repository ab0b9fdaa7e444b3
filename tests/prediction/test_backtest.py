"""The fleet generator and the backtest's metrics (the full-size run is bench/predict_backtest.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from fivetran_recovery.prediction.log_rows import LogReader
from fivetran_recovery.prediction.syncs import SyncBuilder
from local.predict_fleet import generate_fleet, to_csv_lines

BENCH = Path(__file__).resolve().parents[2] / "bench" / "predict_backtest.py"


@pytest.fixture(scope="module")
def backtest():
    spec = importlib.util.spec_from_file_location("predict_backtest", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fleet():
    return generate_fleet(11, connections=12, days=12)


def test_given_a_seed_when_generated_twice_then_the_same_history(fleet):
    again = generate_fleet(11, connections=12, days=12)
    assert [(r.id, r.time_stamp, r.message_data) for r in again.rows()] == [
        (r.id, r.time_stamp, r.message_data) for r in fleet.rows()]
    assert any(s.status != "SUCCESSFUL" for history in fleet.syncs.values() for s in history)


def test_given_a_generated_fleet_when_written_as_csv_and_read_back_then_the_same_syncs(fleet):
    rows = list(fleet.rows())
    read = list(LogReader(to_csv_lines(rows)))
    assert len(read) == len(rows)
    direct, parsed = SyncBuilder().add_all(rows).result(), SyncBuilder().add_all(read).result()
    assert {c: [(s.sync_id, s.status, s.retries) for s in v] for c, v in direct.items()} == {
        c: [(s.sync_id, s.status, s.retries) for s in v] for c, v in parsed.items()}


def test_given_known_scores_when_measured_then_auc_and_average_precision_match_hand_computed(backtest):
    pairs = [(0.9, True), (0.8, False), (0.7, True), (0.1, False)]
    assert backtest.roc_auc(pairs) == pytest.approx(0.75)
    assert backtest.average_precision(pairs) == pytest.approx((1 / 1 + 2 / 3) / 2)
    tied = [(0.5, True), (0.5, False)]
    assert backtest.roc_auc(tied) == pytest.approx(0.5) and backtest.average_precision(tied) == pytest.approx(0.5)


def test_given_a_small_fleet_when_replayed_then_only_healthy_connections_are_scored_and_rows_after_t_unseen(
        backtest, fleet):
    seen_cases = list(backtest.cases(fleet, 12))
    assert seen_cases
    for _, cut, _, seen, _, failure_at, _ in seen_cases:
        assert all(r.at is None or r.at <= cut for r in seen)
        finished = [r for r in seen if r.status and not r.rescheduled and r.ended_at and r.ended_at <= cut]
        assert finished and not finished[-1].failed
        assert failure_at is None or cut < failure_at
    results = backtest.evaluate(backtest.replay(fleet, 12))
    assert 0 <= results["predictor"]["auc"] <= 1 and results["_counts"]["scored"] == len(seen_cases)
