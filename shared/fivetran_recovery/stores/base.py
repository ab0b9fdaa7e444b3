"""Store interfaces and the small records they hold.

Every store has two implementations behind one Protocol: DynamoDB (deployed, `dynamodb_*.py`) and in memory
(unit tests, `memory.py`). The contract tests in tests/stores run the same assertions against both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from fivetran_recovery.models.incident import ChildRef, Incident, IncidentKind


class StoreError(RuntimeError):
    """A storage operation failed in a way the caller cannot fix by retrying the same call."""


class AlreadyOpenError(StoreError):
    """An open incident already holds this fingerprint (another consumer won the race)."""

    def __init__(self, scope: str, fingerprint: str, existing_id: str | None) -> None:
        super().__init__(f"an open incident already holds fingerprint {fingerprint} in {scope}: {existing_id}")
        self.scope = scope
        self.fingerprint = fingerprint
        self.existing_id = existing_id


class ConcurrentUpdateError(StoreError):
    """The incident changed between read and write too many times in a row."""


class IncidentNotFoundError(StoreError):
    pass


class ParentClosedError(StoreError):
    """A child was to join a parent that closed meanwhile (the caller opens it on its own instead)."""

    def __init__(self, parent_id: str) -> None:
        super().__init__(f"parent incident {parent_id} is closed")
        self.parent_id = parent_id


def time_key(value: datetime) -> str:
    """A fixed-width UTC timestamp that sorts lexicographically in time order."""
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lock_scope(incident: Incident) -> str:
    """The partition of an incident's open-fingerprint lock: its connection, or the shared cause of a parent."""
    if incident.connection_id:
        return incident.connection_id
    return f"corr:{incident.correlation_key or incident.fingerprint}"


@dataclass(frozen=True)
class ChildChange:
    """What one write of a child changes on its parent (see IncidentStore)."""

    parent_id: str
    joined: bool
    closed: bool
    events: int
    failures: int
    successes: int
    last_seen: datetime | None  # the child's last_seen when it moved forward (or joined), else None

    @property
    def is_empty(self) -> bool:
        return not (self.joined or self.closed or self.events or self.failures or self.successes or self.last_seen)


def child_change(before: Incident | None, after: Incident) -> ChildChange | None:
    """The parent's share of a child's write: None when `after` is not a child of a parent."""
    if after.kind is not IncidentKind.CHILD or not after.parent_id:
        return None
    joined = before is None or before.kind is not IncidentKind.CHILD or before.parent_id != after.parent_id
    was = None if joined else before
    moved = was is None or after.last_seen > was.last_seen
    return ChildChange(
        parent_id=after.parent_id,
        joined=joined,
        closed=not after.is_open and (was is None or was.is_open),
        events=after.counts.events - (was.counts.events if was else 0),
        failures=after.counts.failures - (was.counts.failures if was else 0),
        successes=after.counts.successes - (was.counts.successes if was else 0),
        last_seen=after.last_seen if moved else None,
    )


class ClosedIncidentSummary(BaseModel):
    """What "similar incidents" lists: enough to link and compare, without loading every record."""

    incident_id: str
    signature: str
    connection_id: str | None = None
    destination_group_id: str | None = None
    status: str
    closed_at: datetime
    first_seen: datetime
    summary: str = ""
    playbook: str | None = None


class DigestKind(StrEnum):
    SUPPRESSED = "suppressed"
    SELF_HEALED = "self_healed"
    CANCELED_UNATTRIBUTED = "canceled_unattributed"


class DigestEntry(BaseModel):
    """One raw event kept out of the pager on purpose: listed in the digest, never dropped."""

    at: datetime
    kind: DigestKind
    connection_id: str | None = None
    destination_group_id: str | None = None
    event_key: str
    event: str = "sync_end"
    status: str | None = None
    reason: str = Field("", max_length=500)
    rule: str | None = Field(None, description="the maintenance window or calendar rule that applied")
    incident_id: str | None = None
    category: str | None = None
    pattern: str | None = None
    related_event_keys: list[str] = Field(
        default_factory=list, description="self-healed: the failure deliveries the success closed"
    )


class CorrelationSignal(BaseModel):
    key: str
    connection_id: str
    incident_id: str | None = None
    at: datetime


class HistoryRecord(BaseModel):
    """One sync outcome of one connection (the diagnose function records every sync_start/sync_end)."""

    connection_id: str
    at: datetime
    event: str
    event_key: str
    status: str | None = None
    sync_id: str | None = None
    reason: str | None = Field(None, max_length=1000)
    category: str | None = None
    pattern: str | None = None
    incident_id: str | None = None
    actor: str | None = Field(None, max_length=200)  # who made a pause/edit: "Fivetran" when Fivetran itself did


Mutation = Callable[[Incident], Incident | None]


class IncidentStore(Protocol):
    """Incidents, their open-fingerprint locks and their children.

    A child (kind `child` with a `parent_id`) is recorded as its own entry under its parent, never in the parent's
    document. The child's own write (its create, the update that adopts a single, any later update) also, in the
    same atomic step: adds it to the parent's `child_count` (once), adds the change in its counts to the parent's
    counts and moves the parent's `last_seen` forward, and when it closes adds one to `closed_child_count`. So a
    parent's counts are its document's plus the sum of its children's, never drift under concurrent writers, and
    cost the same with 2,000 children as with 2. A child cannot join a closed parent (`ParentClosedError`), and a
    parent cannot close on a stale count of its children (the write is retried on the new count).
    """

    def get(self, incident_id: str) -> Incident | None:
        """The incident; a parent with its child counts and up to MAX_CHILD_SAMPLE children, newest first."""
        ...

    def children(self, parent_id: str) -> list[ChildRef]:
        """Every child of a parent, oldest id first (read page by page)."""
        ...

    def find_open(self, scope: str, fingerprint: str) -> Incident | None: ...

    def open_ids(self, locks: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The incident id holding each of these (scope, fingerprint) open locks that is held, read at once."""
        ...

    def open_in_scope(self, scope: str) -> list[Incident]: ...

    def create(self, incident: Incident) -> Incident:
        """Store a new incident; raises AlreadyOpenError if its fingerprint is already open in its scope."""
        ...

    def update(self, incident_id: str, mutate: Mutation, *, current: Incident | None = None) -> Incident:
        """Apply `mutate` to a copy (None = no change), write if nobody wrote in between; retried on a fresh read.

        `current`: the incident as the caller just read it; the first try writes against it (conditionally on its
        version) instead of reading it again."""
        ...

    def list_by_connection(self, connection_id: str, limit: int = 50) -> list[Incident]: ...

    def list_by_destination(self, destination_group_id: str, limit: int = 50) -> list[Incident]: ...

    def list_similar_closed(self, signature: str, limit: int = 10) -> list[ClosedIncidentSummary]: ...

    def due_for_confirmation(self, now: datetime) -> list[str]: ...

    def awaiting_workflow(self, confirmed_before: datetime) -> list[str]:
        """Confirmed open top-level incidents, confirmed at or before then, with no workflow known to exist."""
        ...


class CorrelationStore(Protocol):
    def record(self, signal: CorrelationSignal, *, ttl_seconds: int) -> None: ...

    def connections_since(self, key: str, since: datetime) -> dict[str, str | None]:
        """connection id -> latest incident id, for signals of `key` at or after `since`."""
        ...


class DigestStore(Protocol):
    def add(self, entry: DigestEntry) -> None: ...

    def between(self, since: datetime, until: datetime) -> list[DigestEntry]: ...


class HistoryStore(Protocol):
    def record(self, record: HistoryRecord) -> None: ...

    def recent(self, connection_id: str, *, limit: int = 20, since: datetime | None = None) -> list[HistoryRecord]:
        """Newest first."""
        ...


class LlmCacheStore(Protocol):
    """The RCA helper's LlmCache protocol: results keyed by incident signature."""

    def get(self, signature: str) -> Any | None: ...

    def put(self, signature: str, value: Any) -> None: ...
