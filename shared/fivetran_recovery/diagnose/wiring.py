"""Build the DiagnoseService from settings: real adapters, built lazily (nothing at import time)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from fivetran_recovery.diagnose.service import DiagnoseService
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.incident import Incident
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.triage.decision import TriageDecision
from fivetran_recovery.workflow.services import Services

AUDIT_ACTOR = "diagnose"
logger = logging.getLogger(__name__)


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return dict(value)


class DiagnoseAdapters:
    """The pieces the service needs, each a method so tests can replace one at a time."""

    def __init__(self, services: Services):
        self.services = services
        self._llm: Any = None
        self._llm_built = False

    # ------------------------------------------------------------------ stores and triage
    def incidents(self) -> Any:
        from fivetran_recovery.stores.dynamodb_incidents import DynamoIncidentStore

        return self.services.cached("incidents", lambda: DynamoIncidentStore(
            client=self.services.dynamodb_client, table_name=self.services.settings.incidents_table))

    def triage(self) -> Any:
        from fivetran_recovery.triage.factory import build_triage

        return self.services.cached("triage", lambda: build_triage(
            settings=self.services.settings, client=self.services.dynamodb_client, clock=self.services.clock))

    # ------------------------------------------------------------------ deep diagnosis
    def llm(self) -> Any:
        """The LLM analyzer, or None when disabled or no key is configured (the rules then stand alone)."""
        if self._llm_built:
            return self._llm
        settings = self.services.settings
        if not settings.llm_enabled:
            self._llm_built = True
            return None
        from pydantic import SecretStr

        from fivetran_recovery.rca import LlmAnalyzer
        from fivetran_recovery.workflow.secrets import SecretMissing, field

        try:
            key = str(field(self.services.secrets, settings.anthropic_secret_id, "api_key"))
        except SecretMissing as exc:  # no key, or Secrets Manager unreachable: rules only, try again next time
            logger.warning("LLM unavailable, the rules answer alone", extra={"reason": str(exc)})
            return None
        self._llm = LlmAnalyzer(api_key=SecretStr(key), model=settings.anthropic_model,
                                base_url=settings.anthropic_base_url)
        self._llm_built = True
        return self._llm

    def deep_diagnose(self, event: WebhookEvent | None, incident: Incident,
                      quick: Diagnosis) -> tuple[Diagnosis, dict[str, Any]]:
        from fivetran_recovery.rca import analyze_incident, gather_context, rank_similar
        from fivetran_recovery.stores.dynamodb_incidents import DynamoLlmCache

        services = self.services
        event = event or _synthetic_event(incident)
        connection_id = event.connection_id or ""
        history = services.history.recent(connection_id, limit=20) if connection_id else []
        from fivetran_recovery.policy import resolve as resolve_mode
        from fivetran_recovery.settings import RolloutMode

        mode, _ = resolve_mode(connection_id, services.settings.rollout_mode, services.config)
        context = gather_context(  # setup tests are a POST to Fivetran: never in monitor mode
            event, fivetran=services.fivetran, history=[h.model_dump(mode="json") for h in history],
            run_setup_tests=False if mode is RolloutMode.MONITOR else None)
        cache = DynamoLlmCache(client=services.dynamodb_client, table_name=services.settings.incidents_table)
        outcome = analyze_incident(context, classifier_diagnosis=quick, llm=self.llm(),
                                   allowed_playbooks=services.registry.ids(), cache=cache)
        diagnosis = outcome.diagnosis
        similar = rank_similar(
            {"connection_id": connection_id, "category": diagnosis.category.value, "pattern": diagnosis.pattern,
             "signature": incident.signature},
            [s.model_dump(mode="json") for s in self.incidents().list_similar_closed(incident.signature)],
        )
        services.audit.append(chain_id=connection_id or incident.id, incident_id=incident.id, kind="diagnosis",
                              actor=AUDIT_ACTOR, detail={**outcome.as_record(), "similar": similar,
                                                         "context_errors": [e.model_dump() for e in context.errors]})
        return diagnosis, {"llm_calls": outcome.llm_calls, "similar": similar}

    def is_manual_schedule(self, connection_id: str) -> bool:
        """Whether the connection only syncs when asked; unknown (API unreachable) counts as not manual."""
        connection = self._read(lambda: self.services.fivetran.get_connection(connection_id))
        return (connection or {}).get("schedule_type") == "manual"

    # ------------------------------------------------------------------ workflow
    def plan_workflow(self, incident: Incident, diagnosis: Diagnosis, event: WebhookEvent | None) -> dict[str, Any]:
        from fivetran_recovery.policy import resolve as resolve_mode
        from fivetran_recovery.workflow.build import build_workflow_input

        services = self.services
        event = event or _synthetic_event(incident)
        connection_id = event.connection_id or ""
        data = event.data or {}
        playbook = services.registry.match(diagnosis, task_type=data.get("taskType") or data.get("task_type"))
        connection = self._read(lambda: services.fivetran.get_connection(connection_id))
        schema_config = self._read(lambda: services.fivetran.get_schema_config(connection_id))
        mode, configured = resolve_mode(connection_id, services.settings.rollout_mode, services.config)
        criticality = configured if connection_id in services.config.connection_policies else incident.criticality.value
        recent = [h.model_dump(mode="json") for h in services.history.recent(connection_id, limit=20)]
        return build_workflow_input(
            incident_id=incident.id, connection_id=connection_id, diagnosis=diagnosis, playbook=playbook,
            mode=mode, criticality=criticality, connection=connection, event=event.to_message(),
            settings=services.settings, recent_events=recent, schema_config=schema_config, config=services.config,
            now=services.clock(),
        )

    @staticmethod
    def _read(call: Any) -> dict[str, Any] | None:
        """A Fivetran read for the plan; None when it fails (the plan and the policy gate then say so)."""
        from fivetran_recovery.fivetran import FivetranError

        try:
            return _as_dict(call())
        except FivetranError:
            return None

    def workflow_exists(self, name: str) -> bool:
        """Whether an execution with this name exists (names are incident ids, unique per state machine)."""
        sfn = self.services.sfn
        arn = self.services.settings.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        try:
            sfn.describe_execution(executionArn=arn)
            return True
        except sfn.exceptions.ExecutionDoesNotExist:
            return False

    def start_workflow(self, *, name: str, payload: dict[str, Any]) -> str | None:
        sfn = self.services.sfn
        try:
            return sfn.start_execution(stateMachineArn=self.services.settings.state_machine_arn, name=name,
                                       input=json.dumps(payload, default=str))["executionArn"]
        except sfn.exceptions.ExecutionAlreadyExists:
            return None  # a redelivered event: the workflow for this incident is already running

    # ------------------------------------------------------------------ notifications
    def notify(self, decision: TriageDecision) -> tuple[int, int]:
        from fivetran_recovery.triage.notify import send_notifications

        return send_notifications(decision, dispatcher=self.services.dispatcher, services=self.services)


def _synthetic_event(incident: Incident) -> WebhookEvent:
    """An event standing for an incident confirmed by the sweep (no webhook in hand)."""
    connection_id = incident.connection_id or (incident.child_connections[0] if incident.child_connections else "")
    reason = incident.evidence[0].detail if incident.evidence else ""
    return WebhookEvent(event="sync_end", created=incident.last_seen or datetime.now(), connection_id=connection_id,
                        connector_type=incident.connector_type, destination_group_id=incident.destination_group_id,
                        data={"status": "FAILURE", "reason": reason})


def build_service(services: Services | None = None) -> DiagnoseService:
    services = services or Services()
    adapters = DiagnoseAdapters(services)
    return DiagnoseService(
        history=services.history,
        triage=adapters.triage(),
        deep_diagnose=adapters.deep_diagnose,
        plan_workflow=adapters.plan_workflow,
        start_workflow=adapters.start_workflow,
        notify=adapters.notify,
        clock=services.clock,
        is_manual_schedule=adapters.is_manual_schedule,
        workflow_exists=adapters.workflow_exists,
    )
