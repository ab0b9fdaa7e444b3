"""Verify Lambda: after each wait, checks that the next sync succeeded and freshness is back."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from fivetran_recovery.composition import LazyAdapters
from fivetran_recovery.composition.verify import verification_service
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
    workflow = event["workflow"]
    logger.thread_safe_clear_keys()  # per request, per thread: no key leaks into another request
    logger.thread_safe_append_keys(incident_id=workflow["incident_id"], connection_id=workflow["connection_id"])
    result = verification_service(_adapters.get()).verify(
        workflow, attempt=int(event.get("attempt", 0)), max_attempts=int(event.get("max_attempts", 1))
    )
    metrics.add_metric(name=f"Verification_{result['status']}", unit=MetricUnit.Count, value=1)
    logger.info("verified", extra={"status": result["status"], "attempt": result["attempt"]})
    return result
