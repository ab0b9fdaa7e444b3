"""The named numbers the tree model reads (prediction/model.json), and the mechanism each one is evidence for.

Every input is a plain measurement of the connection against its own history (retries per sync, failed syncs in
48 h, durations against the same hours on earlier days, ...), so a contribution along the trees' paths can be
read as "this measurement, of this mechanism, raised the risk by so much". Missing measurements take a neutral
value (no trend: 0; no failure seen: 1,000 h ago), never NaN.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import log2

from fivetran_recovery.prediction.features import FAILURE_HOURS, HARMLESS_KINDS, SURPRISE_HOURS, Profile

NEVER_HOURS = 1000.0  # "hours since" when it never happened in the window
UNDATED_CREDENTIAL_LEAD = 50.0  # a credential warning that states no date: somewhat later than one that does


def _failure_inputs(pr: Profile, per_day: float) -> dict[str, float]:
    out: dict[str, float] = {}
    for hours in FAILURE_HOURS:
        k, n = pr.failures.get(hours, 0), pr.finished.get(hours, 0)
        rate = (k + 0.05) / (n + 1)  # smoothed: no failure in few syncs is weak evidence of a low rate
        name = "7d" if hours == 168 else f"{hours}h"
        out[f"failures_{name}"] = k
        out[f"failure_rate_{name}"] = rate
        out[f"failure_chance_24h_at_{name}_rate"] = 1 - (1 - rate) ** per_day  # that rate over a day's syncs
    out["failure_runs_7d"] = pr.failure_runs_7d
    out["failure_runs_48h"] = pr.failure_runs_48h
    out["hours_since_failure"] = NEVER_HOURS if pr.hours_since_failure is None else pr.hours_since_failure
    return out


def _warning_inputs(pr: Profile) -> dict[str, float]:
    """The warning kind furthest above its own rate (harmless kinds and the credential notice aside)."""
    ratio, persistence = 0.0, 0.0
    for w in pr.warnings:
        if w.kind in HARMLESS_KINDS or w.kind == pr.credential_warning:
            continue
        r = log2((w.recent + 0.5) / (w.per_day_before + 0.5))
        if r > ratio:
            ratio, persistence = r, w.persistence
    return {"warning_ratio_log2": ratio, "warning_persistence": persistence}


def peak_hours_ahead(now: datetime) -> int:
    """Weekday business hours (09-18) in the next 24 h, when destinations are busiest."""
    ahead = (now + timedelta(hours=h) for h in range(1, 25))
    return sum(t.weekday() < 5 and 9 <= t.hour < 18 for t in ahead)


def model_inputs(pr: Profile, now: datetime) -> dict[str, float]:
    per_day = 24 / max(pr.interval_hours or 24.0, 0.25)

    def v(x: float | None) -> float:
        return 0.0 if x is None else float(x)

    out: dict[str, float] = {
        "syncs_per_day": per_day, "days_of_history": pr.days_of_history,
        "hours_since_success": NEVER_HOURS if pr.hours_since_success is None else pr.hours_since_success,
        "hours_since_activity": NEVER_HOURS if pr.hours_since_activity is None else pr.hours_since_activity,
        "retries_recent": pr.retries_recent, "retries_before": pr.retries_before, "retries_24h": pr.retries_24h,
        "retries_6h": pr.retries_6h, "retries_last3": pr.retries_last3, "retries_rising": float(pr.retries_rising),
        "retry_share_24h": pr.retry_share_24h, "retry_share_before": pr.retry_share_before,
        "retry_persistence": pr.retry_persistence, "retry_trend_24h": pr.retry_trend_24h,
        "reschedules_24h": pr.reschedules_recent, "reschedules_6h": pr.reschedules_6h,
        "reschedules_before_per_day": pr.reschedules_before_per_day,
        "reschedules_without_success": pr.reschedules_without_success,
        "duration_level": v(pr.duration_level), "duration_slope": v(pr.duration_slope),
        "duration_long": pr.duration_long, "volume_level": v(pr.volume_level), "volume_slope": v(pr.volume_slope),
        "volume_long": pr.volume_long, "per_row_level": v(pr.per_row_level), "per_row_slope": v(pr.per_row_slope),
        "per_row_long": pr.per_row_long, "lag_mb": pr.lag_mb, "lag_mb_per_hour": pr.lag_mb_per_hour,
        "lag_hours": pr.lag_hours, "write_level": v(pr.write_level), "write_slope": v(pr.write_slope),
        "write_long": pr.write_long, "peak_hours_ahead": peak_hours_ahead(now),
        "credential_warning": float(pr.credential_warning is not None),
        "credential_lead_hours": ((pr.credential_deadline - now).total_seconds() / 3600 if pr.credential_deadline
                                  else UNDATED_CREDENTIAL_LEAD if pr.credential_warning else NEVER_HOURS),
    }
    out |= {f"retry_surprise_{h}h": pr.retry_surprise.get(h, 0.0) for h in SURPRISE_HOURS}
    out |= {f"reschedule_surprise_{h}h": pr.reschedule_surprise.get(h, 0.0) for h in (6, 24)}
    return out | _failure_inputs(pr, per_day) | _warning_inputs(pr)


# the mechanism (risk.Part kind) each input is evidence for; a reason's share is the sum of its inputs'
# contributions along the trees' paths
_PREFIXES = (
    ("retr", "quota"), ("reschedule", "quota"), ("failure", "clustering"), ("hours_since_failure", "clustering"),
    ("duration", "growth"), ("volume", "growth"), ("per_row", "slowdown"), ("lag", "slowdown"),
    ("write", "destination"), ("peak_hours", "destination"), ("warning", "warnings"), ("credential", "credential"),
)


def kind_of(name: str) -> str:
    return next((kind for prefix, kind in _PREFIXES if name.startswith(prefix)), "background")
