"""In-memory stores with the same contract as the DynamoDB ones (unit tests, the drill's fast path)."""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fivetran_recovery.models.incident import MAX_CHILD_SAMPLE, ChildRef, Incident, IncidentCounts, IncidentKind
from fivetran_recovery.stores.base import (
    AlreadyOpenError,
    ChildChange,
    ClosedIncidentSummary,
    CorrelationSignal,
    DigestEntry,
    HistoryRecord,
    IncidentNotFoundError,
    Mutation,
    ParentClosedError,
    child_change,
    lock_scope,
    time_key,
)


@dataclass
class _Rollup:
    """What a parent's children added to it (the DynamoDB store's COUNTS item)."""

    counts: IncidentCounts = field(default_factory=IncidentCounts)
    last_seen: datetime | None = None
    children: dict[str, ChildRef] = field(default_factory=dict)
    ordered: list[str] = field(default_factory=list)  # child ids, sorted (the DynamoDB items' sort key order)
    closed: int = 0


class InMemoryIncidentStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._incidents: dict[str, Incident] = {}  # the documents (without what the store keeps apart)
        self._rollups: dict[str, _Rollup] = defaultdict(_Rollup)  # parent id -> its children's share
        self._open: dict[tuple[str, str], str] = {}  # (scope, fingerprint) -> incident id
        self._open_by_scope: dict[str, dict[str, str]] = defaultdict(dict)  # scope -> fingerprint -> id (a Query)
        self._closed: dict[str, list[ClosedIncidentSummary]] = defaultdict(list)

    def get(self, incident_id: str) -> Incident | None:
        with self._lock:
            found = self._incidents.get(incident_id)
            return self._composed(found) if found else None

    def children(self, parent_id: str) -> list[ChildRef]:
        with self._lock:
            rollup = self._rollups.get(parent_id)
            return [rollup.children[i].model_copy() for i in rollup.ordered] if rollup else []

    def find_open(self, scope: str, fingerprint: str) -> Incident | None:
        with self._lock:
            incident_id = self._open.get((scope, fingerprint))
            return self.get(incident_id) if incident_id else None

    def open_ids(self, locks: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        with self._lock:
            return {key: self._open[key] for key in locks if key in self._open}

    def open_in_scope(self, scope: str) -> list[Incident]:
        with self._lock:
            ids = list(self._open_by_scope.get(scope, {}).values())
            return [i for i in (self.get(iid) for iid in ids) if i is not None]

    def create(self, incident: Incident) -> Incident:
        with self._lock:
            key = (lock_scope(incident), incident.fingerprint)
            if key in self._open:
                raise AlreadyOpenError(key[0], key[1], self._open[key])
            if incident.id in self._incidents:
                raise AlreadyOpenError(key[0], key[1], incident.id)
            change = child_change(None, incident)
            self._check_parent(change)
            stored = _document(incident, incident.counts)
            stored.version = 1
            self._incidents[stored.id] = stored
            if stored.is_open:
                self._open[key] = stored.id
                self._open_by_scope[key[0]][key[1]] = stored.id
            self._roll_up(change, stored)
            return self._composed(stored)

    def update(self, incident_id: str, mutate: Mutation, *, current: Incident | None = None) -> Incident:
        with self._lock:  # one writer at a time: `current` is never stale here
            stored = self._incidents.get(incident_id)
            if stored is None:
                raise IncidentNotFoundError(incident_id)
            before = self._composed(stored)
            changed = mutate(before.model_copy(deep=True))
            if changed is None:
                return before
            change = child_change(before, changed)
            self._check_parent(change)
            added = changed._added_counts or IncidentCounts()
            own = IncidentCounts(events=changed.counts.events - added.events,
                                 failures=changed.counts.failures - added.failures,
                                 successes=changed.counts.successes - added.successes)
            document = _document(changed, own)
            document.version = stored.version + 1
            self._incidents[incident_id] = document
            self._roll_up(change, document)
            if before.is_open and not changed.is_open:
                self._open.pop((lock_scope(before), before.fingerprint), None)
                self._open_by_scope[lock_scope(before)].pop(before.fingerprint, None)
                if changed.is_top_level:
                    self._closed[changed.signature].append(closed_summary(changed))
            return self._composed(document)

    def _check_parent(self, change: ChildChange | None) -> None:
        if change is None or not change.joined:
            return
        parent = self._incidents.get(change.parent_id)
        if parent is None:
            raise IncidentNotFoundError(change.parent_id)
        if not parent.is_open:
            raise ParentClosedError(change.parent_id)

    def _roll_up(self, change: ChildChange | None, child: Incident) -> None:
        if change is None or change.is_empty:
            return
        rollup = self._rollups[change.parent_id]
        if change.joined and child.id not in rollup.children:
            rollup.children[child.id] = ChildRef(incident_id=child.id, connection_id=child.connection_id)
            bisect.insort(rollup.ordered, child.id)
        if change.closed and child.id in rollup.children and not rollup.children[child.id].closed:
            rollup.children[child.id].closed = True
            rollup.closed += 1
        rollup.counts.events += change.events
        rollup.counts.failures += change.failures
        rollup.counts.successes += change.successes
        if change.last_seen is not None and (rollup.last_seen is None or change.last_seen > rollup.last_seen):
            rollup.last_seen = change.last_seen

    def _composed(self, document: Incident) -> Incident:
        """The document with its children's share, as the DynamoDB store reads META with COUNTS and a sample."""
        incident = document.model_copy(deep=True)
        rollup = self._rollups.get(document.id)
        if rollup is None:
            return incident
        added = rollup.counts.model_copy()
        incident.counts = IncidentCounts(events=incident.counts.events + added.events,
                                         failures=incident.counts.failures + added.failures,
                                         successes=incident.counts.successes + added.successes)
        if rollup.last_seen is not None and rollup.last_seen > incident.last_seen:
            incident.last_seen = rollup.last_seen
        incident._added_counts = added
        refs = rollup.children
        incident.child_count = len(refs)
        incident.closed_child_count = rollup.closed
        incident.child_sample = [refs[i].model_copy() for i in reversed(rollup.ordered[-MAX_CHILD_SAMPLE:])]
        return incident

    def list_by_connection(self, connection_id: str, limit: int = 50) -> list[Incident]:
        with self._lock:
            found = [i for i in self._incidents.values() if i.connection_id == connection_id]
            return [self._composed(i) for i in sorted(found, key=lambda i: i.first_seen, reverse=True)[:limit]]

    def list_by_destination(self, destination_group_id: str, limit: int = 50) -> list[Incident]:
        with self._lock:
            found = [
                i
                for i in self._incidents.values()
                if i.kind is IncidentKind.PARENT and i.destination_group_id == destination_group_id
            ]
            return [self._composed(i) for i in sorted(found, key=lambda i: i.first_seen, reverse=True)[:limit]]

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
            return [self._composed(i) for i in self._incidents.values()]


def _document(incident: Incident, own: IncidentCounts) -> Incident:
    """What the store keeps as the document: its own counts, none of the store's fields."""
    document = incident.model_copy(deep=True, update={"counts": own.model_copy(), "child_count": 0,
                                                      "closed_child_count": 0, "child_sample": []})
    document._added_counts = None
    return document


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
