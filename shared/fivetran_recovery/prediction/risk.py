"""Risk of the next sync failing, from signals a data engineer would look at, each explained in a reason.

The score is a logistic of weighted signals; the weights are set by hand from the failure modes in
DESIGN.md (repeated failures, latency creeping up before a failure, retries piling up, long silence) and are
documented here rather than learned: there is no labelled outcome data yet to fit them to.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, Field

from fivetran_recovery.prediction.syncs import SyncRecord

WINDOW = 10
WEIGHTS = {
    "bias": -3.0,
    "failure_rate": 3.0,
    "consecutive_failures": 0.9,
    "duration_trend": 1.6,
    "retry_warnings": 0.35,
    "reschedules": 0.4,
}
LEVELS = ((0.7, "high"), (0.4, "medium"), (0.0, "low"))


class RiskAssessment(BaseModel):
    connection_id: str
    risk: float = Field(ge=0, le=1)
    level: str
    reasons: list[str]
    signals: dict[str, float | int | str | None]


def _duration_trend(records: list[SyncRecord]) -> float | None:
    """Recent mean duration over the median of the ones before (1.0 = steady); None without enough data."""
    durations = [d for d in (r.duration_seconds for r in records) if d is not None]
    if len(durations) < 5:
        return None
    recent, baseline = durations[-3:], durations[:-3]
    base = statistics.median(baseline)
    return round(statistics.fmean(recent) / base, 3) if base > 0 else None


def _consecutive_failures(records: list[SyncRecord]) -> int:
    count = 0
    for record in reversed(records):
        if record.rescheduled or (record.status is None and not record.severe):  # rescheduled, or still running
            continue
        if not record.failed:
            break
        count += 1
    return count


def assess_syncs(connection_id: str, records: list[SyncRecord], *, now: datetime | None = None) -> RiskAssessment:
    recent = [r for r in records if r.status or r.started_at][-WINDOW:]
    finished = [r for r in recent if r.status and not r.rescheduled]
    failure_rate = sum(r.failed for r in finished) / len(finished) if finished else 0.0
    consecutive = _consecutive_failures(recent)
    trend = _duration_trend(recent)
    retries = sum(r.retries for r in recent[-3:])
    reschedules = sum(r.rescheduled for r in recent)
    last_success = max((r.at for r in recent if r.status == "SUCCESSFUL" and r.at), default=None)

    z = WEIGHTS["bias"] + WEIGHTS["failure_rate"] * failure_rate
    z += WEIGHTS["consecutive_failures"] * min(consecutive, 4)
    z += WEIGHTS["duration_trend"] * max(0.0, min((trend or 1.0) - 1.0, 3.0))
    z += WEIGHTS["retry_warnings"] * min(retries, 6) + WEIGHTS["reschedules"] * min(reschedules, 4)
    risk = round(1 / (1 + math.exp(-z)), 3)

    reasons = []
    if consecutive:
        reasons.append(f"last {consecutive} sync(s) failed in a row")
    if failure_rate >= 0.2:
        reasons.append(f"{failure_rate:.0%} of the last {len(finished)} finished syncs failed")
    if trend and trend >= 1.5:
        reasons.append(f"recent syncs take {trend:.1f}x their usual time (latency creeping up)")
    if retries >= 2:
        reasons.append(f"{retries} API call retries logged in the last 3 syncs")
    if reschedules >= 2:
        reasons.append(f"{reschedules} syncs rescheduled (source rate limits)")
    if not reasons:
        reasons.append("no warning signs in recent syncs")
    level = next(name for floor, name in LEVELS if risk >= floor)
    return RiskAssessment(
        connection_id=connection_id,
        risk=risk,
        level=level,
        reasons=reasons,
        signals={
            "syncs_seen": len(recent),
            "failure_rate": round(failure_rate, 3),
            "consecutive_failures": consecutive,
            "duration_trend": trend,
            "retry_warnings": retries,
            "reschedules": reschedules,
            "last_success": last_success.isoformat() if last_success else None,
            "hours_since_success": round((now - last_success).total_seconds() / 3600, 2)
            if now and last_success else None,
        },
    )


def assess_connections(syncs: Mapping[str, list[SyncRecord]], *, now: datetime | None = None) -> list[RiskAssessment]:
    """One assessment per connection, riskiest first."""
    results = [assess_syncs(cid, records, now=now) for cid, records in syncs.items()]
    return sorted(results, key=lambda a: (-a.risk, a.connection_id))
