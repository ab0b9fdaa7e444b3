"""Remediate Lambda: `begin` (lock the connection, re-check preconditions) or `step` (one playbook step,
exactly once, only as the policy allows, audited with the connection's state before and after)."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from fivetran_recovery.composition import LazyAdapters
from fivetran_recovery.composition.remediate import remediation_service
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
    op = event.get("op", "step")
    logger.thread_safe_clear_keys()  # per request, per thread: no key leaks into another request
    logger.thread_safe_append_keys(
        incident_id=workflow["incident_id"],
        connection_id=workflow["connection_id"],
        op=op,
        step=(workflow.get("cursor") or {}).get("index"),
    )
    service = remediation_service(_adapters.get())
    if op == "begin":
        result = service.begin(workflow)
        metrics.add_metric(
            name="WorkflowBegun" if result["proceed"] else "WorkflowBlocked", unit=MetricUnit.Count, value=1
        )
    elif op == "step":
        result = service.step(workflow)
        metrics.add_metric(name=f"Step_{result['status']}", unit=MetricUnit.Count, value=1)
    else:
        raise ValueError(f"unknown op {op!r}")
    logger.info("remediate done", extra={"result_status": result.get("status"), "proceed": result.get("proceed")})
    return result
