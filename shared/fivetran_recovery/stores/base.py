"""Store interfaces and the small records they hold.

Every store has two implementations behind one Protocol: DynamoDB (deployed, `dynamodb_*.py`) and in memory
(unit tests, `memory.py`). The contract tests in tests/stores run the same assertions against both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from fivetran_recovery.models.incident import Incident


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
    def get(self, incident_id: str) -> Incident | None: ...

    def find_open(self, scope: str, fingerprint: str) -> Incident | None: ...

    def open_in_scope(self, scope: str) -> list[Incident]: ...

    def create(self, incident: Incident) -> Incident:
        """Store a new incident; raises AlreadyOpenError if its fingerprint is already open in its scope."""
        ...

    def update(self, incident_id: str, mutate: Mutation) -> Incident:
        """Read, apply `mutate` to a copy (None = no change), write if nobody wrote in between; retried."""
        ...

    def add_counts(self, incident_id: str, *, events: int = 0, failures: int = 0, successes: int = 0,
                   last_seen: datetime | None = None) -> Incident:
        """Count on an incident without rewriting it (a parent counting its children's repeat failures): atomic,
        never lost to a concurrent writer, and as cheap however many children the parent has."""
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
