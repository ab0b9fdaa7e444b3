"""Group LOG rows into syncs: when each ran, how long it took, how it ended, and what it warned about."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from fivetran_recovery.prediction.log_rows import LogRow

FAILED = frozenset({"FAILURE", "FAILURE_WITH_TASK", "FAILED"})
PRIORITY_FLUSH_MARKER = "intended behavior"


@dataclass
class SyncRecord:
    connection_id: str
    sync_id: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    status: str | None = None
    reason: str | None = None
    warnings: int = 0
    retries: int = 0
    severe: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in FAILED or (self.status is None and self.severe > 0)

    @property
    def rescheduled(self) -> bool:
        return self.status == "RESCHEDULED" and PRIORITY_FLUSH_MARKER not in (self.reason or "")

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.ended_at and self.ended_at >= self.started_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None

    @property
    def at(self) -> datetime | None:
        return self.ended_at or self.started_at


def _apply(record: SyncRecord, row: LogRow) -> None:
    data = row.message_data
    if row.message_event == "sync_start":
        record.started_at = min(filter(None, [record.started_at, row.time_stamp]))
    elif row.message_event == "sync_end":
        record.ended_at = max(filter(None, [record.ended_at, row.time_stamp]))
        record.status = data.get("status") or record.status or ("SUCCESSFUL" if not record.severe else None)
        record.reason = data.get("reason") or record.reason
    elif row.message_event == "status" and data.get("status"):
        record.status = data["status"]
        record.reason = data.get("reason") or record.reason
    if row.event == "SEVERE":
        record.severe += 1
        if data.get("message") or data.get("reason"):
            record.messages.append(str(data.get("message") or data.get("reason"))[:300])
    elif row.event == "WARNING" or row.message_event == "warning":
        record.warnings += 1
        if data.get("type") == "retry_api_call":
            record.retries += 1


def syncs_from_log(rows: Iterable[LogRow]) -> dict[str, list[SyncRecord]]:
    """Per connection, its syncs in time order. Rows without a sync_id are grouped per connection and day."""
    grouped: dict[tuple[str, str], SyncRecord] = {}
    for row in sorted(rows, key=lambda r: r.time_stamp):
        sync_id = row.sync_id or f"day:{row.time_stamp.date().isoformat()}"
        key = (row.connection_id, sync_id)
        record = grouped.setdefault(key, SyncRecord(connection_id=row.connection_id, sync_id=sync_id))
        _apply(record, row)
    by_connection: dict[str, list[SyncRecord]] = defaultdict(list)
    for record in grouped.values():
        by_connection[record.connection_id].append(record)
    for records in by_connection.values():
        records.sort(key=lambda r: (r.at is None, r.at))
    return dict(by_connection)
