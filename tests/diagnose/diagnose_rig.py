"""A DiagnoseService on a real Triage with in-memory stores; Fivetran, RCA and Step Functions are fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fivetran_recovery.diagnose.service import DiagnoseService
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.memory import (
    InMemoryCorrelationStore,
    InMemoryDigestStore,
    InMemoryHistoryStore,
    InMemoryIncidentStore,
)
from fivetran_recovery.triage.calendar import MaintenanceCalendar, MaintenanceConfig
from fivetran_recovery.triage.engine import Triage
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import OwnersConfig, Routing

T0 = datetime(2026, 11, 25, 9, tzinfo=UTC)
# A real Fivetran message (corpus ft-004, Fivetran's HubSpot troubleshooting page): schema drift, acted on at once.
SCHEMA_FAILURE = ("Failed to sync endpoint(s) with error: {CONTACT=java.lang.NullPointerException, "
                  "DEAL=java.lang.NullPointerException}")


class Rig:
    def __init__(self) -> None:
        self.now = T0
        self.incidents = InMemoryIncidentStore()
        self.triage = Triage(
            incidents=self.incidents, correlation=InMemoryCorrelationStore(), digest=InMemoryDigestStore(),
            calendar=MaintenanceCalendar(MaintenanceConfig.model_validate({})),
            routing=Routing(OwnersConfig.model_validate({"version": 1, "default": {"owner": "data", "criticality":
                                                          "medium"}, "teams": {"data": {"channel": "#data"}}})),
            policy=TriagePolicy(self_heal_window_seconds=60), clock=lambda: self.now,
        )
        self.started: dict[str, dict] = {}
        self.fail_start = 0
        self.deep_calls = 0
        self.service = DiagnoseService(
            history=InMemoryHistoryStore(), triage=self.triage, deep_diagnose=self._deep,
            plan_workflow=lambda incident, diagnosis, event, **_: {"incident_id": incident.id, "pattern": diagnosis.pattern},
            start_workflow=self._start, notify=lambda decision: (len(decision.notifications), 0),
            clock=lambda: self.now, workflow_exists=lambda name: name in self.started,
        )

    def _deep(self, event, incident, quick) -> tuple[Diagnosis, dict]:
        self.deep_calls += 1
        return quick, {"llm_calls": 0}

    def _start(self, *, name: str, payload: dict) -> str | None:
        if self.fail_start:
            self.fail_start -= 1
            raise ConnectionError("Step Functions unreachable")
        if name in self.started:
            return None
        self.started[name] = payload
        return f"arn:aws:states:us-east-1:123456789012:execution:m:{name}"


def failure(connection: str, seconds: float, reason: str = SCHEMA_FAILURE, status: str = "FAILURE") -> WebhookEvent:
    return WebhookEvent.model_validate({
        "event": "sync_end", "created": (T0 + timedelta(seconds=seconds)).isoformat(), "connector_id": connection,
        "connector_type": "hubspot", "sync_id": f"s-{connection}-{seconds}", "destination_group_id": "bq",
        "data": {"status": status, "reason": reason},
    })


BLIP = "Error: Connection Error - Connection Reset by Peer"  # corpus ft-078: network, retryable -> held


def sync_event(connection: str, seconds: float, event: str = "sync_end", *, status: str | None = "SUCCESSFUL",
               sync_id: str | None = None, at: datetime | None = None) -> WebhookEvent:
    created = at or T0 + timedelta(seconds=seconds)
    data = {"status": status} if status else {}
    return WebhookEvent.model_validate({
        "event": event, "created": created.isoformat(), "connector_id": connection, "connector_type": "hubspot",
        "sync_id": sync_id or f"s-{connection}-{seconds}", "destination_group_id": "bq", "data": data})
