"""API Lambda (the approve function grown into the API): the approval routes (GET /approvals/{approval_id},
POST /approvals/{approval_id}/decision with a bearer token, POST /slack/interactions Slack-signed), the console's
JSON API (/health, /api/...) and its pages (/console/...). One decision per approval; then the workflow resumes."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from fivetran_recovery.composition import LazyAdapters
from fivetran_recovery.composition.approve import approval_service, console_service
from fivetran_recovery.console.app import build_resolver
from fivetran_recovery.httpapi import resolve
from fivetran_recovery.redaction import install_log_redaction

logger = Logger()
install_log_redaction(logger)
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")

_adapters = LazyAdapters()
use_adapters = _adapters.use  # tests and the local stack put their own adapters in
_resolver = build_resolver()


@logger.inject_lambda_context(log_event=False, clear_state=True)  # the event carries tokens and cookies
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    adapters = _adapters.get()
    response = resolve(_resolver, event, context, approvals=approval_service(adapters),
                       console=adapters.cached("console", lambda: console_service(adapters)))
    metrics.add_metric(name=f"ApiResponse{response['statusCode']}", unit=MetricUnit.Count, value=1)
    logger.info("API request answered", extra={"status": response["statusCode"], "path": event.get("rawPath")})
    return response
