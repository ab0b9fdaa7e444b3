"""Ingest Lambda: Fivetran webhook (API Gateway HTTP API) -> verified, validated -> SQS FIFO -> 200.

Cold start: no LLM SDK, no AWS client at import (built on the first webhook), X-Ray tracer only when
POWERTOOLS_TRACE_DISABLED is "false".
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from fivetran_recovery.composition.ingest import ingest_webhook
from fivetran_recovery.ingest import IngestWebhook, route_webhook
from fivetran_recovery.redaction import install_log_redaction
from fivetran_recovery.settings import get_settings

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "fivetran-recovery"))
install_log_redaction(logger)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "FivetranRecovery"))

# Accepted webhooks add no metric by default (see fivetran_recovery.ingest.telemetry): not a problem to warn about.
warnings.filterwarnings("ignore", message="No application metrics to publish")

_ingest: IngestWebhook | None = None


def use_ingest(ingest: IngestWebhook | None) -> None:
    """Replace the wired use case (tests, benchmarks, the local stack); None rewires from settings."""
    global _ingest
    _ingest = ingest


def _get_ingest() -> IngestWebhook:
    global _ingest
    if _ingest is None:
        _ingest = ingest_webhook(get_settings(), logger=logger, metrics=metrics)
    return _ingest


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return route_webhook(event, _get_ingest(), context)


if os.environ.get("POWERTOOLS_TRACE_DISABLED") == "false":
    from aws_lambda_powertools import Tracer

    tracer = Tracer()
    lambda_handler = tracer.capture_lambda_handler(lambda_handler)
