"""The incident lifecycle: a failure opens an incident (pending or confirmed) or counts on the open one; a repeat
failure or the end of the hold confirms it; a success closes it (self-healed within the hold, else recovered);
the workflow moves it through its statuses. Correlation into parents is `correlation.py`'s, paging decisions are
`paging.py`'s, the mutations themselves `changes.py`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.incident import Incident, IncidentKind, IncidentStatus
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import AlreadyOpenError, DigestKind, DigestStore, IncidentStore, ParentClosedError
from fivetran_recovery.triage.calendar import MaintenanceCalendar
from fivetran_recovery.triage.changes import (
    closer,
    closer_at,
    count_failure,
    digest_entry,
    mark_paged,
    new_incident,
)
from fivetran_recovery.triage.confirmation import Confirmer
from fivetran_recovery.triage.correlation import Correlator
from fivetran_recovery.triage.decision import PageAction, TriageAction, TriageDecision
from fivetran_recovery.triage.fingerprint import incident_fingerprint, table_of
from fivetran_recovery.triage.paging import Paging
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import Route, Routing

UPDATABLE_STATUSES = frozenset(
    {
        IncidentStatus.DIAGNOSED,
        IncidentStatus.AWAITING_APPROVAL,
        IncidentStatus.REMEDIATING,
        IncidentStatus.RECOVERED,
        IncidentStatus.ESCALATED,
        IncidentStatus.CLOSED,
    }
)


class IncidentLifecycle:
    def __init__(
        self,
        *,
        incidents: IncidentStore,
        digest: DigestStore,
        calendar: MaintenanceCalendar,
        routing: Routing,
        policy: TriagePolicy,
        paging: Paging,
        confirmer: Confirmer,
        correlator: Correlator,
        tags_for: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.incidents = incidents
        self.digest = digest
        self.calendar = calendar
        self.routing = routing
        self.policy = policy
        self.paging = paging
        self.confirmer = confirmer
        self.correlator = correlator
        self.tags_for = tags_for

    # ================================================================== failures
    def on_failure(self, event: WebhookEvent, diagnosis: Diagnosis, now: datetime) -> TriageDecision:
        connection_id = event.connection_id or ""
        fingerprint = incident_fingerprint(connection_id, diagnosis.category, diagnosis.pattern, table_of(diagnosis))
        window = self.calendar.active_window(
            connection_id=connection_id, destination_group_id=event.destination_group_id, at=event.created
        )
        if window is not None:
            self.digest.add(digest_entry(event, DigestKind.SUPPRESSED, diagnosis=diagnosis, rule=window.name))
            return TriageDecision(
                action=TriageAction.SUPPRESSED,
                reason=f"maintenance window {window.name}: {window.reason}",
                event_key=event.event_key,
            )
        keys = self.correlator.keys(event, diagnosis)
        # the connection's lock and its causes' parent locks in one read: a new failure needs them all
        held = self.incidents.open_ids([(connection_id, fingerprint), *self.correlator.locks(keys)])
        existing_id = held.get((connection_id, fingerprint))
        existing = self.incidents.get(existing_id) if existing_id else None
        if existing is None and event.event == "connection_failure":
            # Fivetran sends connection_failure after failed setup tests, ours included: while an incident is open
            # on the connection they are evidence for it, not a second incident.
            existing = next(iter(self.incidents.open_in_scope(connection_id)), None)
        if existing is not None:
            decision = self.attach(existing, event, diagnosis, now)
            if decision is not None:
                return decision
        return self._open(event, diagnosis, fingerprint, now, keys, held)

    def attach(
        self, existing: Incident, event: WebhookEvent, diagnosis: Diagnosis, now: datetime
    ) -> TriageDecision | None:
        """Count a repeat failure; None when the incident closed meanwhile (the caller opens a new one)."""
        outcome = {"duplicate": False, "closed": False}

        def mutate(incident: Incident) -> Incident | None:
            if not incident.is_open:
                outcome["closed"] = True
                return None
            if not incident.remember_event(event.event_key):
                outcome["duplicate"] = True
                return None
            count_failure(incident, event, diagnosis)
            return incident

        updated = self.incidents.update(existing.id, mutate, current=existing)
        if outcome["closed"]:
            return None
        if outcome["duplicate"]:
            return TriageDecision(
                action=TriageAction.IGNORED,
                incident=updated,
                reason="redelivery of an event already counted",
                event_key=event.event_key,
            )
        if updated.kind is IncidentKind.CHILD and updated.parent_id:
            # the child's write counted it on the parent (atomic; the parent's document is not rewritten)
            parent = self.incidents.get(updated.parent_id)
            return self._maybe_confirm(TriageAction.CORRELATED_CHILD, updated, parent, event, now)
        return self._maybe_confirm(TriageAction.ATTACH, updated, None, event, now)

    def _maybe_confirm(
        self, action: TriageAction, incident: Incident, parent: Incident | None, event: WebhookEvent, now: datetime
    ) -> TriageDecision:
        target = parent or incident
        if target.is_pending and incident.counts.failures >= self.policy.confirm_after_failures:
            confirmed, won = self.confirmer.confirm(target.id, now, f"{incident.connection_id} failed again")
            if won and confirmed is not None:
                if parent is not None:
                    return self.paging.confirmed_decision(action, incident, confirmed, event.event_key)
                return self.paging.confirmed_decision(action, confirmed, None, event.event_key)
        return TriageDecision(action=action, incident=incident, parent=parent, event_key=event.event_key)

    def _open(self, event: WebhookEvent, diagnosis: Diagnosis, fingerprint: str, now: datetime,
              keys: list[tuple[str, int]], held: dict[tuple[str, str], str]) -> TriageDecision:
        route = self._route(event.connection_id, event.destination_group_id, event.connector_type)
        single = new_incident(event, diagnosis, fingerprint, route, self.policy, now)
        parent = self.correlator.open_parent_for(keys, single, held=held)
        try:
            if parent is not None:
                try:
                    return self.correlator.open_child(parent, single, event)
                except ParentClosedError:  # it closed a moment ago: this failure opens its own incident
                    pass
            created = self.incidents.create(single)
        except AlreadyOpenError as race:  # another consumer opened it a moment ago: count on it instead
            return self._join(race, event, diagnosis, now)
        grouped = self.correlator.group(created, keys, event, now)
        if grouped is not None:
            return grouped
        if created.confirmed_at is not None:
            return self.paging.confirmed_decision(
                TriageAction.OPEN, self.confirmer.with_external_status(created), None, event.event_key
            )
        return TriageDecision(
            action=TriageAction.OPEN,
            incident=created,
            event_key=event.event_key,
            reason=f"pending until {created.hold_until:%H:%M:%S}Z: waiting for a retry or siblings",
        )

    def _join(self, race: AlreadyOpenError, event: WebhookEvent, diagnosis: Diagnosis, now: datetime) -> TriageDecision:
        winner = self.incidents.get(race.existing_id) if race.existing_id else None
        decision = self.attach(winner, event, diagnosis, now) if winner else None
        if decision is None:
            raise race
        return decision

    def _route(self, connection_id: str | None, destination: str | None, connector_type: str | None) -> Route:
        tags = self.tags_for(connection_id) if self.tags_for and connection_id else ()
        return self.routing.resolve(
            connection_id=connection_id, destination_group_id=destination, connector_type=connector_type, tags=tags
        )

    def sweep(self, now: datetime) -> list[TriageDecision]:
        decisions = []
        for incident_id in self.incidents.due_for_confirmation(now):
            confirmed, won = self.confirmer.confirm(incident_id, now, "no recovery before the hold ended")
            if won and confirmed is not None:
                decisions.append(self.paging.confirmed_decision(TriageAction.CONFIRMED, confirmed, None, None))
        return decisions

    # ================================================================== successes
    def on_success(self, event: WebhookEvent, now: datetime) -> TriageDecision:
        at = event.created
        # a success older than an incident's latest failure says nothing about it (a late or reordered delivery)
        open_incidents = [i for i in self.incidents.open_in_scope(event.connection_id or "") if i.last_seen <= at]
        if not open_incidents:
            return TriageDecision(action=TriageAction.NOT_A_FAILURE, reason="success", event_key=event.event_key)
        decisions = [self._close_on_success(incident, event, now) for incident in open_incidents]
        healed = [d for d in decisions if d.action is TriageAction.SELF_HEALED]
        chosen = healed[0] if healed and len(healed) == len(decisions) else decisions[0]
        chosen.notifications = [n for d in decisions for n in d.notifications]
        return chosen

    def _close_on_success(self, incident: Incident, event: WebhookEvent, now: datetime) -> TriageDecision:
        parent = self.incidents.get(incident.parent_id) if incident.parent_id else None
        pending = parent.is_pending if parent is not None else incident.is_pending
        status = IncidentStatus.SELF_HEALED if pending else IncidentStatus.RECOVERED
        note = "sync succeeded" + (" within the hold: Fivetran's own retry fixed it" if pending else "")
        closed = self.incidents.update(incident.id, closer(status, event, note), current=incident)
        if pending and closed.is_top_level:
            self.digest.add(digest_entry(event, DigestKind.SELF_HEALED, incident=closed))
        notifications = []
        if closed.is_top_level and not pending:
            notifications.append(self.paging.recovered(closed))
        if parent is not None:
            parent = self._child_closed(parent, closed, event)
            if not parent.is_open and parent.status is IncidentStatus.RECOVERED:
                notifications.append(self.paging.recovered(parent))
        action = TriageAction.SELF_HEALED if pending else TriageAction.RECOVERED
        return TriageDecision(
            action=action,
            incident=closed,
            parent=parent,
            notifications=notifications,
            event_key=event.event_key,
            reason=note,
        )

    def _child_closed(self, parent: Incident, child: Incident, event: WebhookEvent) -> Incident:
        """Close the parent when its last open child closed (the child's own write counted it closed)."""

        def mutate(current: Incident) -> Incident | None:
            if not current.is_open or current.open_child_count > 0:
                return None
            status = IncidentStatus.SELF_HEALED if current.is_pending else IncidentStatus.RECOVERED
            current.status = status
            current.closed_at = event.created
            current.note(event.created, status.value, f"every connection synced again (last: {child.connection_id})",
                         status)
            return current

        updated = self.incidents.update(parent.id, mutate)  # a fresh read: the last child to close sees zero open
        if updated.status is IncidentStatus.SELF_HEALED and parent.is_open:
            self.digest.add(digest_entry(event, DigestKind.SELF_HEALED, incident=updated))
        return updated

    # ================================================================== workflow statuses
    def update_status(
        self,
        incident_id: str,
        status: IncidentStatus,
        *,
        now: datetime,
        note: str = "",
        eta_seconds: int | None = None,
        diagnosis: Diagnosis | None = None,
    ) -> TriageDecision:
        if status not in UPDATABLE_STATUSES:
            raise ValueError(f"status {status} is set by triage itself, not by the workflow")

        def mutate(incident: Incident) -> Incident | None:
            if not incident.is_open:
                return None
            incident.status = status
            incident.eta_seconds = eta_seconds
            if diagnosis is not None:
                incident.diagnosis = diagnosis
            if status.is_terminal:
                incident.closed_at = now
            incident.note(now, "status", note, status)
            return incident

        updated = self.incidents.update(incident_id, mutate)
        if updated.status is not status:
            return TriageDecision(action=TriageAction.IGNORED, incident=updated, reason="incident already closed")
        if status.is_terminal and updated.kind is IncidentKind.PARENT:
            why = f"parent {updated.id} {status.value}"
            for child in self.incidents.children(updated.id):  # every child, page by page
                if not child.closed:
                    self.incidents.update(child.incident_id, closer_at(status, now, why))
        page = self.paging.for_status(updated, status)
        if page is PageAction.TRIGGER:
            updated = self.incidents.update(updated.id, mark_paged)
        return TriageDecision(
            action=TriageAction.RECOVERED if status is IncidentStatus.RECOVERED else TriageAction.STATUS_CHANGED,
            incident=updated,
            notifications=[
                self.paging.status_notification(updated, status, page, eta_seconds=eta_seconds, note=note)
            ],
        )
