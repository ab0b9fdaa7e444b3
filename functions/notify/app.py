"""Notify Lambda: the state machine's messenger. Approval requests (the task token is stored, never logged or
shown), monitor-mode recommendations, timeouts, failure branches, escalations and the post-incident summary.

The event is never logged: it carries the task token.
"""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from fivetran_recovery.composition import LazyAdapters
from fivetran_recovery.composition.notify import notify_service
from fivetran_recovery.redaction import install_log_redaction

logger = Logger()
install_log_redaction(logger)
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")

_adapters = LazyAdapters()
use_adapters = _adapters.use  # tests and the local stack put their own adapters in


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    workflow = event.get("workflow") or {}
    logger.thread_safe_clear_keys()  # per request, per thread: no key leaks into another request
    logger.thread_safe_append_keys(
        incident_id=workflow.get("incident_id"), connection_id=workflow.get("connection_id"), kind=event.get("kind")
    )
    result = notify_service(_adapters.get()).handle(event)
    metrics.add_metric(name=f"Notify_{event.get('kind')}", unit=MetricUnit.Count, value=1)
    logger.info("notified", extra={"channels": result.get("channels")})
    return result
