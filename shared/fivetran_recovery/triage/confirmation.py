"""Pending -> confirmed: exactly once across consumers (a conditional write), with the external status pages
that are live for the incident's category and the page mark when its criticality pages."""

from __future__ import annotations

from datetime import datetime

from fivetran_recovery.models.diagnosis import Evidence
from fivetran_recovery.models.incident import Incident
from fivetran_recovery.stores.base import IncidentStore
from fivetran_recovery.triage.paging import Paging
from fivetran_recovery.triage.status_feed import StatusFeedReader


class Confirmer:
    def __init__(self, *, incidents: IncidentStore, paging: Paging, status_feed: StatusFeedReader | None) -> None:
        self.incidents = incidents
        self.paging = paging
        self.status_feed = status_feed

    def confirm(self, incident_id: str, now: datetime, why: str) -> tuple[Incident | None, bool]:
        """Returns (incident, this call won the confirmation)."""
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
            if self.paging.should_page(incident):
                incident.paged = True
            incident.note(now, "confirmed", why)
            won["value"] = True
            return incident

        return self.incidents.update(incident_id, mutate, current=current), won["value"]

    def with_external_status(self, incident: Incident) -> Incident:
        """Immediately confirmed incidents: look up external status and mark the page, like `confirm` does."""
        external = self.status_feed.active(incident.category) if self.status_feed is not None else []
        page = self.paging.should_page(incident)
        if not external and not page:
            return incident

        def mutate(current: Incident) -> Incident:
            current.external_status = external
            current.add_evidence(
                [Evidence(source=f"status:{r.source}", detail=f"{r.name} ({r.status})") for r in external]
            )
            current.paged = current.paged or page
            return current

        return self.incidents.update(incident.id, mutate, current=incident)
