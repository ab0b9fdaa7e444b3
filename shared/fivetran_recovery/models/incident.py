"""Incidents: one record per real problem, with the paper trail of how it got there.

Kinds: a `single` incident covers one connection; a `parent` covers a shared cause (one destination or one pattern
failing on many connections) with `child` incidents, one per affected connection. Only top-level incidents
(single and parent) are what people see, diagnose and remediate; children carry per-connection counts.

A parent's document does not list its children: each child is its own item beside it in the store, and the store
counts them and rolls each child's counts up into the parent in the child's own write (so a storm of 2,000
connections never rewrites, nor grows, the parent's document). A parent read carries `child_count`,
`closed_child_count` and a small `child_sample`; `IncidentStore.children` lists every child.

A new incident may start *pending* (`hold_until` set): Fivetran retries on its own and correlated failures arrive
in bursts, so paging and the expensive diagnosis wait until the hold ends (the sweep), a repeat failure confirms
it, or a success closes it as self-healed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from fivetran_recovery.models.diagnosis import Category, Diagnosis, Evidence

MAX_EVIDENCE = 20
MAX_EVENT_KEYS = 50
MAX_TIMELINE = 200
MAX_CHILD_SAMPLE = 10
STORE_FIELDS = frozenset({"child_count", "closed_child_count", "child_sample"})  # kept by the store, not the document


class IncidentStatus(StrEnum):
    OPEN = "open"
    SELF_HEALED = "self_healed"
    SUPPRESSED = "suppressed"
    DIAGNOSED = "diagnosed"
    AWAITING_APPROVAL = "awaiting_approval"
    REMEDIATING = "remediating"
    RECOVERED = "recovered"
    ESCALATED = "escalated"
    CLOSED = "closed"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {IncidentStatus.SELF_HEALED, IncidentStatus.SUPPRESSED, IncidentStatus.RECOVERED, IncidentStatus.CLOSED}
)


class IncidentKind(StrEnum):
    SINGLE = "single"
    PARENT = "parent"
    CHILD = "child"


class Criticality(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _CRITICALITY_RANK[self]


_CRITICALITY_RANK = {Criticality.LOW: 0, Criticality.MEDIUM: 1, Criticality.HIGH: 2, Criticality.CRITICAL: 3}


class IncidentCounts(BaseModel):
    events: int = 0
    failures: int = 0
    successes: int = 0


class ChildRef(BaseModel):
    """One child of a parent as the store lists it (its own item, not part of the parent's document)."""

    incident_id: str
    connection_id: str | None = None
    closed: bool = False


class TimelineEntry(BaseModel):
    at: datetime
    kind: str = Field(description="opened, attached, confirmed, status, child_added, self_healed, ...")
    note: str = ""
    status: IncidentStatus | None = None


class ExternalStatusRef(BaseModel):
    """An incident on a vendor status page (Atlassian Statuspage) that was active when this one opened."""

    source: str
    name: str
    status: str
    impact: str = "none"
    url: str | None = None


def new_incident_id(now: datetime) -> str:
    """Sortable by creation time, unique without coordination."""
    return f"inc-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:10]}"


class Incident(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    id: str
    kind: IncidentKind = IncidentKind.SINGLE
    fingerprint: str
    signature: str = Field(description="category:pattern, shared by similar incidents across connections")
    connection_id: str | None = Field(None, description="the connection (single, child); None for a parent")
    destination_group_id: str | None = None
    connector_type: str | None = None
    category: Category
    pattern: str
    table: str | None = None
    correlation_key: str | None = Field(None, description="parent only: what the children share")
    status: IncidentStatus = IncidentStatus.OPEN
    parent_id: str | None = None
    child_count: int = Field(0, description="parent only: children that joined (counted by the store)")
    closed_child_count: int = Field(0, description="parent only: children closed so far (counted by the store)")
    child_sample: list[ChildRef] = Field(
        default_factory=list, description="parent only: up to MAX_CHILD_SAMPLE children, newest first, as read"
    )
    counts: IncidentCounts = Field(default_factory=IncidentCounts)
    first_seen: datetime
    last_seen: datetime
    hold_until: datetime | None = Field(None, description="pending until then (debounce / group wait)")
    confirmed_at: datetime | None = None
    workflow_started_at: datetime | None = Field(None, description="when its recovery workflow was known to exist")
    workflow_attempts: int = Field(0, description="starts tried by the sweep for a confirmed incident (bounded)")
    closed_at: datetime | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    diagnosis: Diagnosis | None = None
    owner: str | None = None
    channel: str | None = None
    criticality: Criticality = Criticality.MEDIUM
    paged: bool = False
    eta_seconds: int | None = None
    external_status: list[ExternalStatusRef] = Field(default_factory=list)
    channel_message_ref: dict[str, Any] | None = Field(
        None, description="how to update the incident's root messages, e.g. {slack: {channel (id), ts}}"
    )
    recent_event_keys: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    version: int = 0
    # counts added atomically outside the document (a store's counter item), not part of what the document holds
    _added_counts: IncidentCounts | None = PrivateAttr(default=None)

    @property
    def is_open(self) -> bool:
        return not self.status.is_terminal

    @property
    def is_pending(self) -> bool:
        """Opened but not yet confirmed as a real problem (nobody paged, no deep diagnosis yet)."""
        return self.is_open and self.confirmed_at is None and self.kind is not IncidentKind.CHILD

    @property
    def awaits_workflow(self) -> bool:
        """Confirmed and open, but no recovery workflow known to exist yet: the sweep resumes or escalates it."""
        return (self.is_open and self.is_top_level and self.confirmed_at is not None
                and self.workflow_started_at is None and self.status is not IncidentStatus.ESCALATED)

    @property
    def child_connections(self) -> list[str]:
        """The sampled children's connections (every child: `IncidentStore.children`)."""
        return [c.connection_id or "" for c in self.child_sample]

    @property
    def open_child_count(self) -> int:
        return self.child_count - self.closed_child_count

    def document(self) -> str:
        """The JSON the store keeps as the incident's document: without what the store itself keeps."""
        return self.model_dump_json(exclude=set(STORE_FIELDS))

    @property
    def is_top_level(self) -> bool:
        return self.kind is not IncidentKind.CHILD

    def note(self, at: datetime, kind: str, note: str = "", status: IncidentStatus | None = None) -> None:
        self.timeline = [*self.timeline, TimelineEntry(at=at, kind=kind, note=note, status=status)][-MAX_TIMELINE:]

    def add_evidence(self, items: list[Evidence]) -> None:
        """Keep new facts only, oldest first, bounded."""
        known = {(e.source, e.detail) for e in self.evidence}
        fresh = [e for e in items if (e.source, e.detail) not in known]
        if fresh:
            self.evidence = [*self.evidence, *fresh][-MAX_EVIDENCE:]

    def remember_event(self, event_key: str) -> bool:
        """Record a delivery; False when it was already seen (a webhook redelivery)."""
        if event_key in self.recent_event_keys:
            return False
        self.recent_event_keys = [*self.recent_event_keys, event_key][-MAX_EVENT_KEYS:]
        return True
