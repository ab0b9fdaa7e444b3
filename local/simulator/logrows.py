"""Fivetran Platform Connector `LOG` rows written for each simulated sync (FACTS.md section 4).

Columns: id, time_stamp, connection_id, event (INFO|WARNING|SEVERE), message_event, message_data (a JSON
string or null), sync_id. Ids are base64 SHA-1 digests and time stamps use the `YYYY-MM-DD HH:MM:SS.fff`
form, as in Fivetran's own seed data (dbt_fivetran_log integration_tests/seeds/log.csv).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

COLUMNS = ("id", "time_stamp", "connection_id", "event", "message_event", "message_data", "sync_id")


@dataclass(frozen=True)
class LogRow:
    id: str
    time_stamp: str
    connection_id: str
    event: str
    message_event: str
    message_data: str | None
    sync_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def log_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


class LogBook:
    """Append-only list of rows (callers hold the simulator's lock)."""

    def __init__(self) -> None:
        self.rows: list[LogRow] = []

    def add(
        self,
        when: datetime,
        connection_id: str,
        event: str,
        message_event: str,
        data: dict[str, Any] | None,
        sync_id: str | None,
    ) -> LogRow:
        seq = len(self.rows)
        digest = hashlib.sha1(f"{connection_id}|{sync_id}|{message_event}|{seq}".encode()).digest()
        row = LogRow(
            id=base64.b64encode(digest).decode(),
            time_stamp=log_time(when),
            connection_id=connection_id,
            event=event,
            message_event=message_event,
            message_data=json.dumps(data, separators=(",", ":")) if data is not None else None,
            sync_id=sync_id,
        )
        self.rows.append(row)
        return row

    def select(self, connection_id: str | None = None) -> list[LogRow]:
        return [r for r in self.rows if connection_id is None or r.connection_id == connection_id]
