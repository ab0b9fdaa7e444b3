"""The diagnose steps that reach other systems (deep diagnosis, planning and starting the workflow),
given their collaborators by the composition root (`composition/diagnose.py`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fivetran_recovery.config import RecoveryConfig
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.incident import Incident
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.settings import Settings
from fivetran_recovery.stores.base import HistoryStore, IncidentStore
from fivetran_recovery.triage.decision import TriageDecision

if TYPE_CHECKING:
    from fivetran_recovery.audit import AuditLog
    from fivetran_recovery.fivetran import FivetranClient
    from fivetran_recovery.playbooks.registry import Registry
    from fivetran_recovery.snapshots import SnapshotKeeper

AUDIT_ACTOR = "diagnose"
logger = logging.getLogger(__name__)


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return dict(value)


@dataclass(kw_only=True)
class DiagnoseSteps:
    """The pieces DiagnoseService calls out to; each a method so tests can replace one at a time.

    `llm` gives the LLM analyzer or None (disabled, or no key yet: the rules then answer alone); `notify` sends a
    triage decision's notifications and returns (channel messages delivered, pages decided).
    """

    settings: Settings
    config: RecoveryConfig
    history: HistoryStore
    incidents: IncidentStore
    fivetran: FivetranClient
    registry: Registry
    audit: AuditLog
    llm_cache: Any
    llm: Callable[[], Any]
    sfn: Any
    notify: Callable[[TriageDecision], tuple[int, int]]
    clock: Callable[[], datetime]
    snapshots: SnapshotKeeper  # known-good schema per connection: the diff scopes schema-change actions
    autonomy: Any = None  # EarnedAutonomy: a playbook acts only up to the stage it has earned
    overrides: Any = None  # AutomationOverrides: an operator's stop sends the plan down the monitor path

    # ------------------------------------------------------------------ deep diagnosis
    def deep_diagnose(self, event: WebhookEvent | None, incident: Incident,
                      quick: Diagnosis) -> tuple[Diagnosis, dict[str, Any]]:
        from fivetran_recovery.policy import resolve as resolve_mode
        from fivetran_recovery.rca import analyze_incident, gather_context, rank_similar
        from fivetran_recovery.settings import RolloutMode

        event = event or _synthetic_event(incident)
        connection_id = event.connection_id or ""
        history = self.history.recent(connection_id, limit=20) if connection_id else []
        mode, _ = resolve_mode(connection_id, self.settings.rollout_mode, self.config)
        snapshot = self.snapshots.latest(connection_id)
        hands_off = mode is RolloutMode.MONITOR or self._automation_stopped(connection_id) is not None
        context = gather_context(  # setup tests are a POST to Fivetran: never in monitor mode or when stopped
            event, fivetran=self.fivetran, history=[h.model_dump(mode="json") for h in history],
            run_setup_tests=False if hands_off else None,
            previous_schema=snapshot.config if snapshot else None)
        outcome = analyze_incident(context, classifier_diagnosis=quick, llm=self.llm(),
                                   allowed_playbooks=self.registry.ids(), cache=self.llm_cache)
        diagnosis = outcome.diagnosis
        similar = rank_similar(
            {"connection_id": connection_id, "category": diagnosis.category.value, "pattern": diagnosis.pattern,
             "signature": incident.signature},
            [s.model_dump(mode="json") for s in self.incidents.list_similar_closed(incident.signature)],
        )
        self.audit.append(chain_id=connection_id or incident.id, incident_id=incident.id, kind="diagnosis",
                              actor=AUDIT_ACTOR, detail={**outcome.as_record(), "similar": similar,
                                                         "context_errors": [e.model_dump() for e in context.errors]})
        return diagnosis, {"llm_calls": outcome.llm_calls, "similar": similar}

    def is_manual_schedule(self, connection_id: str) -> bool:
        """Whether the connection only syncs when asked; unknown (API unreachable) counts as not manual."""
        connection = self._read(lambda: self.fivetran.get_connection(connection_id))
        return (connection or {}).get("schedule_type") == "manual"

    # ------------------------------------------------------------------ workflow
    def plan_workflow(self, incident: Incident, diagnosis: Diagnosis, event: WebhookEvent | None, *,
                      rules: Diagnosis | None = None) -> dict[str, Any]:
        """The workflow input. `rules` is the classifier's own diagnosis: a playbook it does not lead to (one the
        LLM chose) is held for approval."""
        from fivetran_recovery.policy import resolve as resolve_mode
        from fivetran_recovery.settings import RolloutMode
        from fivetran_recovery.workflow.build import build_workflow_input

        event = event or _synthetic_event(incident)
        connection_id = event.connection_id or ""
        data = event.data or {}
        selection = self.registry.select(diagnosis, rules=rules,
                                         task_type=data.get("taskType") or data.get("task_type"))
        connection = self._read(lambda: self.fivetran.get_connection(connection_id))
        # With every column (GET /schemas omits unedited ones), as the snapshot it is compared with.
        schema_config = self._read(lambda: self.fivetran.full_schema_config(connection_id))
        snapshot = self.snapshots.latest(connection_id)
        mode, configured = resolve_mode(connection_id, self.settings.rollout_mode, self.config)
        holds = list(selection.holds)
        if self.autonomy is not None:
            earned, why = self.autonomy.effective_mode(selection.playbook.id, RolloutMode(mode).value)
            mode = RolloutMode(earned)
            holds += [why] if why else []
        criticality = configured if connection_id in self.config.connection_policies else incident.criticality.value
        recent = [h.model_dump(mode="json") for h in self.history.recent(connection_id, limit=20)]
        return build_workflow_input(
            incident_id=incident.id, connection_id=connection_id, diagnosis=diagnosis, playbook=selection.playbook,
            mode=mode, criticality=criticality, connection=connection, event=event.to_message(),
            settings=self.settings, recent_events=recent, schema_config=schema_config, config=self.config,
            now=self.clock(), snapshot=snapshot.config if snapshot else None, holds=holds,
            automation_stopped=self._automation_stopped(connection_id),
        )

    def _automation_stopped(self, connection_id: str) -> str | None:
        if self.overrides is None or not connection_id:
            return None
        return self.overrides.stopped_reason(connection_id)

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
        sfn = self.sfn
        arn = self.settings.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        try:
            sfn.describe_execution(executionArn=arn)
            return True
        except sfn.exceptions.ExecutionDoesNotExist:
            return False

    def start_workflow(self, *, name: str, payload: dict[str, Any]) -> str | None:
        sfn = self.sfn
        try:
            return sfn.start_execution(stateMachineArn=self.settings.state_machine_arn, name=name,
                                       input=json.dumps(payload, default=str))["executionArn"]
        except sfn.exceptions.ExecutionAlreadyExists:
            return None  # a redelivered event: the workflow for this incident is already running


def _synthetic_event(incident: Incident) -> WebhookEvent:
    """An event standing for an incident confirmed by the sweep (no webhook in hand)."""
    connection_id = incident.connection_id or (incident.child_connections[0] if incident.child_connections else "")
    reason = incident.evidence[0].detail if incident.evidence else ""
    return WebhookEvent(event="sync_end", created=incident.last_seen or datetime.now(), connection_id=connection_id,
                        connector_type=incident.connector_type, destination_group_id=incident.destination_group_id,
                        data={"status": "FAILURE", "reason": reason})
