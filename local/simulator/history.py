"""`GET /v1/connections/{id}/sync-history`: one record per sync, with its status, reason and per-stage volumes
(connections/connection_sync_history.json: COMPLETED, FAILURE, CANCELED, INCOMPLETE, RESCHEDULED, PAUSED;
extract/process/load volume in MB; at most a 7-day window, one hour by default; paginated, newest first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from local.simulator.fleet import iso
from local.simulator.rules import bad_request, cursor_offset, make_cursor

HISTORY_STATUS = {
    "SUCCESSFUL": "COMPLETED",
    "FAILURE": "FAILURE",
    "FAILURE_WITH_TASK": "FAILURE",
    "CANCELED": "CANCELED",
    "RESCHEDULED": "RESCHEDULED",
}
MAX_WINDOW = timedelta(days=7)


@dataclass
class SyncRecord:
    sync_id: str
    start: datetime
    end: datetime | None = None
    status: str = "INCOMPLETE"
    reason: str | None = None
    extract_mb: float | None = None
    process_mb: float | None = None
    load_mb: float | None = None

    def render(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "sync_id": self.sync_id,
            "start": iso(self.start),
            "end": iso(self.end),
            "status": self.status,
            "stages": {
                "extract": {"volume": self.extract_mb},
                "process": {"volume": self.process_mb},
                "load": {"volume": self.load_mb},
            },
        }
        if self.reason and self.status != "COMPLETED":
            record["reason"] = self.reason
        return record


def _parse(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise bad_request(f"{name} must carry a timezone (UTC)")
    return parsed


def window(now: datetime, start_time: str | None, end_time: str | None) -> tuple[datetime, datetime]:
    start, end = _parse(start_time, "start_time"), _parse(end_time, "end_time")
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - timedelta(hours=1)
    if end is None:
        end = start + timedelta(hours=1)
    if end <= start:
        raise bad_request("end_time must be after start_time")
    if end - start > MAX_WINDOW:
        raise bad_request("the time range between start_time and end_time must not exceed 7 days")
    return start, end


def page(
    records: list[SyncRecord], start: datetime, end: datetime, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    if not 1 <= limit <= 1000:
        raise bad_request("limit must be in the range 1..1000")
    chosen = sorted((r for r in records if start <= r.start <= end), key=lambda r: r.start, reverse=True)
    offset = cursor_offset(cursor)
    items = [r.render() for r in chosen[offset : offset + limit]]
    return items, make_cursor(offset + limit) if offset + limit < len(chosen) else None
