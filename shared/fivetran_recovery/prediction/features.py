"""What a connection's recent syncs say, measured against its own baseline over days, not its last ten syncs.

Durations and write times are compared with the same time slot on earlier days (business hours, night, weekend,
Monday morning each have their own baseline), so a Monday backlog or the nightly quiet is not a trend; trends are
Theil-Sen slopes over daily medians, so one spike that fades moves them little. Counts (retries, reschedules,
warnings of every kind, failures) are compared with their own rate over the baseline days.
"""

from __future__ import annotations

import math
import re
import statistics
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from fivetran_recovery.prediction.syncs import SyncRecord

WINDOW = timedelta(days=8)
RECENT = timedelta(hours=24)
BASELINE_GAP = timedelta(hours=48)  # baselines end two days back, so a trend under way does not raise its own bar
CREDENTIAL_WORDS = ("token", "expir", "credential", "oauth", "reauth", "re_auth", "reconnect", "password")
HARMLESS_KINDS = frozenset({"table_excluded_by_system"})  # Fivetran's own notice, not a problem (FACTS.md 4)
_DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)(?:[ T](\d\d:\d\d))?")
_SIZE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(MB|GB)\b")
SURPRISE_HOURS = (3, 6, 12, 24)
FAILURE_HOURS = (24, 48, 168)


@dataclass
class WarningTrend:
    kind: str
    recent: int  # in the last 24 h
    per_day_before: float  # rate over the baseline days
    persistence: float = 0.0  # share of the last 24 h's syncs that logged it (a burst that fades stays low)


@dataclass
class Profile:
    syncs_seen: int = 0
    interval_hours: float | None = None
    hours_since_success: float | None = None
    hours_since_activity: float | None = None
    ever_succeeded: bool = False
    consecutive_failures: int = 0
    reschedules_without_success: int = 0
    failure_runs_7d: int = 0
    failure_runs_48h: int = 0
    hours_since_failure: float | None = None
    reschedules_recent: int = 0
    reschedules_before_per_day: float = 0.0
    retries_recent: float = 0.0  # per sync, last 3 syncs
    retries_before: float = 0.0  # per sync, baseline days
    retries_rising: bool = False
    retry_persistence: float = 0.0  # share of the last 12 h's syncs with retries, minus that share before
    duration_level: float | None = None  # log ratio of the last 24 h to the slot baseline
    duration_slope: float | None = None  # log per day, Theil-Sen over daily medians
    write_level: float | None = None  # write time per row written, so volume growth alone does not move it
    write_slope: float | None = None
    volume_level: float | None = None
    volume_slope: float | None = None
    per_row_level: float | None = None  # sync time per row: the source or the pipe slowing, not more data
    per_row_slope: float | None = None
    days_of_history: float = 0.0
    warnings: list[WarningTrend] = field(default_factory=list)
    credential_warning: str | None = None
    credential_deadline: datetime | None = None
    # what the tree model reads besides the above (prediction/inputs.py), each a plain measurement
    retries_24h: float = 0.0  # per finished sync, last 24 h
    retries_6h: float = 0.0
    retries_last3: int = 0  # retries in the last three finished syncs, summed
    retry_share_24h: float = 0.0  # share of the last 24 h's syncs with any retry
    retry_share_before: float = 0.0  # the same share over the baseline days
    retry_surprise: dict[int, float] = field(default_factory=dict)  # hours -> -log10 P(so many retries | usual rate)
    retry_trend_24h: float = 0.0  # retries per sync per hour over the last 24 h (least squares)
    reschedules_6h: int = 0
    reschedule_surprise: dict[int, float] = field(default_factory=dict)
    failures: dict[int, int] = field(default_factory=dict)  # hours -> failed syncs in the last so many hours
    finished: dict[int, int] = field(default_factory=dict)  # hours -> finished (not rescheduled) syncs
    duration_long: float = 0.0  # log ratio of the last 24 h to the same slots 5-8 days back, before any trend
    volume_long: float = 0.0
    write_long: float = 0.0
    per_row_long: float = 0.0
    lag_mb: float = 0.0  # the latest size (MB) a warning of the last 24 h states, e.g. replication slot lag
    lag_mb_per_hour: float = 0.0  # its Theil-Sen slope over the last 24 h
    lag_hours: float = 0.0  # since the first such warning of the last 24 h


def _slot(t: datetime) -> int:
    """Time-of-week class: Monday morning, weekend, or one of six 4-hour slots of a weekday."""
    if t.weekday() == 0 and t.hour < 12:
        return 0
    if t.weekday() >= 5:
        return 1
    return 2 + t.hour // 4


def _theil_sen(points: list[tuple[float, float]]) -> float | None:
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1:] if x2 > x1]
    return statistics.median(slopes) if slopes else None


def _seasonal(values: list[tuple[datetime, float]], now: datetime) -> tuple[float | None, float | None]:
    """(level, slope): the last 24 h's median log value over its slot baseline, and the trend per day."""
    if len(values) < 6:
        return None, None
    by_slot: dict[int, list[float]] = {}
    for at, value in values:
        if at <= now - BASELINE_GAP:
            by_slot.setdefault(_slot(at), []).append(value)
    everything = [v for vs in by_slot.values() for v in vs]
    if len(everything) < 4:
        return None, None
    overall = statistics.median(everything)
    base = {slot: statistics.median(vs) if len(vs) >= 2 else overall for slot, vs in by_slot.items()}
    residuals = [(at, value - base.get(_slot(at), overall)) for at, value in values]
    recent = [r for at, r in residuals if at > now - RECENT]
    # the last 24 h, but no higher than the last three syncs: a spike that already faded is not a level
    level = min(statistics.median(recent), statistics.median(recent[-3:])) if recent else None
    daily: dict[int, list[float]] = {}
    for at, r in residuals:
        daily.setdefault(int((now - at) / RECENT), []).append(r)
    points = [(-float(day), statistics.median(rs)) for day, rs in daily.items() if day < 6]
    return level, _theil_sen(points) if len(points) >= 3 else None


def _interval(records: list[SyncRecord]) -> float | None:
    starts = [r.started_at for r in records if r.started_at and not r.rescheduled][-50:]
    gaps = [(b - a).total_seconds() / 3600 for a, b in pairwise(starts) if b > a]
    return statistics.median(gaps) if gaps else None


def _failure_runs(records: list[SyncRecord], since: datetime) -> tuple[int, datetime | None]:
    runs, previous_failed, last = 0, False, None
    for record in records:
        if record.status is None or record.rescheduled:
            continue
        if record.failed:
            last = record.at
            if not previous_failed and record.at and record.at > since:
                runs += 1
        previous_failed = record.failed
    return runs, last


def _warning_trends(records: list[SyncRecord], now: datetime, baseline_days: float) -> list[WarningTrend]:
    recent: dict[str, int] = {}
    before: dict[str, int] = {}
    syncs_with: dict[str, int] = {}
    recent_syncs = 0
    for record in records:
        if record.at is None:
            continue
        is_recent = record.at > now - RECENT
        recent_syncs += is_recent
        bucket = recent if is_recent else before
        for kind, count in record.warning_types.items():
            if kind != "retry_api_call":
                bucket[kind] = bucket.get(kind, 0) + count
                if is_recent:
                    syncs_with[kind] = syncs_with.get(kind, 0) + 1
    days = max(baseline_days, 1.0)
    return sorted((WarningTrend(k, recent.get(k, 0), before.get(k, 0) / days,
                                syncs_with.get(k, 0) / recent_syncs if recent_syncs >= 2 else 0.0)
                   for k in {*recent, *before}), key=lambda w: w.kind)


def _credential(records: list[SyncRecord], now: datetime) -> tuple[str | None, datetime | None]:
    """A warning kind that names an expiring credential in the last 24 h, and the date it gives, if any."""
    for record in reversed(records):
        if record.at is None or record.at < now - RECENT:
            break
        for kind in record.warning_types:
            if is_credential_kind(kind):
                return kind, deadline_in(record.warning_messages)
    return None, None


def is_credential_kind(kind: str) -> bool:
    return any(word in kind.lower() for word in CREDENTIAL_WORDS)


def deadline_in(messages: list[str]) -> datetime | None:
    """The first date (and time) a warning states; used only for the risk and lead-time estimate, never to decide
    what an action touches."""
    for message in messages:
        match = _DATE.search(message)
        if match:
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError:
                continue
            # "expires on D": some time that day; with no time given, its middle is the unbiased guess
            hour, minute = (int(match.group(2)[:2]), int(match.group(2)[3:])) if match.group(2) else (12, 0)
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return None


def _last_success(records: list[SyncRecord]) -> SyncRecord | None:
    return next((r for r in reversed(records) if r.succeeded and r.at), None)


def _streaks(records: list[SyncRecord]) -> tuple[int, int]:
    """(failed syncs in a row at the end, non-flush reschedules since the last success)."""
    failures = reschedules = 0
    counting_failures = True
    for record in reversed(records):
        if record.succeeded:
            break
        if record.rescheduled:
            reschedules += 1
        elif record.failed and counting_failures:
            failures += 1
        elif record.status is not None:
            counting_failures = False
    return failures, reschedules


def _retries(out: Profile, window: list[SyncRecord], before: list[SyncRecord], now: datetime) -> None:
    finished = [r for r in window if r.status is not None]
    last3 = finished[-3:]
    lately = [r for r in finished if r.at > now - timedelta(hours=6)]
    sample = lately if len(lately) > 3 else last3
    out.retries_recent = sum(r.retries for r in sample) / len(sample) if sample else 0.0
    out.retries_before = sum(r.retries for r in before) / len(before) if before else 0.0
    out.retries_rising = len(last3) == 3 and last3[0].retries < last3[1].retries <= last3[2].retries
    half_day = [r for r in finished if r.at > now - timedelta(hours=12)]
    if len(half_day) >= 2 and before:
        out.retry_persistence = (sum(r.retries > 0 for r in half_day) / len(half_day)
                                 - sum(r.retries > 0 for r in before) / len(before))


def _trends(out: Profile, window: list[SyncRecord], now: datetime) -> None:
    """Levels and day-over-day trends against the slot baselines, and against the same slots a week back."""
    good = [r for r in window if r.status == "SUCCESSFUL" and r.duration_seconds]
    durations = [(r.at, math.log(r.duration_seconds + 1)) for r in good]
    writes = [(r.at, math.log(r.write_seconds + 1) - math.log(r.records + 1)) for r in good if r.write_seconds]
    volumes = [(r.at, math.log(r.records + 1)) for r in good if r.records]
    per_row = [(r.at, math.log(r.duration_seconds + 1) - math.log(r.records + 1)) for r in good if r.records]
    out.duration_level, out.duration_slope = _seasonal(durations, now)
    out.write_level, out.write_slope = _seasonal(writes, now)
    out.volume_level, out.volume_slope = _seasonal(volumes, now)
    out.per_row_level, out.per_row_slope = _seasonal(per_row, now)
    out.duration_long, out.volume_long = _long_ratio(durations, now), _long_ratio(volumes, now)
    out.write_long, out.per_row_long = _long_ratio(writes, now), _long_ratio(per_row, now)


def _long_ratio(values: list[tuple[datetime, float]], now: datetime) -> float:
    """Median log value of the last 24 h over the same slots 5-8 days back: how far a trend has come in total
    (the slot baselines end two days back, so a trend of several days has already raised them)."""
    old: dict[int, list[float]] = {}
    for at, value in values:
        if at <= now - timedelta(days=5):
            old.setdefault(_slot(at), []).append(value)
    if sum(len(v) for v in old.values()) < 3:
        return 0.0
    overall = statistics.median([v for vs in old.values() for v in vs])
    recent = [value - (statistics.median(old[_slot(at)]) if len(old.get(_slot(at), [])) >= 2 else overall)
              for at, value in values if at > now - RECENT]
    return statistics.median(recent) if recent else 0.0


def poisson_surprise(k: float, lam: float) -> float:
    """-log10 P(X >= k) for X ~ Poisson(lam): how surprising k events are at the usual rate."""
    if k <= 0:
        return 0.0
    lam = max(lam, 1e-3)
    term, cdf = math.exp(-lam), 0.0
    for i in range(int(k)):
        cdf += term
        term *= lam / (i + 1)
    return -math.log10(max(1 - cdf, 1e-12))


def _least_squares(points: list[tuple[float, float]]) -> float:
    if len(points) < 3:
        return 0.0
    mx, my = statistics.fmean(x for x, _ in points), statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def _extras(out: Profile, window: list[SyncRecord], now: datetime) -> None:
    """Retries against their usual rate as Poisson surprise, failures per horizon, a size warnings state."""
    hours_ago = {id(r): (now - r.at).total_seconds() / 3600 for r in window}
    finished = [r for r in window if r.status is not None and not r.rescheduled]
    day = [r for r in finished if hours_ago[id(r)] < 24]
    before = [r for r in finished if hours_ago[id(r)] >= 24]
    six = [r for r in finished if hours_ago[id(r)] < 6]
    out.retries_24h = sum(r.retries for r in day) / len(day) if day else 0.0
    out.retries_6h = sum(r.retries for r in six) / len(six) if six else out.retries_24h
    out.retries_last3 = sum(r.retries for r in finished[-3:])
    out.retry_share_24h = sum(r.retries > 0 for r in day) / len(day) if day else 0.0
    out.retry_share_before = sum(r.retries > 0 for r in before) / len(before) if before else 0.0
    usual = (sum(r.retries for r in before) + 0.5) / (len(before) + 5)
    for hours in SURPRISE_HOURS:
        sub = [r for r in finished if hours_ago[id(r)] < hours]
        out.retry_surprise[hours] = poisson_surprise(sum(r.retries for r in sub), usual * len(sub))
    out.retry_trend_24h = _least_squares([(-hours_ago[id(r)], r.retries) for r in day])
    per_day = (sum(r.rescheduled for r in window if hours_ago[id(r)] >= 24) + 0.5) / max(out.days_of_history - 1, 1)
    for hours in (6, 24):
        k = sum(r.rescheduled for r in window if hours_ago[id(r)] < hours)
        out.reschedule_surprise[hours] = poisson_surprise(k, per_day * hours / 24)
    out.reschedules_6h = sum(r.rescheduled for r in window if hours_ago[id(r)] < 6)
    for hours in FAILURE_HOURS:
        sub = [r for r in finished if hours_ago[id(r)] < hours]
        out.failures[hours], out.finished[hours] = sum(r.failed for r in sub), len(sub)
    sizes = [(-hours_ago[id(r)], _size_mb(m)) for r in window if hours_ago[id(r)] < 24 for m in r.warning_messages]
    sizes = [(h, mb) for h, mb in sizes if mb is not None]
    if sizes:
        out.lag_mb, out.lag_hours = sizes[-1][1], -sizes[0][0]
        out.lag_mb_per_hour = (_theil_sen(sizes[-20:]) or 0.0) if len(sizes) >= 3 else 0.0


def _size_mb(message: str) -> float | None:
    match = _SIZE.search(message)
    if not match:
        return None
    return float(match.group(1).replace(",", "")) * (1024 if match.group(2) == "GB" else 1)


def profile(records: list[SyncRecord], now: datetime) -> Profile:
    """The profile of one connection as of `now` from its syncs in time order (syncs after `now` are ignored)."""
    times = [r.at for r in records]
    records = records[: bisect_right(times, now)] if all(times) else [r for r in records if r.at and r.at <= now]
    out = Profile(syncs_seen=len(records))
    if not records:
        return out
    last_success = _last_success(records)
    out.ever_succeeded = last_success is not None
    out.hours_since_success = (now - last_success.at).total_seconds() / 3600 if last_success else None
    out.hours_since_activity = (now - records[-1].at).total_seconds() / 3600
    out.consecutive_failures, out.reschedules_without_success = _streaks(records)
    window = [r for r in records[-2000:] if r.at and r.at > now - WINDOW]
    out.interval_hours = _interval(window or records[-50:])
    first = window[0].at if window else now
    out.days_of_history = (now - first).total_seconds() / 86400
    baseline_days = max(out.days_of_history - 1, 0.0)
    out.failure_runs_7d, last_failure = _failure_runs(window, now - timedelta(days=7))
    out.failure_runs_48h, _ = _failure_runs(window, now - timedelta(hours=48))
    out.hours_since_failure = (now - last_failure).total_seconds() / 3600 if last_failure else None
    recent = [r for r in window if r.at > now - RECENT]
    before = [r for r in window if r.at <= now - RECENT]
    out.reschedules_recent = sum(r.rescheduled for r in recent)
    out.reschedules_before_per_day = sum(r.rescheduled for r in before) / max(baseline_days, 1.0)
    _retries(out, window, before, now)
    _extras(out, window, now)
    _trends(out, window, now)
    out.warnings = _warning_trends(window, now, baseline_days)
    out.credential_warning, out.credential_deadline = _credential(window, now)
    return out
