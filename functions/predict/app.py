"""Predict: on its EventBridge schedule, scores every connection's failure risk from its sync history and
Fivetran's own status, stores the latest risk per connection and logs schedule advice; with a warehouse, makes
cost-aware schedule recommendations from its query history, applied only through the policy gate."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fivetran_recovery.redaction import install_log_redaction

logger = Logger()
install_log_redaction(logger)
metrics = Metrics()
_state: dict[str, Any] = {}


def _service() -> Any:
    if "service" not in _state:
        from fivetran_recovery.composition import Adapters
        from fivetran_recovery.composition.predict import predict_service

        _state["service"] = predict_service(Adapters())
    return _state["service"]


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    assessments = _service().run()
    for assessment in assessments:
        if assessment.level != "low":
            logger.warning("connection at risk", extra=assessment.model_dump(mode="json"))
    metrics.add_metric(name="ScheduleRecommendations", unit=MetricUnit.Count,
                       value=len(getattr(_service(), "recommendations", [])))
    for level in ("high", "medium"):
        metrics.add_metric(name=f"ConnectionsAtRisk_{level}", unit=MetricUnit.Count,
                           value=sum(a.level == level for a in assessments))
    recommended = [{"connection_id": rec.connection_id, "recommended_minutes": rec.recommended_minutes,
                    "path": (applied or {}).get("path")} for rec, applied in getattr(_service(), "recommendations", [])]
    return {"assessed": len(assessments), "high": [a.connection_id for a in assessments if a.level == "high"],
            "schedule_recommendations": recommended}
