"""How triage changes an incident: built from its first failure, counted, adopted by a parent, closed, marked
paged; and the digest entry for what is kept out of the pager. Each mutation is a function for
`IncidentStore.update` (None = no change)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.incident import MAX_EVIDENCE, Incident, IncidentStatus, new_incident_id
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.redaction import clip
from fivetran_recovery.stores.base import DigestEntry, DigestKind
from fivetran_recovery.triage.fingerprint import signature, table_of
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import Route

Mutation = Callable[[Incident], Incident | None]


def new_incident(
    event: WebhookEvent, diagnosis: Diagnosis, fingerprint: str, route: Route, policy: TriagePolicy, now: datetime
) -> Incident:
    """A single incident for a first failure: confirmed at once for a per-connection cause, else pending for the
    self-heal window (retryable) or the group wait (siblings may follow). Holds and confirmation run on our
    clock (`now`), from when we learn of the failure; the event's time is its data."""
    at = event.created
    immediate = diagnosis.category in policy.immediate_categories and not diagnosis.retryable
    hold = None
    if not immediate:
        seconds = policy.self_heal_window_seconds if diagnosis.retryable else policy.group_wait_seconds
        hold = now + timedelta(seconds=seconds)
    incident = Incident(
        id=new_incident_id(at),
        fingerprint=fingerprint,
        signature=signature(diagnosis.category, diagnosis.pattern),
        connection_id=event.connection_id,
        destination_group_id=event.destination_group_id,
        connector_type=event.connector_type,
        category=diagnosis.category,
        pattern=diagnosis.pattern,
        table=table_of(diagnosis),
        first_seen=at,
        last_seen=at,
        hold_until=hold,
        confirmed_at=now if immediate else None,
        diagnosis=diagnosis,
        owner=route.owner,
        channel=route.channel,
        criticality=route.criticality,
    )
    incident.remember_event(event.event_key)
    count_failure(incident, event, diagnosis, attach=False)
    incident.note(at, "opened", "confirmed: a per-connection cause" if immediate else f"pending until {hold}")
    return incident


def count_failure(incident: Incident, event: WebhookEvent, diagnosis: Diagnosis, *, attach: bool = True) -> None:
    incident.counts.events += 1
    incident.counts.failures += 1
    incident.last_seen = max(incident.last_seen, event.created)
    incident.add_evidence(diagnosis.evidence)
    if attach:
        incident.note(event.created, "attached", f"failure #{incident.counts.failures}")


def adopter(children: list[Incident], at: datetime) -> Mutation:
    """What new children bring to their parent's document: the highest criticality, the earliest first failure and,
    while there is room, a little of their evidence. Membership and counts are the store's (each child's own write
    records it and counts on the parent), so this is None when the document would not change: a storm's
    thousandth child does not rewrite its parent."""

    def mutate(parent: Incident) -> Incident | None:
        highest = max([parent.criticality, *(c.criticality for c in children)], key=lambda c: c.rank)
        first = min([parent.first_seen, *(c.first_seen for c in children)])
        evidence = list(parent.evidence)
        for child in children:
            if len(parent.evidence) < MAX_EVIDENCE:
                parent.add_evidence(child.evidence[:2])
        if highest == parent.criticality and first == parent.first_seen and parent.evidence == evidence:
            return None
        parent.criticality = highest
        parent.first_seen = first
        parent.note(at, "child_added", ", ".join(c.connection_id or "" for c in children))
        return parent

    return mutate


def closer(status: IncidentStatus, event: WebhookEvent, note: str) -> Mutation:
    """Close an open incident on a success event."""

    def mutate(incident: Incident) -> Incident | None:
        if not incident.is_open:
            return None
        incident.counts.events += 1
        incident.counts.successes += 1
        incident.remember_event(event.event_key)
        incident.status = status
        incident.closed_at = event.created
        incident.hold_until = None
        incident.note(event.created, status.value, note, status)
        return incident

    return mutate


def closer_at(status: IncidentStatus, at: datetime, note: str) -> Mutation:
    """Close an open incident at a time (a child whose parent closed)."""

    def mutate(incident: Incident) -> Incident | None:
        if not incident.is_open:
            return None
        incident.status = status
        incident.closed_at = at
        incident.note(at, status.value, note, status)
        return incident

    return mutate


def mark_paged(incident: Incident) -> Incident | None:
    if incident.paged:
        return None
    incident.paged = True
    return incident


def digest_entry(
    event: WebhookEvent,
    kind: DigestKind,
    *,
    diagnosis: Diagnosis | None = None,
    incident: Incident | None = None,
    rule: str | None = None,
) -> DigestEntry:
    reason = clip(str((event.data or {}).get("reason") or ""), 500)
    return DigestEntry(
        at=event.created,
        kind=kind,
        connection_id=event.connection_id,
        destination_group_id=event.destination_group_id,
        event_key=event.event_key,
        event=event.event,
        status=event.status,
        reason=reason,
        rule=rule,
        incident_id=incident.id if incident else None,
        category=str(diagnosis.category) if diagnosis else (str(incident.category) if incident else None),
        pattern=diagnosis.pattern if diagnosis else (incident.pattern if incident else None),
        related_event_keys=[k for k in incident.recent_event_keys if k != event.event_key] if incident else [],
    )
