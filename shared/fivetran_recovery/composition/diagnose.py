"""Composition root of the diagnose function: the triage engine on the template's tables, the LLM analyzer
from its secret, the notifications through the dispatcher and PagerDuty, the workflow through Step Functions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.diagnose.service import DiagnoseService
from fivetran_recovery.diagnose.steps import DiagnoseSteps
from fivetran_recovery.triage.decision import TriageDecision

logger = logging.getLogger(__name__)


class LlmProvider:
    """The LLM analyzer, built on first need: None when disabled; None (and tried again next time) while the key
    cannot be read, so the rules answer alone."""

    def __init__(self, adapters: Adapters):
        self._adapters = adapters
        self._llm: Any = None
        self._built = False

    def __call__(self) -> Any:
        if self._built:
            return self._llm
        settings = self._adapters.settings
        if not settings.llm_enabled:
            self._built = True
            return None
        from pydantic import SecretStr

        from fivetran_recovery.config import SecretMissing, field
        from fivetran_recovery.rca import LlmAnalyzer

        if settings.llm_provider == "bedrock":  # the role's credentials sign; no key to read
            self._llm = LlmAnalyzer(provider="bedrock", aws_region=settings.aws_region, model=settings.anthropic_model,
                                    base_url=settings.llm_base_url or settings.anthropic_base_url)
            self._built = True
            return self._llm
        try:
            key = str(field(self._adapters.secrets, settings.anthropic_secret_id, "api_key"))
        except SecretMissing as exc:
            logger.warning("LLM unavailable, the rules answer alone", extra={"reason": str(exc)})
            return None
        self._llm = LlmAnalyzer(api_key=SecretStr(key), model=settings.anthropic_model,
                                base_url=settings.llm_base_url or settings.anthropic_base_url)
        self._built = True
        return self._llm


def notifier(adapters: Adapters) -> Any:
    """Sends a triage decision's notifications; the PagerDuty keys are read (cached by Powertools) per decision."""
    from fivetran_recovery.config import resolve_config_dir
    from fivetran_recovery.triage.notify import pager_from_secret, send_notifications

    def notify(decision: TriageDecision) -> tuple[int, int]:
        if not decision.notifications:
            return 0, 0
        pager_for = pager_from_secret(
            adapters.secrets, adapters.settings.pagerduty_secret_id, resolve_config_dir() / "owners.yaml"
        )
        return send_notifications(
            decision, dispatcher=adapters.dispatcher, incidents=adapters.incidents, pager_for=pager_for
        )

    return notify


def diagnose_steps(adapters: Adapters) -> DiagnoseSteps:
    from fivetran_recovery.stores.dynamodb_incidents import DynamoLlmCache

    return DiagnoseSteps(
        settings=adapters.settings,
        config=adapters.config,
        history=adapters.history,
        incidents=adapters.incidents,
        fivetran=adapters.fivetran,
        registry=adapters.registry,
        audit=adapters.audit,
        llm_cache=adapters.cached(
            "llm_cache",
            lambda: DynamoLlmCache(client=adapters.dynamodb_client, table_name=adapters.settings.incidents_table),
        ),
        llm=adapters.cached("llm", lambda: LlmProvider(adapters)),
        sfn=adapters.sfn,
        notify=notifier(adapters),
        clock=adapters.clock,
        snapshots=snapshot_keeper(adapters),
        autonomy=adapters.autonomy,
        overrides=adapters.overrides,
    )


def snapshot_keeper(adapters: Adapters) -> Any:
    from fivetran_recovery.snapshots import DynamoSnapshotStore, SnapshotKeeper

    settings = adapters.settings
    return adapters.cached("snapshots", lambda: SnapshotKeeper(
        store=DynamoSnapshotStore(client=adapters.dynamodb_client, table_name=settings.incidents_table),
        fivetran=adapters.fivetran, clock=adapters.clock, sweep_seconds=settings.schema_snapshot_sweep_seconds,
        sweep_limit=settings.schema_snapshot_sweep_limit))


def build_service(adapters: Adapters | None = None) -> DiagnoseService:
    """The diagnose use case; built once per container."""
    from fivetran_recovery.composition.triage import build_triage

    adapters = adapters or Adapters()
    steps = diagnose_steps(adapters)
    triage = adapters.cached(
        "triage",
        lambda: build_triage(settings=adapters.settings, client=adapters.dynamodb_client, clock=adapters.clock,
                             status_feed_urls=_feed_urls(adapters.settings.status_feed_urls)),
    )
    return DiagnoseService(
        history=adapters.history,
        triage=triage,
        deep_diagnose=steps.deep_diagnose,
        plan_workflow=steps.plan_workflow,
        start_workflow=steps.start_workflow,
        notify=steps.notify,
        clock=adapters.clock,
        is_manual_schedule=steps.is_manual_schedule,
        workflow_exists=steps.workflow_exists,
        after_success=steps.snapshots.after_success,
        snapshot_sweep=steps.snapshots.sweep,
        max_event_skew=timedelta(seconds=adapters.settings.max_event_skew_seconds),
        resume_after=timedelta(seconds=adapters.settings.workflow_resume_after_seconds),
        max_start_attempts=adapters.settings.workflow_start_attempts,
    )


def _feed_urls(value: str | None) -> list[str] | None:
    """STATUS_FEED_URLS, when set, replaces the feeds file's URLs (the local stack points at its simulator)."""
    urls = [u.strip() for u in (value or "").split(",") if u.strip()]
    return urls or None


def reconciler(handle: Any, adapters: Adapters | None = None) -> Any:
    """The reconciliation sweep: connections and sync history from Fivetran, fed to `handle` (the webhook
    path) when no webhook reported them."""
    from fivetran_recovery.diagnose.reconcile import Reconciler

    adapters = adapters or Adapters()
    fivetran = adapters.fivetran

    def fivetran_now() -> datetime:  # the Date of Fivetran's latest answer (the sync history just read)
        read = getattr(fivetran, "server_time", None)
        return (read() if read is not None else None) or adapters.clock()

    return Reconciler(fivetran=fivetran, history=adapters.history, handle=handle, now=fivetran_now,
                      settle=timedelta(seconds=adapters.settings.reconcile_settle_seconds))
