"""Notification and paging decisions: which message an incident's change sends to its channel, and whether
PagerDuty is triggered, acknowledged or resolved. Decisions only; `dispatch.py` delivers them."""

from __future__ import annotations

from fivetran_recovery.models.incident import Criticality, Incident, IncidentStatus
from fivetran_recovery.triage.decision import (
    Notification,
    NotificationKind,
    PageAction,
    TriageAction,
    TriageDecision,
)
from fivetran_recovery.triage.policy import TriagePolicy


class Paging:
    def __init__(self, policy: TriagePolicy) -> None:
        self.policy = policy

    def should_page(self, incident: Incident) -> bool:
        return incident.criticality.value in self.policy.page_criticalities

    def opened(self, incident: Incident) -> Notification:
        return Notification(
            kind=NotificationKind.INCIDENT_OPENED,
            incident_id=incident.id,
            channel=incident.channel,
            page=PageAction.TRIGGER if self.should_page(incident) else None,
            status=incident.status,
        )

    @staticmethod
    def recovered(incident: Incident) -> Notification:
        return Notification(
            kind=NotificationKind.RECOVERED,
            incident_id=incident.id,
            channel=incident.channel,
            page=PageAction.RESOLVE if incident.paged else None,
            status=IncidentStatus.RECOVERED,
        )

    def for_status(self, incident: Incident, status: IncidentStatus) -> PageAction | None:
        """The page action a workflow status change calls for (resolve, acknowledge, a late trigger, or none)."""
        if status in {IncidentStatus.RECOVERED, IncidentStatus.CLOSED}:
            return PageAction.RESOLVE if incident.paged else None
        if status is IncidentStatus.REMEDIATING and incident.paged:
            return PageAction.ACKNOWLEDGE
        if status is IncidentStatus.ESCALATED and not incident.paged:
            high = incident.criticality.rank >= Criticality.HIGH.rank
            return PageAction.TRIGGER if high or self.should_page(incident) else None
        return None

    def status_notification(
        self, incident: Incident, status: IncidentStatus, page: PageAction | None, *, eta_seconds: int | None, note: str
    ) -> Notification:
        kind = NotificationKind.RECOVERED if status is IncidentStatus.RECOVERED else NotificationKind.STATUS_UPDATE
        return Notification(
            kind=kind,
            incident_id=incident.id,
            channel=incident.channel,
            page=page,
            status=status,
            eta_seconds=eta_seconds,
            note=note,
        )

    def confirmed_decision(
        self, action: TriageAction, incident: Incident, parent: Incident | None, event_key: str | None
    ) -> TriageDecision:
        """The one decision that wins a confirmation: deep diagnosis, the workflow and the first notification."""
        target = parent or incident
        return TriageDecision(
            action=action,
            incident=incident,
            parent=parent,
            should_diagnose_deeply=True,
            should_start_workflow=True,
            notifications=[self.opened(target)],
            event_key=event_key,
            reason=f"confirmed {target.id}",
        )
