"""Approve Lambda: GET /approvals/{approval_id}, POST /approvals/{approval_id}/decision (bearer token) and
POST /slack/interactions (Slack-signed). One decision per approval; then the waiting workflow resumes."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from fivetran_recovery.approvals.api import route
from fivetran_recovery.composition import LazyAdapters
from fivetran_recovery.composition.approve import approval_service

logger = Logger()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")

_adapters = LazyAdapters()
use_adapters = _adapters.use  # tests and the local stack put their own adapters in


@logger.inject_lambda_context(log_event=False)  # the event carries the Authorization header
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = route(event, approval_service(_adapters.get()), context)
    metrics.add_metric(name=f"ApprovalResponse{response['statusCode']}", unit=MetricUnit.Count, value=1)
    logger.info("approval request answered", extra={"status": response["statusCode"], "path": event.get("rawPath")})
    return response
