"""Cost-aware schedule advice: sync less often when syncs overlap or the source keeps rate-limiting us."""

from __future__ import annotations

import statistics

from pydantic import BaseModel

from fivetran_recovery.prediction.syncs import SyncRecord

# Fivetran's allowed sync frequencies in minutes (FACTS.md section 2.2).
ALLOWED_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
BUSY_SHARE = 0.5  # syncs taking more than half the interval leave no slack: the next one queues behind


class ScheduleAdvice(BaseModel):
    current_minutes: int
    recommended_minutes: int
    reason: str


def _next_longer(minutes: int) -> int:
    return next((f for f in ALLOWED_FREQUENCIES if f > minutes), ALLOWED_FREQUENCIES[-1])


def advise_schedule(records: list[SyncRecord], sync_frequency: int | None) -> ScheduleAdvice | None:
    """A longer frequency when the recent syncs say the current one costs more than it delivers; else None."""
    if not sync_frequency or sync_frequency >= ALLOWED_FREQUENCIES[-1]:
        return None
    durations = [d / 60 for d in (r.duration_seconds for r in records[-10:]) if d is not None]
    reschedules = sum(r.rescheduled for r in records[-10:])
    if len(durations) >= 3 and statistics.median(durations) > BUSY_SHARE * sync_frequency:
        recommended = _next_longer(int(statistics.median(durations) / BUSY_SHARE))
        return ScheduleAdvice(
            current_minutes=sync_frequency,
            recommended_minutes=max(recommended, _next_longer(sync_frequency)),
            reason=f"syncs take a median {statistics.median(durations):.0f} min of a {sync_frequency} min interval: "
            "they queue behind each other and every sync re-reads the source",
        )
    if reschedules >= 3:
        return ScheduleAdvice(
            current_minutes=sync_frequency,
            recommended_minutes=_next_longer(sync_frequency),
            reason=f"{reschedules} of the last {min(len(records), 10)} syncs were rescheduled for source API quota",
        )
    return None
