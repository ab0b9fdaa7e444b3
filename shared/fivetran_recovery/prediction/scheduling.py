"""Cost-aware schedule recommendations: what a longer sync interval (or a daily sync at a chosen hour) saves, and
what freshness it costs at the moments the data is actually read downstream.

- Cost: each sync has a fixed overhead (connect, list, extract setup, load, merge) plus time per row. Fitting
  duration = a + b * rows over the connection's recent successful syncs gives both; rows per day do not change
  with the interval (incremental syncs move what changed), so a longer interval saves (syncs/day saved) * a sync
  minutes per day. Where the fit is not possible, the median duration is the overhead (an upper bound).
- Freshness: for every read of the connection's tables in the query-times table (from the warehouse's query
  history), the data's age at that moment under a schedule is the time since the last sync ended before it. The
  recommendation keeps the 90th percentile of that age within the freshness budget.
- Destination load: a daily sync is put at the hour before the first reads that is least busy in the
  warehouse (fewest reads, i.e. queries, at that hour), so heavy loads stay off the peak.
- Risk: a predicted quota exhaustion or growth toward a timeout favours the longer interval and is named.
Recommendations only: they are applied through the policy gate (playbook `apply_schedule_recommendation`).
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from pydantic import BaseModel, Field

from fivetran_recovery.prediction.syncs import SyncRecord

ALLOWED_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)  # FACTS.md 2.2
DEFAULT_BUDGET_MINUTES = 120.0
RELIEVED_BY_LONGER = frozenset({"quota", "growth", "slowdown", "destination"})


class Recommendation(BaseModel):
    connection_id: str
    current_minutes: int
    recommended_minutes: int
    daily_sync_time: str | None = Field(None, description="HH:00 UTC, for a daily schedule")
    syncs_per_day_saved: float
    sync_minutes_per_day_saved: float
    saving_share: float = Field(description="share of today's sync minutes saved")
    freshness_p90_minutes_before: float | None
    freshness_p90_minutes_after: float | None
    reads_seen: int
    reasons: list[str]


def _interval(records: Sequence[SyncRecord]) -> int | None:
    starts = [r.started_at for r in records if r.started_at and not r.rescheduled][-60:]
    gaps = sorted((b - a).total_seconds() / 60 for a, b in pairwise(starts) if b > a)
    if not gaps:
        return None
    median = statistics.median(gaps)
    return min(ALLOWED_FREQUENCIES, key=lambda f: abs(f - median))


def cost_model(records: Sequence[SyncRecord]) -> tuple[float, float, float] | None:
    """(overhead minutes per sync, minutes per row, rows per sync) by least squares over successful syncs."""
    points = [(float(r.records), r.duration_seconds / 60) for r in records[-200:]
              if r.status == "SUCCESSFUL" and r.duration_seconds]
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx > 0 else 0.0
    overhead = my - slope * mx
    if slope < 0 or overhead < 0:  # no usable relation: all of the median is treated as overhead
        return statistics.median(ys), 0.0, mx
    return overhead, slope, mx


def _ages(reads: Sequence[datetime], finished: list[datetime]) -> list[float]:
    """Age of the data (minutes since the last sync ended) at each read; `finished` is sorted."""
    ages = []
    for read in reads:
        i = bisect_right(finished, read)
        if i:
            ages.append((read - finished[i - 1]).total_seconds() / 60)
    return ages


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def _simulated_ends(start: datetime, end: datetime, minutes: int, duration: float, anchor: datetime,
                    hour: int | None = None) -> list[datetime]:
    """Sync end times over [start, end] under a schedule keeping the connection's own phase (`anchor`, its
    latest sync start), or a daily one at `hour`."""
    if hour is not None:
        anchor = anchor.replace(hour=hour, minute=0, second=0, microsecond=0)
    step = timedelta(minutes=minutes)
    t = anchor - step * ((anchor - start) // step + 1)
    out = []
    while t <= end:
        out.append(t + timedelta(minutes=duration))
        t += step
    return out


def _quiet_hour(reads: Sequence[datetime], duration: float) -> int:
    """The hour for a daily sync: finished before the day's first reads, at the least busy such hour."""
    if not reads:
        return 3
    by_hour = [0] * 24
    for read in reads:
        by_hour[read.hour] += 1
    first_read = min(h for h in range(24) if by_hour[h])
    lead = int(duration // 60) + 1
    candidates = [(first_read - lead - k) % 24 for k in range(0, 6)]
    return min(candidates, key=lambda h: (by_hour[h], candidates.index(h)))


def recommend(connection_id: str, records: Sequence[SyncRecord], reads: Sequence[datetime], *,
              now: datetime, current_minutes: int | None = None, risk_kind: str | None = None,
              budget_minutes: float = DEFAULT_BUDGET_MINUTES, window: timedelta = timedelta(days=14)
              ) -> Recommendation | None:
    """The longest allowed interval whose read-time freshness stays within budget, if it saves anything."""
    current = current_minutes or _interval(records)
    model = cost_model(records)
    if current is None or model is None or current >= ALLOWED_FREQUENCIES[-1]:
        return None
    overhead, per_row, rows = model
    duration = overhead + per_row * rows
    reads = [r for r in reads if now - window <= r <= now]
    start = now - window
    anchor = max((r.started_at for r in records if r.started_at), default=now)
    before = _p90(_ages(reads, _simulated_ends(start, now, current, duration, anchor)))
    limit = max((before or 0.0) + budget_minutes, budget_minutes)
    chosen, hour, after = current, None, before
    for minutes in (f for f in ALLOWED_FREQUENCIES if f > current):
        if not reads and minutes > 360:
            break  # nothing read it lately: sync every 6 h rather than guess further
        daily_hour = _quiet_hour(reads, duration) if minutes == 1440 else None
        p90 = _p90(_ages(reads, _simulated_ends(start, now, minutes, duration, anchor, daily_hour)))
        if not reads or (p90 is not None and p90 <= limit):  # the longest interval within budget wins
            chosen, hour, after = minutes, daily_hour, p90
    if chosen == current:
        return None
    saved_syncs = 1440 / current - 1440 / chosen
    saved_minutes = saved_syncs * overhead
    total = 1440 / current * duration
    reasons = [f"each sync costs about {overhead:.1f} min of fixed overhead (+{per_row * 1000:.3f} min per 1,000 rows)"]
    reasons.append(f"{len(reads)} reads of its tables in {window.days} days: the data is {after or 0:.0f} min old at "
                   f"90% of them on the new schedule (now {before or 0:.0f} min)" if reads else
                   f"no reads of its tables in {window.days} days")
    if hour is not None:
        reasons.append(f"one daily sync at {hour:02d}:00 UTC, before the first reads, at the warehouse's quietest "
                       "such hour")
    if risk_kind in RELIEVED_BY_LONGER:
        reasons.append(f"fewer syncs also relieve the predicted {risk_kind} failure")
    return Recommendation(
        connection_id=connection_id, current_minutes=current, recommended_minutes=chosen,
        daily_sync_time=f"{hour:02d}:00" if hour is not None else None,
        syncs_per_day_saved=round(saved_syncs, 2), sync_minutes_per_day_saved=round(saved_minutes, 1),
        saving_share=round(saved_minutes / total, 3) if total else 0.0,
        freshness_p90_minutes_before=round(before, 1) if before is not None else None,
        freshness_p90_minutes_after=round(after, 1) if after is not None else None,
        reads_seen=len(reads), reasons=reasons)
