"""A generated fleet of Fivetran connections and their Platform Connector LOG history, for the prediction backtest.

Each connection has a schedule (sync frequency, a per-destination start offset), a base duration and volume, and
seasonality: business-hours volume, low weekends, a Monday-morning backlog spike, month-end spikes. Failures come
from mechanisms with the precursors Fivetran's docs and LOG show, or from none:

| mechanism | precursor in the LOG | failure |
|---|---|---|
| quota | `retry_api_call` warnings rising, then non-flush RESCHEDULED syncs | FAILURE, quota exceeded, for hours |
| growth | records per sync and durations grow day over day | FAILURE, sync timed out, until fixed |
| replication | durations and `replication_slot_lag` warnings rising | FAILURE_WITH_TASK (resync) |
| capacity | write times on one destination grow, worst at peak hours | FAILURE on that destination's syncs |
| flaky | network retries; failures cluster over days | scattered FAILUREs |
| credential_warned | `oauth_token_expiring` warnings for days | FAILURE_WITH_TASK (reconnect) at expiry |
| credential | none (unpredictable) | FAILURE_WITH_TASK (reconnect) until re-authorised |
| blip | none: 0.05% of all syncs | one FAILURE |

and harmless look-alikes that punish naive trend detectors: volume spikes that fade, retry bursts that fade,
growth that plateaus, priority-first flush reschedules ("intended behavior"), harmless warning kinds.
Deterministic per seed. Rows are LogRow objects; `to_csv_lines` writes them as Fivetran's seed does.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fivetran_recovery.prediction.log_rows import LogRow

START = datetime(2026, 9, 28, tzinfo=UTC)  # a Monday
FREQUENCIES = ((30, 0.06), (60, 0.42), (120, 0.08), (180, 0.1), (360, 0.18), (720, 0.06), (1440, 0.10))
SAAS = ("salesforce", "hubspot", "zendesk", "stripe", "marketo", "google_ads", "netsuite")
DATABASES = ("postgres", "mysql", "sql_server", "oracle")
DESTINATIONS = ("wh_analytics", "wh_finance", "wh_marketing", "wh_ops", "wh_product")
BLIP_PER_SYNC = 0.0005
HARMLESS_WARNINGS = ("table_excluded_by_system", "schema_change_detected", "column_type_widened")


@dataclass
class Episode:
    mechanism: str
    start: datetime  # precursors begin
    fail_at: datetime  # failures begin
    end: datetime  # failures stop (fixed, quota reset, re-authorised)
    strength: float = 1.0

    def phase(self, t: datetime) -> float:
        """0 at the start of the precursors, 1 at the failure; -1 outside start..fail_at."""
        if not self.start <= t < self.fail_at:
            return -1.0
        return (t - self.start) / (self.fail_at - self.start)

    def failing(self, t: datetime) -> bool:
        return self.fail_at <= t < self.end


@dataclass
class Connection:
    id: str
    kind: str  # saas | database
    frequency: int  # minutes
    base_minutes: float
    tables: tuple[str, ...]
    base_records: int
    business: bool
    destination: str
    offset: float  # minutes after the hour/day the schedule starts
    episodes: list[Episode] = field(default_factory=list)
    lookalikes: list[Episode] = field(default_factory=list)


@dataclass
class SyncRows:
    """One generated sync: its rows in time order and its outcome."""
    rows: list[LogRow]
    status: str
    mechanism: str | None

    @property
    def first(self) -> datetime:
        return self.rows[0].time_stamp

    @property
    def last(self) -> datetime:
        return self.rows[-1].time_stamp


@dataclass
class FleetHistory:
    connections: list[Connection]
    syncs: dict[str, list[SyncRows]]
    start: datetime
    end: datetime

    def rows(self) -> Iterator[LogRow]:
        for history in self.syncs.values():
            for sync in history:
                yield from sync.rows


def _frequency(rng: random.Random) -> int:
    return rng.choices([f for f, _ in FREQUENCIES], weights=[w for _, w in FREQUENCIES])[0]


def _connection(rng: random.Random, index: int) -> Connection:
    kind = "saas" if rng.random() < 0.6 else "database"
    frequency = _frequency(rng)
    base = min(rng.lognormvariate(math.log(6), 0.7), frequency * 0.4)
    return Connection(
        id=f"{rng.choice(SAAS if kind == 'saas' else DATABASES)}_{index:03d}", kind=kind,
        frequency=frequency, base_minutes=max(base, 0.5), tables=tuple(f"t{i}" for i in range(rng.randint(1, 4))),
        base_records=int(rng.lognormvariate(math.log(2000), 1.0)), business=kind == "saas" or rng.random() < 0.4,
        destination=rng.choice(DESTINATIONS), offset=rng.uniform(0, min(frequency, 60)),
    )


def _episode(rng: random.Random, mechanism: str, at: datetime) -> Episode:
    """An episode whose failures begin at `at`, with its precursor length and failing time per mechanism."""
    h = timedelta(hours=1)
    lead, fix = {
        "quota": (rng.uniform(8, 30), rng.uniform(2, 8)),
        "growth": (rng.uniform(48, 120), rng.uniform(4, 24)),
        "replication": (rng.uniform(12, 48), rng.uniform(6, 24)),
        "capacity": (rng.uniform(36, 96), rng.uniform(2, 8)),
        "flaky": (0.0, rng.uniform(72, 168)),
        "credential_warned": (rng.uniform(24, 144), rng.uniform(6, 48)),
        "credential": (0.0, rng.uniform(2, 24)),
    }[mechanism]
    return Episode(mechanism, at - lead * h, at, at + fix * h, strength=rng.uniform(0.7, 1.3))


def _lookalike(rng: random.Random, at: datetime) -> Episode:
    kind = rng.choice(("spike", "spike", "retry_burst", "plateau", "warning_burst"))
    hours = {"spike": rng.uniform(2, 6), "retry_burst": rng.uniform(1, 4), "plateau": 48.0,
             "warning_burst": rng.uniform(3, 12)}[kind]
    return Episode(kind, at, at + timedelta(hours=hours), at + timedelta(hours=hours), rng.uniform(2.5, 5))


def _plan(rng: random.Random, connection: Connection, start: datetime, days: int,
          capacity: dict[str, Episode]) -> None:
    """Failure episodes and look-alikes for one connection, spread over the history after a warm-up week."""
    options = ["growth", "credential", "flaky"]
    options += ["quota", "quota", "credential_warned", "credential_warned"] if connection.kind == "saas" else [
        "replication", "replication"]
    span = (days - 8) * 24
    for _ in range(rng.choices((0, 1, 2), weights=(0.35, 0.45, 0.2))[0]):
        at = start + timedelta(hours=7 * 24 + rng.uniform(0, span))
        episode = _episode(rng, rng.choice(options), at)
        if all(episode.end < e.start or episode.start > e.end for e in connection.episodes):
            connection.episodes.append(episode)
    if connection.destination in capacity and rng.random() < 0.7:
        connection.episodes.append(capacity[connection.destination])
    for _ in range(rng.randint(1, 4)):
        connection.lookalikes.append(_lookalike(rng, start + timedelta(hours=rng.uniform(24, days * 24))))


def _seasonal_volume(connection: Connection, t: datetime) -> float:
    """Business sources: busy 9-18 on weekdays, quiet at weekends, a Monday-morning backlog, month ends."""
    factor = 1.0
    if connection.business:
        weekday, hour = t.weekday(), t.hour
        factor = 0.35 if weekday >= 5 else (1.6 if 9 <= hour < 18 else 0.6)
        if weekday == 0 and hour < 12:
            factor *= 2.5
    if t.day == 1 or (t + timedelta(days=1)).month != t.month:
        factor *= 2.0
    return factor


@dataclass
class _State:
    volume: float = 1.0
    duration: float = 1.0
    write: float = 1.0
    retries: float = 0.05
    retry_kind: str = "429 Too Many Requests"
    reschedule: float = 0.0
    fail: float = 0.0
    failure: tuple[str, str, str | None] = ("FAILURE", "", None)
    mechanism: str | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)


def _apply_episode(state: _State, episode: Episode, t: datetime, connection: Connection) -> None:
    p, s, m = episode.phase(t), episode.strength, episode.mechanism
    failing = episode.failing(t)
    if m == "quota":
        if p >= 0:
            state.retries += 6 * s * p * p
            state.reschedule = max(state.reschedule, 0.45 * p ** 3)
        if failing:
            state.retries += 4
            state.fail, state.failure = 0.85, ("FAILURE", "Quota exceeded for the source API (429)", None)
    elif m == "growth":
        elapsed = (t - episode.start) / (episode.fail_at - episode.start)
        state.volume *= math.exp(min(elapsed, 1.2) * math.log(6 * s))
        if failing:
            state.fail, state.failure = 0.9, ("FAILURE", "Sync timed out after exceeding the maximum duration", None)
    elif m == "replication":
        if p >= 0:
            state.duration *= 1 + 3 * s * p
            if p > 0.2:
                state.warnings.append(("replication_slot_lag", f"Replication slot lag is {int(2000 * p * s)} MB"))
        if failing:
            state.fail, state.failure = 0.95, ("FAILURE_WITH_TASK", "WAL segment has already been removed", "resync")
    elif m == "capacity":
        peak = 1.5 if 9 <= t.hour < 18 and t.weekday() < 5 else 0.6
        if p >= 0:
            state.write *= 1 + 4 * s * p * peak
            if p > 0.6:
                state.warnings.append(("retry_warehouse_query", "Retrying warehouse query after timeout"))
        if failing and peak > 1:
            state.fail, state.failure = 0.7, ("FAILURE", "Warehouse query timed out: destination over capacity", None)
    elif m == "flaky":
        if failing:
            state.retries += 1.5
            state.retry_kind = "Connection reset by peer"
            state.fail, state.failure = 0.12 * s, ("FAILURE", "java.net.SocketTimeoutException: Read timed out", None)
    elif m == "credential_warned":
        if p >= 0:
            expiry = episode.fail_at.date().isoformat()
            state.warnings.append(("oauth_token_expiring", f"The access token expires on {expiry}. Re-authorize."))
        if failing:
            state.fail, state.failure = 1.0, ("FAILURE_WITH_TASK", "Access token expired", "reconnect")
    elif m == "credential" and failing:
        state.fail, state.failure = 1.0, ("FAILURE_WITH_TASK", "401 Unauthorized", "reconnect")
    if failing and state.fail:
        state.mechanism = m


def _apply_lookalike(state: _State, episode: Episode, t: datetime) -> None:
    if episode.mechanism == "plateau":
        if t >= episode.start:
            state.volume *= 1.3 ** min((t - episode.start).total_seconds() / 86400, 2.0)
        return
    if not episode.start <= t < episode.fail_at:
        return
    if episode.mechanism == "spike":
        state.volume *= episode.strength
    elif episode.mechanism == "retry_burst":
        state.retries += episode.strength
    else:
        state.warnings.append(("schema_change_detected", "Columns added in the source"))


def _state(rng: random.Random, connection: Connection, t: datetime) -> _State:
    state = _State(volume=_seasonal_volume(connection, t))
    for episode in connection.episodes:
        if episode.start <= t < episode.end:
            _apply_episode(state, episode, t, connection)
    for episode in connection.lookalikes:
        _apply_lookalike(state, episode, t)
    if rng.random() < 0.03:
        state.warnings.append((rng.choice(HARMLESS_WARNINGS), "A harmless notice"))
    if not state.fail and rng.random() < BLIP_PER_SYNC:  # a failure with no precursor at all
        state.fail, state.failure, state.mechanism = 1.0, ("FAILURE", "Unexpected error from the source: 500", None), \
            "blip"
    return state


def _sync(rng: random.Random, connection: Connection, t: datetime, number: int) -> tuple[SyncRows, timedelta]:
    """One sync starting at t: its rows, and when the next one starts."""
    state = _state(rng, connection, t)
    sync_id = f"{connection.id}-{number:05d}"
    rows: list[LogRow] = []

    def row(at: datetime, event: str, message_event: str, data: dict | None = None) -> None:
        rows.append(LogRow(f"{sync_id}-{len(rows)}", at, connection.id, event, message_event, data or {}, sync_id))

    row(t, "INFO", "sync_start")
    retries = _poisson(rng, state.retries)
    for _ in range(retries):
        row(t + timedelta(seconds=rng.uniform(1, 60)), "WARNING", "warning",
            {"type": "retry_api_call", "message": f"Retrying after 30 seconds. Error : {state.retry_kind}"})
    for kind, message in state.warnings:
        row(t + timedelta(seconds=rng.uniform(1, 30)), "WARNING", "warning", {"type": kind, "message": message})
    rows.sort(key=lambda r: r.time_stamp)
    interval = timedelta(minutes=connection.frequency)
    if rng.random() < state.reschedule:
        end = t + timedelta(minutes=rng.uniform(0.5, 2))
        row(end, "INFO", "status", {"status": "RESCHEDULED", "reason": "Rescheduled: waiting for source API quota"})
        row(end, "INFO", "sync_end", {"status": "RESCHEDULED", "reason": "Rescheduled: waiting for source API quota"})
        return SyncRows(rows, "RESCHEDULED", None), min(interval, timedelta(hours=1))
    if connection.kind == "database" and rng.random() < 0.02:
        reason = "We have rescheduled the connection to force flush data. This is intended behavior."
        row(t + timedelta(minutes=1), "INFO", "sync_end", {"status": "RESCHEDULED", "reason": reason})
        return SyncRows(rows, "RESCHEDULED", None), timedelta(minutes=5)
    minutes = connection.base_minutes * state.volume ** 0.7 * state.duration * rng.lognormvariate(0, 0.15)
    minutes += retries * 0.5
    write_share = 0.4 * state.write / (0.4 * state.write + 0.6)
    minutes *= (0.4 * state.write + 0.6)
    failed = rng.random() < state.fail
    if failed:
        minutes *= rng.uniform(0.2, 1.0)
    _tables(rows, connection, t, minutes, write_share, state.volume, sync_id, rng)
    end = t + timedelta(minutes=minutes + 0.1)
    if failed:
        status, reason, task = state.failure
        data = {"status": status, "reason": reason, **({"taskType": task} if task else {})}
        row(end, "SEVERE", "sync_end", data)
        return SyncRows(rows, status, state.mechanism or "background"), interval
    row(end, "INFO", "sync_end", {"status": "SUCCESSFUL"})
    return SyncRows(rows, "SUCCESSFUL", None), interval


def _tables(rows: list[LogRow], connection: Connection, t: datetime, minutes: float, write_share: float,
            volume: float, sync_id: str, rng: random.Random) -> None:
    extract = minutes * (1 - write_share)
    per_table = minutes * write_share / len(connection.tables) if connection.tables else 0
    at = t + timedelta(minutes=extract)
    for table in connection.tables:
        rows.append(LogRow(f"{sync_id}-{len(rows)}", at, connection.id, "INFO", "write_to_table_start",
                           {"table": table}, sync_id))
        at += timedelta(minutes=per_table)
        rows.append(LogRow(f"{sync_id}-{len(rows)}", at, connection.id, "INFO", "write_to_table_end",
                           {"table": table}, sync_id))
        count = int(connection.base_records * volume * rng.lognormvariate(0, 0.2) / len(connection.tables))
        rows.append(LogRow(f"{sync_id}-{len(rows)}", at, connection.id, "INFO", "records_modified",
                           {"schema": "src", "table": table, "count": count, "operationType": "REPLACED_OR_INSERTED"},
                           sync_id))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-min(lam, 30)), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate_fleet(seed: int, *, connections: int = 120, days: int = 28, start: datetime = START) -> FleetHistory:
    """The fleet's LOG history over `days`, deterministic for a seed."""
    rng = random.Random(seed)
    fleet = [_connection(rng, i) for i in range(connections)]
    capacity = {d: _episode(rng, "capacity", start + timedelta(hours=rng.uniform(8 * 24, (days - 1) * 24)))
                for d in DESTINATIONS if rng.random() < 0.6}
    for connection in fleet:
        _plan(rng, connection, start, days, capacity)
    end = start + timedelta(days=days)
    syncs: dict[str, list[SyncRows]] = {}
    for connection in fleet:
        history = syncs[connection.id] = []
        t = start + timedelta(minutes=connection.offset)
        while t < end:
            sync, wait = _sync(rng, connection, t, len(history))
            history.append(sync)
            t = max(t + wait, sync.last + timedelta(minutes=1))
    return FleetHistory(fleet, syncs, start, end)


def to_csv_lines(rows: Iterable[LogRow]) -> Iterator[str]:
    """Rows as a Platform Connector LOG CSV export (Fivetran's seed column order), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    yield "id,time_stamp,connection_id,event,message_data,message_event,sync_id\n"
    for row in rows:
        stamp = row.time_stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{row.time_stamp.microsecond // 1000:03d}"
        data = json.dumps(row.message_data, separators=(",", ":")) if row.message_data else ""
        writer.writerow([row.id, stamp, row.connection_id, row.event, data, row.message_event, row.sync_id or ""])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
