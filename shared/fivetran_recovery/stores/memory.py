"""In-memory stores with the same contract as the DynamoDB ones (unit tests, the drill's fast path)."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from fivetran_recovery.models.incident import Incident, IncidentKind
from fivetran_recovery.stores.base import (
    AlreadyOpenError,
    ClosedIncidentSummary,
    CorrelationSignal,
    DigestEntry,
    HistoryRecord,
    IncidentNotFoundError,
    Mutation,
    lock_scope,
    time_key,
)


class InMemoryIncidentStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._incidents: dict[str, Incident] = {}
        self._open: dict[tuple[str, str], str] = {}  # (scope, fingerprint) -> incident id
        self._closed: dict[str, list[ClosedIncidentSummary]] = defaultdict(list)

    def get(self, incident_id: str) -> Incident | None:
        with self._lock:
            found = self._incidents.get(incident_id)
            return found.model_copy(deep=True) if found else None

    def find_open(self, scope: str, fingerprint: str) -> Incident | None:
        with self._lock:
            incident_id = self._open.get((scope, fingerprint))
            return self.get(incident_id) if incident_id else None

    def open_in_scope(self, scope: str) -> list[Incident]:
        with self._lock:
            ids = [iid for (s, _), iid in self._open.items() if s == scope]
            return [i for i in (self.get(iid) for iid in ids) if i is not None]

    def create(self, incident: Incident) -> Incident:
        with self._lock:
            key = (lock_scope(incident), incident.fingerprint)
            if key in self._open:
                raise AlreadyOpenError(key[0], key[1], self._open[key])
            if incident.id in self._incidents:
                raise AlreadyOpenError(key[0], key[1], incident.id)
            stored = incident.model_copy(deep=True)
            stored.version = 1
            self._incidents[stored.id] = stored
            if stored.is_open:
                self._open[key] = stored.id
            return stored.model_copy(deep=True)

    def update(self, incident_id: str, mutate: Mutation) -> Incident:
        with self._lock:
            current = self._incidents.get(incident_id)
            if current is None:
                raise IncidentNotFoundError(incident_id)
            changed = mutate(current.model_copy(deep=True))
            if changed is None:
                return current.model_copy(deep=True)
            changed.version = current.version + 1
            self._incidents[incident_id] = changed.model_copy(deep=True)
            if current.is_open and not changed.is_open:
                self._open.pop((lock_scope(current), current.fingerprint), None)
                if changed.is_top_level:
                    self._closed[changed.signature].append(closed_summary(changed))
            return changed.model_copy(deep=True)

    def add_counts(self, incident_id: str, *, events: int = 0, failures: int = 0, successes: int = 0,
                   last_seen: datetime | None = None) -> Incident:
        with self._lock:
            stored = self._incidents.get(incident_id)
            if stored is None:
                raise IncidentNotFoundError(incident_id)
            stored.counts.events += events
            stored.counts.failures += failures
            stored.counts.successes += successes
            if last_seen is not None and last_seen > stored.last_seen:
                stored.last_seen = last_seen
            return stored.model_copy(deep=True)

    def list_by_connection(self, connection_id: str, limit: int = 50) -> list[Incident]:
        with self._lock:
            found = [i for i in self._incidents.values() if i.connection_id == connection_id]
        return [i.model_copy(deep=True) for i in sorted(found, key=lambda i: i.first_seen, reverse=True)[:limit]]

    def list_by_destination(self, destination_group_id: str, limit: int = 50) -> list[Incident]:
        with self._lock:
            found = [
                i
                for i in self._incidents.values()
                if i.kind is IncidentKind.PARENT and i.destination_group_id == destination_group_id
            ]
        return [i.model_copy(deep=True) for i in sorted(found, key=lambda i: i.first_seen, reverse=True)[:limit]]

    def list_similar_closed(self, signature: str, limit: int = 10) -> list[ClosedIncidentSummary]:
        with self._lock:
            return sorted(self._closed.get(signature, []), key=lambda s: s.closed_at, reverse=True)[:limit]

    def due_for_confirmation(self, now: datetime) -> list[str]:
        with self._lock:
            due = [i for i in self._incidents.values() if i.is_pending and i.hold_until and i.hold_until <= now]
        return [i.id for i in sorted(due, key=lambda i: (time_key(i.hold_until), i.id))]  # type: ignore[arg-type]

    def awaiting_workflow(self, confirmed_before: datetime) -> list[str]:
        with self._lock:
            due = [i for i in self._incidents.values()
                   if i.awaits_workflow and i.confirmed_at and i.confirmed_at <= confirmed_before]
        return [i.id for i in sorted(due, key=lambda i: (time_key(i.confirmed_at), i.id))]  # type: ignore[arg-type]

    def all(self) -> list[Incident]:
        """Every incident (tests and the drill only: the DynamoDB store has no scan on purpose)."""
        with self._lock:
            return [i.model_copy(deep=True) for i in self._incidents.values()]


def closed_summary(incident: Incident) -> ClosedIncidentSummary:
    diagnosis = incident.diagnosis
    return ClosedIncidentSummary(
        incident_id=incident.id,
        signature=incident.signature,
        connection_id=incident.connection_id,
        destination_group_id=incident.destination_group_id,
        status=incident.status.value,
        closed_at=incident.closed_at or incident.last_seen,
        first_seen=incident.first_seen,
        summary=diagnosis.summary if diagnosis else "",
        playbook=diagnosis.playbook if diagnosis else None,
    )


class InMemoryCorrelationStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signals: dict[str, list[CorrelationSignal]] = defaultdict(list)

    def record(self, signal: CorrelationSignal, *, ttl_seconds: int) -> None:
        with self._lock:
            horizon = signal.at - timedelta(seconds=ttl_seconds)
            kept = [s for s in self._signals[signal.key] if s.at >= horizon]
            self._signals[signal.key] = [*kept, signal]

    def connections_since(self, key: str, since: datetime) -> dict[str, str | None]:
        with self._lock:
            signals = sorted((s for s in self._signals.get(key, []) if s.at >= since), key=lambda s: s.at)
        return {s.connection_id: s.incident_id for s in signals}


class InMemoryDigestStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], DigestEntry] = {}

    def add(self, entry: DigestEntry) -> None:
        with self._lock:  # keyed like the DynamoDB item: a redelivered event is listed once
            self._entries[(time_key(entry.at), entry.kind.value, entry.event_key)] = entry

    def between(self, since: datetime, until: datetime) -> list[DigestEntry]:
        with self._lock:
            return sorted((e for e in self._entries.values() if since <= e.at <= until), key=lambda e: e.at)


class InMemoryHistoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, HistoryRecord]] = defaultdict(dict)

    def record(self, record: HistoryRecord) -> None:
        with self._lock:
            self._records[record.connection_id][f"{time_key(record.at)}#{record.event_key}"] = record

    def recent(self, connection_id: str, *, limit: int = 20, since: datetime | None = None) -> list[HistoryRecord]:
        with self._lock:
            items = sorted(self._records.get(connection_id, {}).items(), reverse=True)
        return [r for _, r in items if since is None or r.at >= since][:limit]


class InMemoryLlmCache:
    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, signature: str) -> Any | None:
        return self._values.get(signature)

    def put(self, signature: str, value: Any) -> None:
        self._values[signature] = value
