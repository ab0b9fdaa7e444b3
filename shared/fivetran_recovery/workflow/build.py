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
from fivetran_recovery.playbooks.registry import is_schema_change
from fivetran_recovery.playbooks.schema import Playbook, Risk
from fivetran_recovery.policy.decide import decide
from fivetran_recovery.policy.dry_run import describe, render_step
from fivetran_recovery.policy.human import recent_human_change
from fivetran_recovery.rca.calibration import Calibration, auto_hold, load_calibration, signature_key
from fivetran_recovery.settings import RolloutMode, Settings
from fivetran_recovery.snapshots.diff import SchemaDiff, diff_schemas
from fivetran_recovery.workflow.context import plan_context


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


def _playbook_ref(playbook: Playbook) -> PlaybookRef:
    return PlaybookRef(
        id=playbook.id,
        version=playbook.version,
        title=playbook.title,
        risk=playbook.risk.value,
        requires_approval=playbook.requires_approval,
    )


def _rca(diagnosis: Diagnosis, calibration: Calibration) -> Rca:
    return Rca(
        category=diagnosis.category.value,
        pattern=diagnosis.pattern,
        confidence=diagnosis.confidence,
        retryable=diagnosis.retryable,
        summary=diagnosis.summary or f"{diagnosis.category.value}: {diagnosis.pattern}",
        evidence=[{"source": e.source, "detail": e.detail[:500]} for e in diagnosis.evidence[:10]],
        analyzer=diagnosis.analyzer,
        calibrated_confidence=calibration.calibrated(diagnosis.confidence) if diagnosis.analyzer == "rules" else None,
        signature_precision=calibration.precision(signature_key(diagnosis))[0],
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
    snapshot: Mapping[str, Any] | None = None,
    holds: Iterable[str] = (),
    automation_stopped: str | None = None,
) -> dict:
    """The JSON-safe Step Functions execution input: policy decision, plan of steps, dry run and RCA.

    `recent_events` are the connection's recent webhooks (pause/edit ones reveal a human's change);
    `connection` is the Fivetran connection details (`data` of GET /v1/connections/{id}) when known;
    `schema_config` (`data` of GET /v1/connections/{id}/schemas) is the current schema and `snapshot` the last
    known-good one: their diff is the only scope a step may take on its own. `holds` are reasons that keep every
    write waiting for approval (e.g. a playbook the rules did not choose).
    """
    config = config or get_recovery_config()
    now = now or datetime.now(UTC)
    diff = diff_schemas(snapshot, schema_config) if snapshot is not None and schema_config is not None else None
    context = plan_context(connection_id=connection_id, diagnosis=diagnosis, event=event, connection=connection,
                           schema_config=schema_config, diff=diff, dialect=config.warehouse_dialect,
                           incident_id=incident_id)
    holds = [*holds, *_schema_holds(playbook, diff, snapshot is not None, schema_config is not None)]
    calibration = load_calibration()
    if not holds and playbook.writes and not _from_structure(playbook, diagnosis, event, diff):
        holds += [h for h in [auto_hold(diagnosis, calibration, config.auto_min_precision)] if h]
    steps = [render_step(step, i, context) for i, step in enumerate(playbook.steps)]
    human = recent_human_change(
        connection, recent_events, now=now, window=timedelta(minutes=config.human_change_window_minutes)
    )
    decision, steps = decide(playbook, steps, mode=mode, criticality=criticality, human_change=human, holds=holds,
                             automation_stopped=automation_stopped)
    on_failure = [render_step(step, i, context) for i, step in enumerate(playbook.on_failure)]
    rollback = [render_step(step, i, context) for i, step in enumerate(playbook.rollback)]
    verification = playbook.verification
    detected = event.get("created")
    workflow = WorkflowInput(
        incident_id=incident_id,
        connection_id=connection_id,
        detected_at=str(detected) if detected else _iso(now),
        started_at=_iso(now),
        playbook=_playbook_ref(playbook),
        rca=_rca(diagnosis, calibration),
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
        scope=_scope_record(context.tables, context.suggested_tables, diff),
    )
    return workflow.model_dump(mode="json")


def _schema_holds(playbook: Playbook, diff: SchemaDiff | None, have_snapshot: bool, have_config: bool) -> list[str]:
    """A schema-change playbook acts alone only on a diff it can show, of the kind it handles."""
    if not is_schema_change(playbook):
        return []
    if not have_config:
        return ["schema change, but the connection's schema config could not be read: escalated to a human"]
    if not have_snapshot:
        return ["schema change, but no known-good schema snapshot exists to compare with: escalated to a human"]
    if diff is None or diff.empty:
        return ["schema change named by the failure, but the schema config shows no difference from the last "
                "known-good snapshot: escalated to a human"]
    if playbook.risk is Risk.LOW and diff.breaking:
        return [f"the schema diff shows a breaking change ({'; '.join(diff.lines()[:5])}): a human decides"]
    return []


def _from_structure(playbook: Playbook, diagnosis: Diagnosis, event: Mapping[str, Any],
                    diff: SchemaDiff | None) -> bool:
    """Whether Fivetran's structured data, not the text's signature, selected this playbook: a task type the
    playbook matches, a RESCHEDULED status, or a schema diff for a schema-change playbook (its kind checked above)."""
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    task_type = data.get("taskType") or data.get("task_type")
    if task_type and task_type in playbook.match.task_types:
        return True
    if any(e.source in ("webhook.status", "webhook.taskType") for e in diagnosis.evidence):
        return True  # the classifier's evidence from the event's RESCHEDULED status or its Fivetran task type
    return is_schema_change(playbook) and diff is not None and not diff.empty


def _scope_record(tables: dict, suggested: dict, diff: SchemaDiff | None) -> dict[str, Any]:
    return {"tables": tables, "suggested_by_text": suggested, "diff": diff.as_record() if diff else None}
