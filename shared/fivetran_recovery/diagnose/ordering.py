"""Event time is data, never our clock: where one event sits in its connection's own timeline.

Fivetran stamps each webhook with `created` on its clock; deliveries arrive late (retried for a day), out of order,
twice, or with a skewed or absurd stamp. Decisions (holds, sweeps, deadlines) run on our wall clock; an event's time
is only compared with the other events of the same connection:

- a stamp further ahead of our clock than the allowed skew is not trusted: the event is ordered as received now;
- a `sync_end` stamped before its own `sync_start` is placed at the start (and a `sync_start` after its end at
  the end): a sync cannot end before it began;
- a failure older than the connection's last recorded success is stale: recorded, but it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import HistoryRecord


@dataclass(frozen=True)
class Placed:
    event: WebhookEvent
    note: str | None = None


def is_success(record: HistoryRecord) -> bool:
    return record.event == "sync_end" and (record.status or "").upper() == "SUCCESSFUL"


def place(event: WebhookEvent, recent: list[HistoryRecord], *, wall: datetime, max_skew: timedelta) -> Placed:
    """The event with the time it is ordered by (its identity, the event key, is kept)."""
    notes: list[str] = []
    if event.created > wall + max_skew:
        notes.append(f"dated {event.created.isoformat()}, ahead of our clock: ordered as received")
        event = event.retimed(wall)
    same_sync = [r for r in recent if event.sync_id and r.sync_id == event.sync_id and r.event_key != event.event_key]
    if event.event == "sync_end":
        start = max((r.at for r in same_sync if r.event == "sync_start"), default=None)
        if start is not None and event.created < start:
            notes.append("stamped before its own sync_start: placed at the start")
            event = event.retimed(start)
    elif event.event == "sync_start":
        end = min((r.at for r in same_sync if r.event == "sync_end"), default=None)
        if end is not None and event.created > end:
            notes.append("stamped after its own sync_end: placed at the end")
            event = event.retimed(end)
    return Placed(event, "; ".join(notes) or None)


def newer_success(event: WebhookEvent, recent: list[HistoryRecord]) -> datetime | None:
    """The connection's last success when it is newer than this event (the event is then stale), else None."""
    last = max((r.at for r in recent if is_success(r) and r.event_key != event.event_key), default=None)
    return last if last is not None and last > event.created else None


def is_latest_outcome(event: WebhookEvent, recent: list[HistoryRecord]) -> bool:
    """No other recorded sync outcome of the connection is newer than this one."""
    return all(r.at <= event.created for r in recent if r.event == "sync_end" and r.event_key != event.event_key)
