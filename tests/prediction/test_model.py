"""The shipped tree model: the plain-Python scores are scikit-learn's, every input is computed and explained."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fivetran_recovery.prediction import risk
from fivetran_recovery.prediction.features import Profile, profile
from fivetran_recovery.prediction.inputs import kind_of, model_inputs
from fivetran_recovery.prediction.syncs import SyncRecord
from fivetran_recovery.prediction.trees import ModelError

CHECK = Path(__file__).resolve().parent.parent / "data" / "prediction" / "model_check.json"
NOW = datetime(2026, 11, 9, 12, tzinfo=UTC)


def test_given_the_check_cases_when_scored_in_plain_python_then_scikit_learns_probabilities():
    model = risk.shipped_model()
    cases = json.loads(CHECK.read_text())["cases"]
    assert len(cases) >= 100 and any(c["probability"] > 0.5 for c in cases)
    for case in cases:
        log_odds = model.log_odds(case["inputs"])
        assert 1 / (1 + math.exp(-log_odds)) == pytest.approx(case["probability"], abs=1e-9)
        total, bias, contributions = model.explain(case["inputs"])
        assert total == pytest.approx(log_odds) and bias + sum(contributions.values()) == pytest.approx(log_odds)


def test_given_the_model_inputs_then_each_is_computed_and_belongs_to_a_mechanism():
    names = set(model_inputs(Profile(), NOW))
    assert set(risk.shipped_model().features) <= names
    background = {n for n in names if kind_of(n) == "background"}
    assert background == {"syncs_per_day", "days_of_history", "hours_since_success", "hours_since_activity"}


def _hourly(hours: int, retries=lambda i: 0, failed=lambda i: False) -> list[SyncRecord]:
    out = []
    for i in range(hours):
        start = NOW - timedelta(hours=hours - i)
        out.append(SyncRecord("c", f"s{i}", started_at=start, ended_at=start + timedelta(minutes=5),
                              status="FAILURE" if failed(i) else "SUCCESSFUL", retries=retries(i), records=1000,
                              write_seconds=60.0))
    return out


def test_given_retries_in_every_sync_and_failures_when_assessed_then_high_with_the_retries_named():
    flaky = _hourly(8 * 24, retries=lambda i: 2 if i > 150 else 0, failed=lambda i: i in (160, 170, 175, 182, 186))
    assessment = risk.assess_syncs("c", flaky, now=NOW)
    steady = risk.assess_syncs("c", _hourly(8 * 24), now=NOW)
    assert assessment.level == "high" and steady.level == "low", (assessment, steady)
    assert assessment.kind == "quota" and "2.0 API retries per sync" in assessment.reasons[0]
    assert all("on this evidence" in r for r in assessment.reasons)
    assert steady.reasons == [risk.NO_SIGNS]


def test_given_a_malformed_shipped_model_when_assessing_then_a_clear_error(tmp_path, monkeypatch):
    broken = tmp_path / "model.json"
    broken.write_text(json.dumps({"format": "fivetran-recovery/gradient-boosted-trees/1", "features": ["nope"],
                                  "base": 0.0, "trees": [{"feature": [-1], "threshold": [0.0], "left": [-1],
                                                          "right": [-1], "value": [0.0]}]}))
    monkeypatch.setattr(risk, "MODEL", broken)
    monkeypatch.setattr(risk, "_shipped", {})
    with pytest.raises(ModelError, match="reads inputs this code does not compute: nope"):
        risk.assess_syncs("c", _hourly(8 * 24), now=NOW)
    broken.write_text("[]")
    with pytest.raises(ModelError, match="not a tree model"):
        risk.assess_syncs("c", _hourly(8 * 24), now=NOW)


def test_given_a_young_connection_or_no_row_counts_when_assessed_then_the_logistic_scores_it():
    week = risk.assess_syncs("c", _hourly(8 * 24), now=NOW)
    young = risk.assess_syncs("c", _hourly(3 * 24), now=NOW)
    no_rows = _hourly(8 * 24)
    for record in no_rows:
        record.records = 0
    assert week.signals["combination"] == "trees"
    assert young.signals["combination"] == "logistic"
    assert risk.assess_syncs("c", no_rows, now=NOW).signals["combination"] == "logistic"


def test_given_the_profile_when_computed_twice_then_the_same_inputs():
    records = _hourly(5 * 24, retries=lambda i: i % 3)
    assert model_inputs(profile(records, NOW), NOW) == model_inputs(profile(records, NOW), NOW)
