"""Triage: one incident per real problem, no alert storms, nothing silently swallowed.

`Triage.process` takes every webhook event with its fast (rules) diagnosis and decides:

- not a failure: test deliveries, RESCHEDULED (Fivetran waiting for quota or flushing a priority-first sync,
  "intended behavior"), CANCELED by a user, `sync_start`. A cancel nobody is named for goes to the digest.
- suppressed: inside a maintenance window -> the digest, with the window's name.
- attach: the fingerprint already has an open incident -> counts, last seen, new evidence.
- correlated: a parent incident is open for the same destination+pattern (or, for outage-prone categories, the
  same pattern anywhere) -> a child of it; enough connections failing alike within the window -> a new parent
  that adopts the open incidents of the others.
- open: a new incident. Retryable failures start *pending* for the self-heal window (Fivetran's own retry usually
  fixes them); failures whose cause may be shared start pending for a short group wait (siblings arrive
  together). Per-connection causes are confirmed at once. A success closes a pending incident as self-healed
  (digest, no page); a repeat failure or the end of the hold (`sweep`) confirms it.

Confirmation is a conditional write, so exactly one consumer wins it: that decision alone carries
`should_diagnose_deeply` (context + LLM), `should_start_workflow` and the first notification (page if critical).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from fivetran_recovery.models.incident import (
    Criticality,
    Incident,
    IncidentKind,
    IncidentStatus,
    new_incident_id,
)
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import (
    AlreadyOpenError,
    CorrelationSignal,
    CorrelationStore,
    DigestEntry,
    DigestKind,
    DigestStore,
    IncidentStore,
)
from fivetran_recovery.triage.calendar import MaintenanceCalendar
from fivetran_recovery.triage.decision import (
    Notification,
    NotificationKind,
    PageAction,
    TriageAction,
    TriageDecision,
)
from fivetran_recovery.triage.fingerprint import (
    destination_key,
    incident_fingerprint,
    pattern_key,
    signature,
    table_of,
)
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import Route, Routing
from fivetran_recovery.triage.status_feed import StatusFeedReader

USER_CANCEL = re.compile(r"\buser\b|dashboard|manual|api request|cancel+ed by", re.IGNORECASE)
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


class Triage:
    def __init__(
        self,
        *,
        incidents: IncidentStore,
        correlation: CorrelationStore,
        digest: DigestStore,
        calendar: MaintenanceCalendar,
        routing: Routing,
        status_feed: StatusFeedReader | None = None,
        policy: TriagePolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        tags_for: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.incidents = incidents
        self.correlation = correlation
        self.digest = digest
        self.calendar = calendar
        self.routing = routing
        self.status_feed = status_feed
        self.policy = policy or TriagePolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tags_for = tags_for

    # ================================================================== entry points
    def process(
        self, event: WebhookEvent, diagnosis: Diagnosis, *, now: datetime | None = None, manual_schedule: bool = False
    ) -> TriageDecision:
        """Decide what one webhook event means. `diagnosis` is the fast (rules) one; ignored for successes.

        `manual_schedule`: the connection only syncs when asked, so a RESCHEDULED sync will not resume on its own
        ("you must manually trigger all syncs, including syncs that are rescheduled"): it is handled as a failure.
        """
        now = now or self.clock()
        key = event.event_key
        if event.is_test:
            return TriageDecision(action=TriageAction.IGNORED, reason="test delivery", event_key=key)
        if not event.connection_id:
            return TriageDecision(action=TriageAction.IGNORED, reason="event names no connection", event_key=key)
        status = (event.status or "").upper()
        if event.event == "sync_end" and status == "SUCCESSFUL":
            return self._on_success(event, now)
        if event.event == "sync_end" and status == "RESCHEDULED" and manual_schedule:
            return self._on_failure(event, diagnosis, now)
        if event.event == "sync_end" and status == "RESCHEDULED":
            return TriageDecision(
                action=TriageAction.NOT_A_FAILURE,
                reason="RESCHEDULED: Fivetran waits for quota or flushes a priority-first sync",
                event_key=key,
            )
        if event.event == "sync_end" and status in {"CANCELED", "CANCELLED"}:
            return self._on_canceled(event, diagnosis)
        if event.is_failure:
            return self._on_failure(event, diagnosis, now)
        return TriageDecision(action=TriageAction.IGNORED, reason=f"{event.event} is not a sync outcome", event_key=key)

    def sweep(self, *, now: datetime | None = None) -> list[TriageDecision]:
        """Confirm pending incidents whose hold passed without recovery (call per batch and on a schedule)."""
        now = now or self.clock()
        decisions = []
        for incident_id in self.incidents.due_for_confirmation(now):
            confirmed, won = self._confirm(incident_id, now, "no recovery before the hold ended")
            if won and confirmed is not None:
                decisions.append(self._confirmed_decision(TriageAction.CONFIRMED, confirmed, None, None))
        return decisions

    def update_status(
        self,
        incident_id: str,
        status: IncidentStatus,
        *,
        now: datetime | None = None,
        note: str = "",
        eta_seconds: int | None = None,
        diagnosis: Diagnosis | None = None,
    ) -> TriageDecision:
        """Record a workflow status change (diagnosed, awaiting approval, remediating, recovered, ...)."""
        if status not in UPDATABLE_STATUSES:
            raise ValueError(f"status {status} is set by triage itself, not by the workflow")
        now = now or self.clock()

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
            self._close_children(updated, status, now)
        kind = NotificationKind.RECOVERED if status is IncidentStatus.RECOVERED else NotificationKind.STATUS_UPDATE
        page = _page_for_status(updated, status, self.policy)
        if page is PageAction.TRIGGER:
            updated = self.incidents.update(updated.id, _mark_paged)
        return TriageDecision(
            action=TriageAction.RECOVERED if status is IncidentStatus.RECOVERED else TriageAction.STATUS_CHANGED,
            incident=updated,
            notifications=[
                Notification(
                    kind=kind,
                    incident_id=updated.id,
                    channel=updated.channel,
                    page=page,
                    status=status,
                    eta_seconds=eta_seconds,
                    note=note,
                )
            ],
        )

    # ================================================================== non-failures
    def _on_canceled(self, event: WebhookEvent, diagnosis: Diagnosis) -> TriageDecision:
        reason = (event.data or {}).get("reason") or ""
        if USER_CANCEL.search(reason):
            return TriageDecision(
                action=TriageAction.NOT_A_FAILURE, reason="CANCELED by a user", event_key=event.event_key
            )
        self.digest.add(self._digest_entry(event, DigestKind.CANCELED_UNATTRIBUTED, diagnosis=diagnosis))
        return TriageDecision(
            action=TriageAction.NOT_A_FAILURE,
            reason="CANCELED without a named user: listed in the digest",
            event_key=event.event_key,
        )

    def _on_success(self, event: WebhookEvent, now: datetime) -> TriageDecision:
        at = event.created
        open_incidents = [i for i in self.incidents.open_in_scope(event.connection_id or "") if i.first_seen <= at]
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
        closed = self.incidents.update(incident.id, _closer(status, event, note))
        if pending and closed.is_top_level:
            self.digest.add(self._digest_entry(event, DigestKind.SELF_HEALED, incident=closed))
        notifications: list[Notification] = []
        if closed.is_top_level and not pending:
            notifications.append(_recovered_notification(closed))
        if parent is not None:
            parent = self._child_closed(parent, closed, event, now)
            if not parent.is_open and parent.status is IncidentStatus.RECOVERED:
                notifications.append(_recovered_notification(parent))
        action = TriageAction.SELF_HEALED if pending else TriageAction.RECOVERED
        return TriageDecision(
            action=action,
            incident=closed,
            parent=parent,
            notifications=notifications,
            event_key=event.event_key,
            reason=note,
        )

    def _child_closed(self, parent: Incident, child: Incident, event: WebhookEvent, now: datetime) -> Incident:
        """Count the child's recovery on the parent; close the parent when every child is closed."""

        def mutate(current: Incident) -> Incident | None:
            if not current.is_open:
                return None
            if child.id not in current.closed_children:
                current.closed_children = [*current.closed_children, child.id]
            open_children = set(current.children) - set(current.closed_children)
            current.counts.successes += 1
            current.note(event.created, "child_closed", f"{child.connection_id}: {child.status.value}")
            if not open_children:
                status = IncidentStatus.SELF_HEALED if current.is_pending else IncidentStatus.RECOVERED
                current.status = status
                current.closed_at = event.created
                current.note(event.created, status.value, "every connection synced again", status)
            return current

        updated = self.incidents.update(parent.id, mutate)
        if updated.status is IncidentStatus.SELF_HEALED and parent.is_open:
            self.digest.add(self._digest_entry(event, DigestKind.SELF_HEALED, incident=updated))
        return updated

    def _close_children(self, parent: Incident, status: IncidentStatus, now: datetime) -> None:
        for child_id in parent.children:
            self.incidents.update(child_id, _closer_at(status, now, f"parent {parent.id} {status.value}"))

    # ================================================================== failures
    def _on_failure(self, event: WebhookEvent, diagnosis: Diagnosis, now: datetime) -> TriageDecision:
        connection_id = event.connection_id or ""
        fingerprint = incident_fingerprint(connection_id, diagnosis.category, diagnosis.pattern, table_of(diagnosis))
        window = self.calendar.active_window(
            connection_id=connection_id, destination_group_id=event.destination_group_id, at=event.created
        )
        if window is not None:
            self.digest.add(self._digest_entry(event, DigestKind.SUPPRESSED, diagnosis=diagnosis, rule=window.name))
            return TriageDecision(
                action=TriageAction.SUPPRESSED,
                reason=f"maintenance window {window.name}: {window.reason}",
                event_key=event.event_key,
            )
        existing = self.incidents.find_open(connection_id, fingerprint)
        if existing is not None:
            decision = self._attach(existing, event, diagnosis, now)
            if decision is not None:
                return decision
        return self._open(event, diagnosis, fingerprint, now)

    def _attach(
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
            _count_failure(incident, event, diagnosis)
            return incident

        updated = self.incidents.update(existing.id, mutate)
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
            parent = self.incidents.update(updated.parent_id, _counter(event))
            return self._maybe_confirm(TriageAction.CORRELATED_CHILD, updated, parent, event, now)
        return self._maybe_confirm(TriageAction.ATTACH, updated, None, event, now)

    def _maybe_confirm(
        self, action: TriageAction, incident: Incident, parent: Incident | None, event: WebhookEvent, now: datetime
    ) -> TriageDecision:
        target = parent or incident
        if target.is_pending and incident.counts.failures >= self.policy.confirm_after_failures:
            confirmed, won = self._confirm(target.id, now, f"{incident.connection_id} failed again")
            if won and confirmed is not None:
                if parent is not None:
                    return self._confirmed_decision(action, incident, confirmed, event.event_key)
                return self._confirmed_decision(action, confirmed, None, event.event_key)
        return TriageDecision(action=action, incident=incident, parent=parent, event_key=event.event_key)

    def _open(self, event: WebhookEvent, diagnosis: Diagnosis, fingerprint: str, now: datetime) -> TriageDecision:
        route = self._route(event.connection_id, event.destination_group_id, event.connector_type)
        keys = self._correlation_keys(event, diagnosis)
        for key, _ in keys:
            parent = self.incidents.find_open(f"corr:{key}", key)
            if parent is not None:
                return self._open_child(parent, event, diagnosis, fingerprint, route, now)
        incident = self._new_incident(event, diagnosis, fingerprint, route)
        try:
            created = self.incidents.create(incident)
        except AlreadyOpenError as race:  # another consumer opened it a moment ago: count on it instead
            winner = self.incidents.get(race.existing_id) if race.existing_id else None
            decision = self._attach(winner, event, diagnosis, now) if winner else None
            if decision is None:
                raise
            return decision
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
                return self._open_parent(key, members, created, event, now)
        if created.confirmed_at is not None:
            return self._confirmed_decision(
                TriageAction.OPEN, self._with_external_status(created), None, event.event_key
            )
        return TriageDecision(
            action=TriageAction.OPEN,
            incident=created,
            event_key=event.event_key,
            reason=f"pending until {created.hold_until:%H:%M:%S}Z: waiting for a retry or siblings",
        )

    def _new_incident(self, event: WebhookEvent, diagnosis: Diagnosis, fingerprint: str, route: Route) -> Incident:
        at = event.created
        immediate = diagnosis.category in self.policy.immediate_categories and not diagnosis.retryable
        hold = None
        if not immediate:
            seconds = self.policy.self_heal_window_seconds if diagnosis.retryable else self.policy.group_wait_seconds
            hold = at + timedelta(seconds=seconds)
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
            confirmed_at=at if immediate else None,
            diagnosis=diagnosis,
            owner=route.owner,
            channel=route.channel,
            criticality=route.criticality,
        )
        incident.remember_event(event.event_key)
        _count_failure(incident, event, diagnosis, attach=False)
        incident.note(at, "opened", "confirmed: a per-connection cause" if immediate else f"pending until {hold}")
        return incident

    # ------------------------------------------------------------------ correlation
    def _correlation_keys(self, event: WebhookEvent, diagnosis: Diagnosis) -> list[tuple[str, int]]:
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

    def _open_child(
        self,
        parent: Incident,
        event: WebhookEvent,
        diagnosis: Diagnosis,
        fingerprint: str,
        route: Route,
        now: datetime,
    ) -> TriageDecision:
        child = self._new_incident(event, diagnosis, fingerprint, route).model_copy(
            update={"kind": IncidentKind.CHILD, "parent_id": parent.id, "hold_until": None, "confirmed_at": None}
        )
        try:
            created = self.incidents.create(child)
        except AlreadyOpenError as race:
            winner = self.incidents.get(race.existing_id) if race.existing_id else None
            decision = self._attach(winner, event, diagnosis, now) if winner else None
            if decision is None:
                raise
            return decision
        updated_parent = self.incidents.update(parent.id, _adopter([created], event.created))
        decision = TriageDecision(
            action=TriageAction.CORRELATED_CHILD,
            incident=created,
            parent=updated_parent,
            event_key=event.event_key,
            reason=f"part of {updated_parent.id} ({updated_parent.correlation_key})",
        )
        confirmed = updated_parent.confirmed_at is not None
        if confirmed and _should_page(updated_parent, self.policy) and not updated_parent.paged:  # critical, late
            paged = self.incidents.update(updated_parent.id, _mark_paged)
            decision.parent = paged
            decision.notifications = [_opened_notification(paged, self.policy)]
        return decision

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
            hold_until=None if confirmed_already else min(holds, default=event.created),
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
        created_parent = self.incidents.update(created_parent.id, _adopter(adopted, event.created))
        child = next((a for a in adopted if a.id == trigger.id), trigger)
        if confirmed_already and created_parent.confirmed_at is None:
            confirmed, won = self._confirm(created_parent.id, now, "a member was already confirmed")
            if won and confirmed is not None:
                return self._confirmed_decision(
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

        adopted = self.incidents.update(sibling.id, mutate)
        return adopted if adopted.parent_id == parent.id else None

    # ------------------------------------------------------------------ confirmation
    def _confirm(self, incident_id: str, now: datetime, why: str) -> tuple[Incident | None, bool]:
        """Pending -> confirmed, exactly once across consumers. Returns (incident, this call won)."""
        won = {"value": False}
        external = []
        current = self.incidents.get(incident_id)
        if current is None or not current.is_pending:
            return current, False
        if self.status_feed is not None:
            external = self.status_feed.active(current.category)

        def mutate(incident: Incident) -> Incident | None:
            if not incident.is_pending:
                return None
            incident.confirmed_at = now
            incident.hold_until = None
            incident.external_status = external
            incident.add_evidence(
                [Evidence(source=f"status:{r.source}", detail=f"{r.name} ({r.status})") for r in external]
            )
            if _should_page(incident, self.policy):
                incident.paged = True
            incident.note(now, "confirmed", why)
            won["value"] = True
            return incident

        return self.incidents.update(incident_id, mutate), won["value"]

    def _with_external_status(self, incident: Incident) -> Incident:
        """Immediately confirmed incidents: look up external status and mark the page, like `_confirm` does."""
        external = self.status_feed.active(incident.category) if self.status_feed is not None else []
        page = _should_page(incident, self.policy)
        if not external and not page:
            return incident

        def mutate(current: Incident) -> Incident:
            current.external_status = external
            current.add_evidence(
                [Evidence(source=f"status:{r.source}", detail=f"{r.name} ({r.status})") for r in external]
            )
            current.paged = current.paged or page
            return current

        return self.incidents.update(incident.id, mutate)

    def _confirmed_decision(
        self, action: TriageAction, incident: Incident, parent: Incident | None, event_key: str | None
    ) -> TriageDecision:
        target = parent or incident
        return TriageDecision(
            action=action,
            incident=incident,
            parent=parent,
            should_diagnose_deeply=True,
            should_start_workflow=True,
            notifications=[_opened_notification(target, self.policy)],
            event_key=event_key,
            reason=f"confirmed {target.id}",
        )

    # ------------------------------------------------------------------ routing and digest
    def _route(self, connection_id: str | None, destination: str | None, connector_type: str | None) -> Route:
        tags = self.tags_for(connection_id) if self.tags_for and connection_id else ()
        return self.routing.resolve(
            connection_id=connection_id, destination_group_id=destination, connector_type=connector_type, tags=tags
        )

    def _parent_route(self, trigger: Incident, siblings: list[Incident]) -> Route:
        """A destination's own owner if the file names one, with the most critical member's criticality."""
        route = self.routing.resolve(connection_id=None, destination_group_id=trigger.destination_group_id)
        highest = max([route.criticality, *(s.criticality for s in siblings)], key=lambda c: c.rank)
        if route.source == "default":
            route = route.model_copy(
                update={"owner": trigger.owner or route.owner, "channel": trigger.channel or route.channel}
            )
        return route.model_copy(update={"criticality": highest})

    def _digest_entry(
        self,
        event: WebhookEvent,
        kind: DigestKind,
        *,
        diagnosis: Diagnosis | None = None,
        incident: Incident | None = None,
        rule: str | None = None,
    ) -> DigestEntry:
        reason = str((event.data or {}).get("reason") or "")[:500]
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


# ====================================================================== mutations and small rules
def _count_failure(incident: Incident, event: WebhookEvent, diagnosis: Diagnosis, *, attach: bool = True) -> None:
    incident.counts.events += 1
    incident.counts.failures += 1
    incident.last_seen = max(incident.last_seen, event.created)
    incident.add_evidence(diagnosis.evidence)
    if attach:
        incident.note(event.created, "attached", f"failure #{incident.counts.failures}")


def _counter(event: WebhookEvent) -> Callable[[Incident], Incident | None]:
    def mutate(parent: Incident) -> Incident | None:
        if not parent.is_open:
            return None
        parent.counts.events += 1
        parent.counts.failures += 1
        parent.last_seen = max(parent.last_seen, event.created)
        return parent

    return mutate


def _adopter(children: list[Incident], at: datetime) -> Callable[[Incident], Incident | None]:
    def mutate(parent: Incident) -> Incident | None:
        fresh = [c for c in children if c.id not in parent.children]
        if not fresh:
            return None
        parent.children = [*parent.children, *(c.id for c in fresh)]
        parent.child_connections = [*parent.child_connections, *(c.connection_id or "" for c in fresh)]
        parent.counts.events += sum(c.counts.events for c in fresh)
        parent.counts.failures += sum(c.counts.failures for c in fresh)
        parent.last_seen = max([parent.last_seen, at, *(c.last_seen for c in fresh)])
        parent.first_seen = min([parent.first_seen, *(c.first_seen for c in fresh)])
        highest = max([parent.criticality, *(c.criticality for c in fresh)], key=lambda c: c.rank)
        parent.criticality = highest
        for child in fresh:
            parent.add_evidence(child.evidence[:2])
        parent.note(at, "child_added", ", ".join(c.connection_id or "" for c in fresh))
        return parent

    return mutate


def _closer(status: IncidentStatus, event: WebhookEvent, note: str) -> Callable[[Incident], Incident | None]:
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


def _closer_at(status: IncidentStatus, at: datetime, note: str) -> Callable[[Incident], Incident | None]:
    def mutate(incident: Incident) -> Incident | None:
        if not incident.is_open:
            return None
        incident.status = status
        incident.closed_at = at
        incident.note(at, status.value, note, status)
        return incident

    return mutate


def _mark_paged(incident: Incident) -> Incident | None:
    if incident.paged:
        return None
    incident.paged = True
    return incident


def _should_page(incident: Incident, policy: TriagePolicy) -> bool:
    return incident.criticality.value in policy.page_criticalities


def _opened_notification(incident: Incident, policy: TriagePolicy) -> Notification:
    return Notification(
        kind=NotificationKind.INCIDENT_OPENED,
        incident_id=incident.id,
        channel=incident.channel,
        page=PageAction.TRIGGER if _should_page(incident, policy) else None,
        status=incident.status,
    )


def _recovered_notification(incident: Incident) -> Notification:
    return Notification(
        kind=NotificationKind.RECOVERED,
        incident_id=incident.id,
        channel=incident.channel,
        page=PageAction.RESOLVE if incident.paged else None,
        status=IncidentStatus.RECOVERED,
    )


def _page_for_status(incident: Incident, status: IncidentStatus, policy: TriagePolicy) -> PageAction | None:
    if status in {IncidentStatus.RECOVERED, IncidentStatus.CLOSED}:
        return PageAction.RESOLVE if incident.paged else None
    if status is IncidentStatus.REMEDIATING and incident.paged:
        return PageAction.ACKNOWLEDGE
    if status is IncidentStatus.ESCALATED and not incident.paged:
        high = incident.criticality.rank >= Criticality.HIGH.rank
        return PageAction.TRIGGER if high or _should_page(incident, policy) else None
    return None
