"""Diagnose: consumes webhook events from the FIFO queue in batches (partial batch failures reported), and
runs the sweep that confirms pending incidents, per batch and on its EventBridge schedule."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.redaction import install_log_redaction

logger = Logger()
install_log_redaction(logger)
metrics = Metrics()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
SWEEP_SOURCE = "fivetran-recovery.sweep"
RECONCILE_SOURCE = "fivetran-recovery.reconcile"
_state: dict[str, Any] = {}


def _service() -> Any:
    if "service" not in _state:
        from fivetran_recovery.composition.diagnose import build_service

        _state["service"] = build_service()
    return _state["service"]


def _idempotent_handle() -> Any:
    """Powertools idempotency on the event key: a redelivery days later is still processed once."""
    if "handle" not in _state:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        from fivetran_recovery.settings import get_settings

        persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
        config = IdempotencyConfig(event_key_jmespath="event_key", expires_after_seconds=7 * 24 * 3600)

        @idempotent_function(data_keyword_argument="message", config=config, persistence_store=persistence)
        def handle(message: dict[str, Any]) -> dict[str, Any]:
            outcome = _service().handle(WebhookEvent.model_validate(message["event"]))
            return {"action": outcome.action, "incident_id": outcome.incident_id, "execution": outcome.execution,
                    "llm_calls": outcome.llm_calls, "notifications": outcome.notifications, "pages": outcome.pages}

        _state["handle"] = handle
        _state["idempotency_config"] = config
    return _state["handle"]


def record_handler(record: SQSRecord) -> dict[str, Any]:
    event = WebhookEvent.model_validate_json(record.body)
    logger.thread_safe_clear_keys()  # per record, per thread: no key leaks into another request
    logger.thread_safe_append_keys(connection_id=event.connection_id, sync_id=event.sync_id, event_key=event.event_key)
    result = _idempotent_handle()(message={"event_key": event.event_key, "event": event.to_message()})
    logger.info("event handled", extra=result)
    metrics.add_metric(name=f"Triage_{result['action']}", unit=MetricUnit.Count, value=1)
    if result.get("llm_calls"):
        metrics.add_metric(name="LlmCalls", unit=MetricUnit.Count, value=result["llm_calls"])
    return result


def _sweep() -> int:
    outcomes = _service().sweep()
    metrics.add_metric(name="PendingConfirmed", unit=MetricUnit.Count, value=len(outcomes))
    for outcome in outcomes:
        logger.info("pending incident confirmed", extra={"incident_id": outcome.incident_id,
                                                         "execution": outcome.execution})
    return len(outcomes)


def _reconcile() -> dict[str, Any]:
    """Sync outcomes no webhook reported, fed through the same idempotent path as a webhook."""
    from fivetran_recovery.composition.diagnose import reconciler

    handle = _idempotent_handle()
    report = reconciler(lambda e: handle(message={"event_key": e.event_key, "event": e.to_message()})).run()
    for fed in report.fed:
        logger.info("sync outcome no webhook reported: fed from sync history", extra=fed)
    metrics.add_metric(name="ReconciledOutcomes", unit=MetricUnit.Count, value=len(report.fed))
    metrics.add_metric(name="DelayedWithoutFailure", unit=MetricUnit.Count, value=len(report.delayed))
    metrics.add_metric(name="WebhooksInactive", unit=MetricUnit.Count, value=len(report.inactive_webhooks))
    logger.info("reconciled", extra=report.as_dict())
    return report.as_dict()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("source") == SWEEP_SOURCE:
        return {"confirmed": _sweep()}
    if event.get("source") == RECONCILE_SOURCE:
        _idempotent_handle()
        _state["idempotency_config"].register_lambda_context(context)
        return _reconcile()
    _idempotent_handle()
    _state["idempotency_config"].register_lambda_context(context)
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    try:  # the batch's outcome stands whatever the sweep does; its schedule runs it again within a minute
        _sweep()
    except Exception:
        logger.exception("sweep after the batch failed")
        metrics.add_metric(name="SweepFailed", unit=MetricUnit.Count, value=1)
    return response
