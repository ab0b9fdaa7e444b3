"""Correlation: failures alike across connections become one parent incident with children.

A failure joins an open parent with its correlation key (the destination + pattern, or for outage-prone
categories the pattern anywhere) as a child; when enough connections fail alike within the window, a new parent
is opened and adopts the open single incidents of the others. Races (another consumer created the same incident
a moment ago) surface as `AlreadyOpenError` for the lifecycle to resolve.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.incident import Incident, IncidentKind, new_incident_id
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import (
    AlreadyOpenError,
    CorrelationSignal,
    CorrelationStore,
    IncidentStore,
    ParentClosedError,
)
from fivetran_recovery.triage.changes import adopter, mark_paged
from fivetran_recovery.triage.confirmation import Confirmer
from fivetran_recovery.triage.decision import TriageAction, TriageDecision
from fivetran_recovery.triage.fingerprint import destination_key, pattern_key
from fivetran_recovery.triage.paging import Paging
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import Route, Routing

SHARED_CAUSE_PROBES = 3  # newest fellow failures looked at for their parent (bounded reads per event)


class Correlator:
    def __init__(
        self,
        *,
        incidents: IncidentStore,
        correlation: CorrelationStore,
        routing: Routing,
        policy: TriagePolicy,
        paging: Paging,
        confirmer: Confirmer,
    ) -> None:
        self.incidents = incidents
        self.correlation = correlation
        self.routing = routing
        self.policy = policy
        self.paging = paging
        self.confirmer = confirmer

    def keys(self, event: WebhookEvent, diagnosis: Diagnosis) -> list[tuple[str, int]]:
        """(correlation key, connections needed to form a parent) for this failure; none for per-connection causes."""
        if diagnosis.category in self.policy.immediate_categories:
            return []
        keys = []
        if event.destination_group_id:
            keys.append(
                (
                    destination_key(event.destination_group_id, diagnosis.category, diagnosis.pattern),
                    self.policy.min_connections_destination,
                )
            )
        if diagnosis.category in self.policy.cross_destination_categories:
            keys.append((pattern_key(diagnosis.category, diagnosis.pattern), self.policy.min_connections_pattern))
        return keys

    @staticmethod
    def locks(keys: list[tuple[str, int]]) -> list[tuple[str, str]]:
        """The (scope, fingerprint) open locks of the parents these keys would form."""
        return [(f"corr:{key}", key) for key, _ in keys]

    def open_parent_for(self, keys: list[tuple[str, int]], single: Incident | None = None, *,
                        held: dict[tuple[str, str], str] | None = None) -> Incident | None:
        """The open parent of the first key that has one. `held`: those locks as just read (`open_ids`)."""
        held = held if held is not None else self.incidents.open_ids(self.locks(keys))
        for lock in self.locks(keys):
            parent = self.incidents.get(held[lock]) if lock in held else None
            if parent is not None and parent.is_open:
                return parent
        return self._shared_cause_parent(keys, single) if single is not None else None

    def _shared_cause_parent(self, keys: list[tuple[str, int]], single: Incident) -> Incident | None:
        """One cause, one parent: a cause that can span destinations joins the open parent its latest fellow
        failures (same pattern, any destination) already belong to, instead of a parent per destination."""
        since = single.first_seen - timedelta(seconds=self.policy.correlation_window_seconds)
        for key, _ in keys:
            if not key.startswith("pattern:"):
                continue
            members = list(self.correlation.connections_since(key, since).values())
            for incident_id in reversed(members[-SHARED_CAUSE_PROBES:]):
                member = self.incidents.get(incident_id) if incident_id else None
                parent = self.incidents.get(member.parent_id) if member and member.parent_id else None
                if parent is not None and parent.is_open and parent.signature == single.signature:
                    return parent
        return None

    def open_child(self, parent: Incident, single: Incident, event: WebhookEvent) -> TriageDecision:
        """`single` (the incident this failure would open alone) joins `parent` as a child."""
        child = single.model_copy(
            update={"kind": IncidentKind.CHILD, "parent_id": parent.id, "hold_until": None, "confirmed_at": None}
        )
        created = self.incidents.create(child)  # its own write records it under the parent and counts it there
        updated_parent = self.incidents.update(parent.id, adopter([created], event.created), current=parent)
        decision = TriageDecision(
            action=TriageAction.CORRELATED_CHILD,
            incident=created,
            parent=updated_parent,
            event_key=event.event_key,
            reason=f"part of {updated_parent.id} ({updated_parent.correlation_key})",
        )
        confirmed = updated_parent.confirmed_at is not None
        if confirmed and self.paging.should_page(updated_parent) and not updated_parent.paged:  # critical, late
            paged = self.incidents.update(updated_parent.id, mark_paged)
            decision.parent = paged
            decision.notifications = [self.paging.opened(paged)]
        return decision

    def group(
        self, created: Incident, keys: list[tuple[str, int]], event: WebhookEvent, now: datetime
    ) -> TriageDecision | None:
        """Record the new incident's signals; a parent decision when enough connections now fail alike."""
        for key, minimum in keys:
            self.correlation.record(
                CorrelationSignal(
                    key=key, connection_id=created.connection_id or "", incident_id=created.id, at=event.created
                ),
                ttl_seconds=2 * self.policy.correlation_window_seconds,
            )
            since = event.created - timedelta(seconds=self.policy.correlation_window_seconds)
            members = self.correlation.connections_since(key, since)
            if len(members) >= minimum:
                # a cause that can span destinations: the parent also adopts its fellows on other destinations
                for other, _ in keys:
                    if other != key and other.startswith("pattern:"):
                        members = {**self.correlation.connections_since(other, since), **members}
                return self._open_parent(key, members, created, event, now)
        return None

    def _open_parent(
        self, key: str, members: dict[str, str | None], trigger: Incident, event: WebhookEvent, now: datetime
    ) -> TriageDecision:
        siblings = [trigger] + [
            i
            for i in (self.incidents.get(iid) for cid, iid in members.items() if iid and iid != trigger.id)
            if i is not None and i.is_open and i.kind is IncidentKind.SINGLE and i.signature == trigger.signature
        ]
        confirmed_already = any(s.confirmed_at is not None for s in siblings)
        holds = [s.hold_until for s in siblings if s.hold_until is not None]
        route = self._parent_route(trigger, siblings)
        parent = Incident(
            id=new_incident_id(event.created),
            kind=IncidentKind.PARENT,
            fingerprint=key,
            signature=trigger.signature,
            correlation_key=key,
            destination_group_id=trigger.destination_group_id if key.startswith("dest:") else None,
            category=trigger.category,
            pattern=trigger.pattern,
            first_seen=min(s.first_seen for s in siblings),
            last_seen=event.created,
            hold_until=None if confirmed_already else min(holds, default=now),
            diagnosis=trigger.diagnosis,
            owner=route.owner,
            channel=route.channel,
            criticality=route.criticality,
        )
        parent.note(event.created, "opened", f"{len(members)} connections failing alike within the window")
        try:
            created_parent = self.incidents.create(parent)
        except AlreadyOpenError as race:  # a concurrent consumer formed it: join it
            existing = self.incidents.get(race.existing_id) if race.existing_id else None
            if existing is None:
                raise
            created_parent = existing
        adopted = [a for a in (self._adopt(s, created_parent) for s in siblings) if a is not None]
        created_parent = self.incidents.update(created_parent.id, adopter(adopted, event.created))
        child = next((a for a in adopted if a.id == trigger.id), trigger)
        if confirmed_already and created_parent.confirmed_at is None:
            confirmed, won = self.confirmer.confirm(created_parent.id, now, "a member was already confirmed")
            if won and confirmed is not None:
                return self.paging.confirmed_decision(
                    TriageAction.CORRELATED_PARENT_OPENED, child, confirmed, event.event_key
                )
        return TriageDecision(
            action=TriageAction.CORRELATED_PARENT_OPENED,
            incident=child,
            parent=created_parent,
            event_key=event.event_key,
            reason=f"{len(adopted)} connections grouped under {key}",
        )

    def _adopt(self, sibling: Incident, parent: Incident) -> Incident | None:
        def mutate(incident: Incident) -> Incident | None:
            if not incident.is_open or incident.kind is not IncidentKind.SINGLE or incident.parent_id:
                return None
            incident.kind = IncidentKind.CHILD
            incident.parent_id = parent.id
            incident.hold_until = None
            incident.note(parent.last_seen, "adopted", f"grouped under {parent.id}")
            return incident

        try:
            adopted = self.incidents.update(sibling.id, mutate, current=sibling)
        except ParentClosedError:  # closed before it could adopt: the sibling stays on its own
            return None
        return adopted if adopted.parent_id == parent.id else None

    def _parent_route(self, trigger: Incident, siblings: list[Incident]) -> Route:
        """A destination's own owner if the file names one, with the most critical member's criticality."""
        route = self.routing.resolve(connection_id=None, destination_group_id=trigger.destination_group_id)
        highest = max([route.criticality, *(s.criticality for s in siblings)], key=lambda c: c.rank)
        if route.source == "default":
            route = route.model_copy(
                update={"owner": trigger.owner or route.owner, "channel": trigger.channel or route.channel}
            )
        return route.model_copy(update={"criticality": highest})
