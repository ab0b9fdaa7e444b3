"""Fivetran Platform Connector `LOG` rows (FACTS.md section 4), read from CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

REQUIRED_COLUMNS = ("id", "time_stamp", "connection_id", "event", "message_event", "message_data")


class LogRowError(ValueError):
    """A row that cannot be read, with where it is."""


class LogRow(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str
    time_stamp: datetime
    connection_id: str = Field(validation_alias=AliasChoices("connection_id", "connector_id"), min_length=1)
    event: str = ""
    message_event: str = ""
    message_data: dict[str, Any] = Field(default_factory=dict)
    sync_id: str | None = None

    @field_validator("time_stamp", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @field_validator("message_data", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> dict[str, Any]:
        """message_data is JSON text, sometimes double-encoded, sometimes empty or plain text."""
        for _ in range(2):
            if isinstance(value, str):
                text = value.strip()
                if not text:
                    return {}
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    return {"message": text}
        if value is None:
            return {}
        return value if isinstance(value, dict) else {"message": str(value)}

    @field_validator("sync_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return value or None


def _parse(raw: dict[str, Any], where: str) -> LogRow:
    if "connection_id" not in raw and "connector_id" not in raw:
        raise LogRowError(f"{where}: missing column connection_id (or connector_id)")
    try:
        return LogRow.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise LogRowError(f"{where}: {problems}") from None


def read_log_rows(text: str | Iterable[str], *, source: str = "input") -> Iterator[LogRow]:
    """Rows from CSV (header line first) or JSON lines; raises LogRowError naming the line."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("{"):
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LogRowError(f"{source}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(raw, dict):
                raise LogRowError(f"{source}:{number}: expected a JSON object")
            yield _parse(raw, f"{source}:{number}")
        return
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or []) and not (
        c == "connection_id" and "connector_id" in (reader.fieldnames or []))]
    if missing:
        raise LogRowError(f"{source}: CSV header lacks column(s) {', '.join(missing)}")
    for number, raw in enumerate(reader, start=2):
        yield _parse(raw, f"{source}:{number}")
