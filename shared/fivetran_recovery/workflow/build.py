"""`build_workflow_input`: the one call diagnose makes to turn a diagnosis into a recovery workflow input."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fivetran_recovery.config import RecoveryConfig, get_recovery_config
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.workflow import (
    EventRef,
    Plan,
    PlaybookRef,
    Rca,
    VerificationPlan,
    WorkflowInput,
)
from fivetran_recovery.playbooks.schema import Playbook
from fivetran_recovery.policy.decide import decide
from fivetran_recovery.policy.dry_run import describe, render_step
from fivetran_recovery.policy.human import recent_human_change
from fivetran_recovery.settings import RolloutMode, Settings
from fivetran_recovery.workflow.context import PlanContext, affected_columns, affected_tables, primary_keys


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _event_ref(event: Mapping[str, Any]) -> EventRef:
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    return EventRef(
        event=event.get("event"),
        created=str(event["created"]) if event.get("created") else None,
        sync_id=event.get("sync_id"),
        connector_type=event.get("connector_type") or event.get("connection_type"),
        connection_name=event.get("connection_name") or event.get("connector_name"),
        destination_group_id=event.get("destination_group_id") or event.get("group_id"),
        status=data.get("status"),
        task_type=data.get("taskType") or data.get("task_type"),
    )


def build_workflow_input(
    *,
    incident_id: str,
    connection_id: str,
    diagnosis: Diagnosis,
    playbook: Playbook,
    mode: RolloutMode | str,
    criticality: str,
    connection: dict | None,
    event: dict,
    settings: Settings,
    recent_events: Iterable[Mapping[str, Any]] = (),
    schema_config: Mapping[str, Any] | None = None,
    config: RecoveryConfig | None = None,
    now: datetime | None = None,
) -> dict:
    """The JSON-safe Step Functions execution input: policy decision, plan of steps, dry run and RCA.

    `recent_events` are the connection's recent webhooks (pause/edit ones reveal a human's change);
    `connection` is the Fivetran connection details (`data` of GET /v1/connections/{id}) when known;
    `schema_config` (`data` of GET /v1/connections/{id}/schemas), when known, resolves tables the error names.
    """
    config = config or get_recovery_config()
    now = now or datetime.now(UTC)
    tables = affected_tables(diagnosis, event, schema_config)
    context = PlanContext(
        connection_id=connection_id,
        connection=connection,
        tables=tables,
        primary_keys=primary_keys(diagnosis, event, schema_config, tables),
        columns=affected_columns(diagnosis, event),
        dialect=config.warehouse_dialect,
        incident_id=incident_id,
    )
    steps = [render_step(step, i, context) for i, step in enumerate(playbook.steps)]
    human = recent_human_change(
        connection, recent_events, now=now, window=timedelta(minutes=config.human_change_window_minutes)
    )
    decision, steps = decide(playbook, steps, mode=mode, criticality=criticality, human_change=human)
    on_failure = [render_step(step, i, context) for i, step in enumerate(playbook.on_failure)]
    rollback = [render_step(step, i, context) for i, step in enumerate(playbook.rollback)]
    verification = playbook.verification
    detected = event.get("created")
    workflow = WorkflowInput(
        incident_id=incident_id,
        connection_id=connection_id,
        detected_at=str(detected) if detected else _iso(now),
        started_at=_iso(now),
        playbook=PlaybookRef(
            id=playbook.id,
            version=playbook.version,
            title=playbook.title,
            risk=playbook.risk.value,
            requires_approval=playbook.requires_approval,
        ),
        rca=Rca(
            category=diagnosis.category.value,
            pattern=diagnosis.pattern,
            confidence=diagnosis.confidence,
            retryable=diagnosis.retryable,
            summary=diagnosis.summary or f"{diagnosis.category.value}: {diagnosis.pattern}",
            evidence=[{"source": e.source, "detail": e.detail[:500]} for e in diagnosis.evidence[:10]],
            analyzer=diagnosis.analyzer,
        ),
        event=_event_ref(event),
        decision=decision,
        plan=Plan(
            steps=steps,
            step_count=len(steps),
            on_failure=on_failure,
            rollback=rollback,
            verification=VerificationPlan(
                enabled=verification.kind != "none" and decision.path != "monitor" and bool(steps),
                kind=verification.kind,
                require_connected=verification.require_connected,
                wait_for_human=verification.wait_for_human,
            ),
        ),
        dry_run=[describe(step) for step in steps],
    )
    return workflow.model_dump(mode="json")
