"""Every confirmed incident reaches a workflow or a person: the sweep's second duty.

A confirmed incident can lose its workflow between confirmation and `StartExecution` (a crash, a timeout, a failed
deep diagnosis, Step Functions unreachable) when no redelivery comes to retry it. The store keeps a marker for
each confirmed open incident with no workflow known yet; the sweep picks up those confirmed longer ago than a
consumer can take, checks whether the execution exists after all, and otherwise tries again, a bounded number of
times, before escalating to a person.
"""

from __future__ import annotations

from datetime import datetime

from fivetran_recovery.models.incident import Incident
from fivetran_recovery.stores.base import IncidentStore


def mark_started(incidents: IncidentStore, incident_id: str, at: datetime, execution: str | None) -> Incident:
    """Record that the incident's workflow exists (its marker goes)."""

    def mutate(incident: Incident) -> Incident | None:
        if incident.workflow_started_at is not None:
            return None
        incident.workflow_started_at = at
        incident.note(at, "workflow_started", execution or "already running")
        return incident

    return incidents.update(incident_id, mutate)


def count_attempt(incidents: IncidentStore, incident_id: str, at: datetime) -> Incident | None:
    """Claim one more start attempt; None when the incident no longer waits for a workflow."""
    claimed = {"value": False}

    def mutate(incident: Incident) -> Incident | None:
        if not incident.awaits_workflow:
            return None
        incident.workflow_attempts += 1
        incident.note(at, "workflow_resume", f"confirmed without a workflow: attempt {incident.workflow_attempts}")
        claimed["value"] = True
        return incident

    updated = incidents.update(incident_id, mutate)
    return updated if claimed["value"] else None
