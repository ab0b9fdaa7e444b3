"""Group LOG rows into syncs: when each ran, how long it took and its writes took, how it ended, what it warned.

Rows are folded in as they stream past (memory grows with the number of syncs, not of rows) and may arrive in
any order within a sync; write times pair `write_to_table_start`/`_end` per table in arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fivetran_recovery.prediction.log_rows import LogRow

FAILED = frozenset({"FAILURE", "FAILURE_WITH_TASK", "FAILED"})
PRIORITY_FLUSH_MARKER = "intended behavior"
MAX_MESSAGES = 3
REUSE_GAP = timedelta(hours=1)
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(slots=True)
class SyncRecord:
    connection_id: str
    sync_id: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    status: str | None = None
    reason: str | None = None
    task_type: str | None = None
    warnings: int = 0
    retries: int = 0
    severe: int = 0
    records: int = 0
    write_seconds: float = 0.0
    warning_types: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    warning_messages: list[str] = field(default_factory=list)
    _status_at: datetime | None = None
    _open_writes: dict[str, list] | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILED or (self.status is None and self.severe > 0)

    @property
    def rescheduled(self) -> bool:
        return self.status == "RESCHEDULED" and PRIORITY_FLUSH_MARKER not in (self.reason or "")

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESSFUL" or (self.status == "RESCHEDULED" and not self.rescheduled)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.ended_at and self.ended_at >= self.started_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None

    @property
    def at(self) -> datetime | None:
        return self.ended_at or self.started_at


def _set_status(record: SyncRecord, status: str, data: dict, at: datetime) -> None:
    if record._status_at is None or at >= record._status_at:
        record.status, record._status_at = status, at
        record.reason = data.get("reason") or record.reason
        record.task_type = data.get("taskType") or data.get("task_type") or record.task_type


def _write(record: SyncRecord, row: LogRow, start: bool) -> None:
    """Each table's write span: its first start to its last end, in whatever order the rows come."""
    table = str(row.message_data.get("table") or "")
    if record._open_writes is None:
        record._open_writes = {}
    span = record._open_writes.setdefault(table, [None, None])
    if start:
        span[0] = row.time_stamp if span[0] is None else min(span[0], row.time_stamp)
    else:
        span[1] = row.time_stamp if span[1] is None else max(span[1], row.time_stamp)


def close_writes(record: SyncRecord) -> None:
    """Add the complete write spans to write_seconds and drop the spans (called when the sync is done)."""
    for begun, ended in (record._open_writes or {}).values():
        if begun is not None and ended is not None and ended >= begun:
            record.write_seconds += (ended - begun).total_seconds()
    record._open_writes = None


def apply_row(record: SyncRecord, row: LogRow) -> None:
    """Fold one LOG row into its sync."""
    data, kind = row.message_data, row.message_event
    if kind == "sync_start":
        record.started_at = row.time_stamp if record.started_at is None else min(record.started_at, row.time_stamp)
    elif kind == "sync_end":
        record.ended_at = row.time_stamp if record.ended_at is None else max(record.ended_at, row.time_stamp)
        status = data.get("status") or record.status or ("SUCCESSFUL" if not record.severe else None)
        if status:
            _set_status(record, status, data, row.time_stamp)
        if record._open_writes and all(b is not None and e is not None for b, e in record._open_writes.values()):
            close_writes(record)
    elif kind == "status" and data.get("status"):
        _set_status(record, data["status"], data, row.time_stamp)
    elif kind == "write_to_table_start" or kind == "write_to_table_end":
        _write(record, row, kind == "write_to_table_start")
    elif kind == "records_modified":
        count = data.get("count")
        record.records += count if isinstance(count, int) else 0
    if row.event == "SEVERE":
        record.severe += 1
        text = data.get("message") or data.get("reason")
        if text and len(record.messages) < MAX_MESSAGES:
            record.messages.append(str(text)[:300])
    elif row.event == "WARNING" or kind == "warning":
        record.warnings += 1
        kind_name = str(data.get("type") or "unspecified")[:80]
        record.warning_types[kind_name] = record.warning_types.get(kind_name, 0) + 1
        if kind_name == "retry_api_call":
            record.retries += 1
        elif data.get("message") and len(record.warning_messages) < MAX_MESSAGES:
            record.warning_messages.append(str(data["message"])[:300])


class SyncBuilder:
    """Folds streamed LOG rows into per-connection syncs. A row of a sync_id more than REUSE_GAP after that
    sync ended (Fivetran's own seed reuses one across days) starts a new sync."""

    def __init__(self) -> None:
        self._current: dict[tuple[str, str], SyncRecord] = {}
        self._done: list[SyncRecord] = []

    def add(self, row: LogRow) -> None:
        sync_id = row.sync_id or f"day:{row.time_stamp.date().isoformat()}"
        key = (row.connection_id, sync_id)
        record = self._current.get(key)
        if record is None or (record.ended_at is not None and row.time_stamp > record.ended_at + REUSE_GAP):
            if record is not None:
                close_writes(record)
                self._done.append(record)
            record = self._current[key] = SyncRecord(connection_id=row.connection_id, sync_id=sync_id)
        apply_row(record, row)

    def add_all(self, rows: Iterable[LogRow]) -> SyncBuilder:
        for row in rows:
            self.add(row)
        return self

    def result(self) -> dict[str, list[SyncRecord]]:
        """Per connection, its syncs in time order (syncs with no time last)."""
        by_connection: dict[str, list[SyncRecord]] = {}
        for record in (*self._done, *self._current.values()):
            close_writes(record)
            by_connection.setdefault(record.connection_id, []).append(record)
        for records in by_connection.values():
            records.sort(key=lambda r: (r.at is None, r.at or _NEVER))
        return by_connection


def syncs_from_log(rows: Iterable[LogRow]) -> dict[str, list[SyncRecord]]:
    """Per connection, its syncs in time order. Rows without a sync_id are grouped per connection and day."""
    return SyncBuilder().add_all(rows).result()
