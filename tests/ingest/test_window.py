"""An event's `created` must fall within Fivetran's retry horizon and a few minutes of clock skew (issue 12)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fivetran_recovery.ingest import IngestTelemetry, IngestWebhook, InMemoryFifoQueue, StaticWebhookSecretProvider
from fivetran_recovery.ingest.http import handle_api_gateway_event

from .conftest import SECRET, RecordingMetrics, http_event

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def body(created: str) -> bytes:
    return json.dumps({"event": "sync_end", "created": created, "connector_id": "c1", "connector_type": "mysql",
                       "sync_id": f"s-{created}", "destination_group_id": "g",
                       "data": {"status": "FAILURE", "reason": "boom"}}, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("created", "status"),
    [
        ((NOW - timedelta(days=30)).isoformat(), 400),  # a month-old replay
        ("2099-01-01T00:00:00.000Z", 400),  # would move triage's clock and release held incidents
        ("9999-12-31T23:59:59.999Z", 400),  # used to become a poison message downstream
        ((NOW + timedelta(minutes=10)).isoformat(), 400),
        ((NOW - timedelta(hours=23)).isoformat(), 200),  # Fivetran's last retry, still accepted
        ((NOW + timedelta(minutes=2)).isoformat(), 200),  # clock skew
        (NOW.isoformat(), 200),
    ],
)
def test_given_created_outside_the_window_then_400_and_counted_else_accepted(created, status) -> None:
    queue, metrics = InMemoryFifoQueue(), RecordingMetrics()
    ingest = IngestWebhook(secrets=StaticWebhookSecretProvider(SECRET), queue=queue, clock=lambda: NOW,
                           telemetry=IngestTelemetry(metrics=metrics))
    response = handle_api_gateway_event(http_event(body(created)), ingest)
    assert response["statusCode"] == status
    if status == 400:
        assert json.loads(response["body"])["error"] == "created_out_of_window" and queue.messages == []
        assert "WebhooksRejected.created_out_of_window" in metrics.names
    else:
        assert len(queue.messages) == 1
