"""Logs and metrics for every ingest decision. Lines carry ids and reasons, never bodies or secrets.

Refusals (by reason), ignored test deliveries, unknown event types and internal errors each get a Powertools
metric and a log line. Accepted events are the hot path: they are logged at DEBUG, and counted by a metric only
with `count_accepted=True` (an EMF flush costs about as much as the rest of the handler); by default the
accepted volume is the events queue's own `AWS/SQS NumberOfMessagesSent`.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from fivetran_recovery.ingest.errors import IngestError
from fivetran_recovery.models.webhook import WebhookEvent

METRIC_ACCEPTED = "WebhooksAccepted"
METRIC_IGNORED = "WebhooksIgnored"
METRIC_REJECTED = "WebhooksRejected"
METRIC_UNKNOWN_TYPE = "WebhookUnknownEventType"
METRIC_INTERNAL_ERROR = "WebhookInternalError"


class MetricsSink(Protocol):
    """What we use of Powertools `Metrics`."""

    def add_metric(self, name: str, unit: Any, value: float) -> None: ...


class _NoMetrics:
    def add_metric(self, name: str, unit: Any, value: float) -> None:
        return None


def _ids(event: WebhookEvent) -> dict[str, Any]:
    return {
        "event_type": event.event,
        "connection_id": event.connection_id,
        "sync_id": event.sync_id,
        "destination_group_id": event.destination_group_id,
    }


class IngestTelemetry:
    def __init__(self, logger: Any = None, metrics: MetricsSink | None = None, *, count_accepted: bool = False) -> None:
        self._logger = logger if logger is not None else logging.getLogger("fivetran_recovery.ingest")
        self._metrics = metrics if metrics is not None else _NoMetrics()
        self._count_accepted = count_accepted

    def _count(self, name: str) -> None:
        self._metrics.add_metric(name=name, unit="Count", value=1)

    def accepted(self, event: WebhookEvent, event_key: str) -> None:
        if self._count_accepted:
            self._count(METRIC_ACCEPTED)
        if self._logger.isEnabledFor(logging.DEBUG):
            self._logger.debug("webhook accepted", extra={**_ids(event), "event_key": event_key})

    def unknown_event_type(self, event: WebhookEvent, event_key: str) -> None:
        self._count(METRIC_UNKNOWN_TYPE)
        self._logger.warning(
            "webhook with an unknown event type accepted", extra={**_ids(event), "event_key": event_key}
        )

    def ignored(self, event: WebhookEvent, reason: str) -> None:
        self._count(METRIC_IGNORED)
        self._logger.info("webhook ignored", extra={**_ids(event), "reason": reason})

    def rejected(self, error: IngestError, status_code: int) -> None:
        self._count(METRIC_REJECTED)
        self._count(f"{METRIC_REJECTED}.{error.code}")
        log = self._logger.error if status_code >= 500 else self._logger.warning
        log("webhook refused", extra={"reason": error.code, "detail": error.detail, "status_code": status_code})

    def crashed(self) -> None:
        self._count(METRIC_INTERNAL_ERROR)
        self._logger.exception("webhook ingest failed unexpectedly")
