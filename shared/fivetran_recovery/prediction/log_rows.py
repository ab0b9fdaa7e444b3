"""Fivetran Platform Connector `LOG` rows (FACTS.md section 4), streamed from CSV or JSON lines.

Reads the table as the warehouses export it, one row at a time (memory stays flat as the file grows):
- column names in any case (Snowflake unloads unquoted identifiers UPPERCASE), `connector_id` for the
  deprecated `connection_id`;
- time stamps in ISO-8601, Snowflake's `2021-12-09 14:27:00.504 -0800`, BigQuery's `2021-12-09 14:27:00.504 UTC`,
  Redshift's `2021-12-09 14:27:00.504+00`, or epoch seconds/milliseconds/microseconds; naive ones are UTC;
- `message_data` as JSON text (sometimes double-encoded), as a native JSON value (Snowflake VARIANT, BigQuery
  JSON, Redshift SUPER in a JSON-lines export), empty, or plain text;
- CSV with `,`, `|` (Redshift UNLOAD's default) or tab delimiters, with a header line.
Every error names the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import Any

REQUIRED_COLUMNS = ("id", "time_stamp", "connection_id", "event", "message_event", "message_data")
_OFFSET = re.compile(r"\s*(?:UTC|Z|GMT)$|\s+([+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DELIMITERS = (",", "|", "\t")


class LogRowError(ValueError):
    """A row that cannot be read, with where it is."""


class LogRow:
    """One LOG row, normalised. A plain slotted class: a pydantic model per row costs 4x the parse itself."""

    __slots__ = ("connection_id", "event", "id", "message_data", "message_event", "sync_id", "time_stamp")

    def __init__(self, id: str, time_stamp: datetime, connection_id: str, event: str = "",
                 message_event: str = "", message_data: dict[str, Any] | None = None, sync_id: str | None = None):
        self.id = id
        self.time_stamp = time_stamp
        self.connection_id = connection_id
        self.event = event
        self.message_event = message_event
        self.message_data = message_data if message_data is not None else {}
        self.sync_id = sync_id

    def __repr__(self) -> str:
        return f"LogRow({self.connection_id!r}, {self.time_stamp.isoformat()}, {self.message_event!r})"


def parse_timestamp(value: Any) -> datetime:
    """A LOG time stamp in any of the exported forms, as an aware UTC datetime; ValueError if none fits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _slow_timestamp(value.strip())
    offset = parsed.utcoffset()
    if offset is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if not offset else parsed.astimezone(UTC)


def _slow_timestamp(text: str) -> datetime:
    if text.replace(".", "", 1).isdigit():
        return _from_epoch(float(text))
    match = _OFFSET.search(text)
    if match:
        text = text[: match.start()] + (match.group(1) or "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time: {text!r}") from None


def _from_epoch(number: float) -> datetime:
    """Seconds, milliseconds or microseconds since the epoch, told apart by magnitude (all after 1973)."""
    if number > 1e14:
        number /= 1e6
    elif number > 1e11:
        number /= 1e3
    return datetime.fromtimestamp(number, tz=UTC)


def decode_message_data(value: Any) -> dict[str, Any]:
    """message_data is JSON text, sometimes double-encoded, a native value, empty, or plain text."""
    for _ in range(2):
        if not isinstance(value, str):
            break
        text = value.strip()
        if not text:
            return {}
        if text[0] not in '{["':
            return {"message": text}
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return {"message": text}
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"message": str(value)}


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def row_from_mapping(raw: dict[str, Any], where: str = "input") -> LogRow:
    """A LogRow from one exported row whose keys may be in any case; LogRowError naming `where`."""
    fields = {k.lower() if isinstance(k, str) else k: v for k, v in raw.items()}
    connection = _text(fields.get("connection_id") or fields.get("connector_id")).strip()
    if not connection:
        raise LogRowError(f"{where}: missing column connection_id (or connector_id)")
    if "time_stamp" not in fields:
        raise LogRowError(f"{where}: missing column time_stamp")
    try:
        stamp = parse_timestamp(fields["time_stamp"])
    except (ValueError, OverflowError, OSError) as exc:
        raise LogRowError(f"{where}: time_stamp: {exc}") from None
    return LogRow(
        id=_text(fields.get("id")), time_stamp=stamp, connection_id=connection,
        event=_text(fields.get("event")).upper(), message_event=_text(fields.get("message_event")),
        message_data=decode_message_data(fields.get("message_data")), sync_id=_text(fields.get("sync_id")) or None,
    )


def _timestamp_parser(sample: str) -> Callable[[str], datetime]:
    """The fastest exact parser for a file's time stamp shape, picked from its first value (exports use one
    shape throughout); any value the fast path cannot read goes through `parse_timestamp`."""
    fromiso = datetime.fromisoformat
    cut: Callable[[str], str] | None = None
    if sample.endswith(" UTC"):
        cut = _strip_utc
    elif len(sample) > 6 and sample[-6] == " " and sample[-5] in "+-":
        cut = _join_offset

    def parse(value: str) -> datetime:
        try:
            parsed = fromiso(cut(value) if cut else value)
        except (ValueError, IndexError):
            return parse_timestamp(value)
        offset = parsed.utcoffset()
        if offset is None:
            return parsed.replace(tzinfo=UTC)
        return parsed if not offset else parsed.astimezone(UTC)

    return parse


def _strip_utc(value: str) -> str:
    return value[:-4] + "+00:00" if value.endswith(" UTC") else value


def _join_offset(value: str) -> str:
    return value[:-6] + value[-5:] if value[-6] == " " else value


class LogReader:
    """Iterates LogRows from a text stream (a file, stdin, or any iterable of lines), one line at a time.

    `until` drops rows stamped after it (scoring as of a time must not see the future); `rows_after_until`
    counts them so the caller can say so.
    """

    def __init__(self, lines: Iterable[str], *, source: str = "input", until: datetime | None = None):
        self._lines = iter(lines)
        self.source = source
        self.until = until
        self.rows_read = 0
        self.rows_after_until = 0

    def __iter__(self) -> Iterator[LogRow]:
        first, number = "", 0
        for number, line in enumerate(self._lines, start=1):  # noqa: B007 - number is used after the loop
            if line.strip():
                first = line
                break
        if not first:
            return iter(())
        if first.lstrip().startswith("{"):
            return self._json_lines(first, number)
        return self._csv(first, number)

    def _keep(self, row: LogRow) -> bool:
        if self.until is not None and row.time_stamp > self.until:
            self.rows_after_until += 1
            return False
        self.rows_read += 1
        return True

    def _json_lines(self, first: str, start: int) -> Iterator[LogRow]:
        for number, line in enumerate(chain((first,), self._lines), start=start):
            if not line.strip():
                continue
            where = f"{self.source}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LogRowError(f"{where}: not JSON ({exc.msg})") from None
            if not isinstance(raw, dict):
                raise LogRowError(f"{where}: expected a JSON object")
            row = row_from_mapping(raw, where)
            if self._keep(row):
                yield row

    def _header(self, reader: Any, start: int) -> tuple[int, dict[str, int]]:
        try:
            header = [c.strip().strip('"').lower() for c in next(reader)]
        except csv.Error as exc:
            raise LogRowError(f"{self.source}:{start}: not CSV ({exc})") from None
        present = set(header) | ({"connection_id"} if "connector_id" in header else set())
        missing = [c for c in REQUIRED_COLUMNS if c not in present]
        if missing:
            raise LogRowError(f"{self.source}:{start}: CSV header lacks column(s) {', '.join(missing)} "
                              f"(found: {', '.join(header) or 'nothing'}; a Redshift UNLOAD needs HEADER)")
        index = {name: header.index(name) for name in (*REQUIRED_COLUMNS, "sync_id", "connector_id") if name in header}
        index.setdefault("connection_id", index.get("connector_id", -1))
        if index.get("connector_id") == index["connection_id"]:
            del index["connector_id"]
        return len(header), index

    def _csv(self, first: str, start: int) -> Iterator[LogRow]:
        delimiter = max(_DELIMITERS, key=first.count)
        reader = csv.reader(chain((first,), self._lines), delimiter=delimiter,
                            escapechar="\\" if delimiter == "|" else None)
        width, index = self._header(reader, start)
        i_id, i_ts, i_conn, i_event = index["id"], index["time_stamp"], index["connection_id"], index["event"]
        i_me, i_md, i_sync, i_alt = index["message_event"], index["message_data"], index.get("sync_id"), \
            index.get("connector_id")
        loads, decode, until, parse = json.loads, decode_message_data, self.until, None
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise LogRowError(f"{self._where(reader, start)}: not CSV ({exc})") from None
            if len(values) != width:
                if not values or values == [""]:
                    continue
                raise LogRowError(f"{self._where(reader, start)}: {len(values)} fields, the header has {width}")
            connection = values[i_conn] or (values[i_alt] if i_alt is not None else "")
            if not connection:
                raise LogRowError(f"{self._where(reader, start)}: connection_id is empty")
            if parse is None:
                parse = _timestamp_parser(values[i_ts])
            try:
                stamp = parse(values[i_ts])
            except (ValueError, OverflowError, OSError) as exc:
                raise LogRowError(f"{self._where(reader, start)}: time_stamp: {exc}") from None
            if until is not None and stamp > until:
                self.rows_after_until += 1
                continue
            text = values[i_md]
            data = loads(text) if text[:2] == '{"' else decode(text)
            if data.__class__ is not dict:
                data = decode(data)
            self.rows_read += 1
            event = values[i_event]
            yield LogRow(values[i_id], stamp, connection, event if event.isupper() or not event else event.upper(),
                         values[i_me], data, (values[i_sync] or None) if i_sync is not None else None)

    def _where(self, reader: Any, start: int) -> str:
        return f"{self.source}:{start + reader.line_num - 1}"


def read_log_rows(text: str | Iterable[str], *, source: str = "input", until: datetime | None = None
                  ) -> Iterator[LogRow]:
    """Rows from CSV (header line first) or JSON lines, streamed; raises LogRowError naming the line."""
    lines = io.StringIO(text) if isinstance(text, str) else text
    return iter(LogReader(lines, source=source, until=until))
