"""Fixtures for the ingest tests: the live-captured body, signed API Gateway events, an in-memory wiring."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fivetran_recovery.ingest import (
    IngestTelemetry,
    IngestWebhook,
    InMemoryFifoQueue,
    StaticWebhookSecretProvider,
    sign,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "tests" / "data"
EVENTS_DIR = REPO_ROOT / "events"
SECRET = "test-webhook-secret-4f9d"

ANY_AGE = timedelta(days=36500)  # recorded samples carry old `created` times; the window has its own tests


class RecordingMetrics:
    """Stands in for Powertools Metrics: remembers every add_metric call."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.names.append(name)


@pytest.fixture
def live_body() -> bytes:
    return (DATA_DIR / "webhook_sync_end_successful_live_capture.json").read_bytes()


@pytest.fixture
def queue() -> InMemoryFifoQueue:
    return InMemoryFifoQueue()


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def ingest(queue: InMemoryFifoQueue, metrics: RecordingMetrics) -> IngestWebhook:
    telemetry = IngestTelemetry(logging.getLogger("tests.ingest"), metrics)
    return IngestWebhook(secrets=StaticWebhookSecretProvider(SECRET), queue=queue, telemetry=telemetry,
                         max_age=ANY_AGE)


def http_event(
    body: bytes | str | None,
    *,
    signature: str | None = "sign",
    secret: str = SECRET,
    base64_encoded: bool = False,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway v2 event for POST /webhooks/fivetran; `signature="sign"` signs the body with `secret`."""
    raw = body.encode() if isinstance(body, str) else body
    headers = {"content-type": "application/json", "user-agent": "Fivetran"}
    if signature == "sign":
        headers["x-fivetran-signature-256"] = sign(secret, raw or b"")
    elif signature is not None:
        headers["x-fivetran-signature-256"] = signature
    headers.update(extra_headers or {})
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "POST /webhooks/fivetran",
        "rawPath": "/webhooks/fivetran",
        "headers": headers,
        "isBase64Encoded": base64_encoded,
    }
    if raw is not None:
        event["body"] = base64.b64encode(raw).decode() if base64_encoded else raw.decode("utf-8", "surrogatepass")
    return event


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    return http_event


@pytest.fixture(scope="session")
def ingest_app() -> ModuleType:
    """functions/ingest/app.py, loaded the way the local runtime loads it."""
    from local.lambda_runtime import load_module

    return load_module(REPO_ROOT / "functions" / "ingest", "app.lambda_handler")


@pytest.fixture
def lambda_context() -> Any:
    from local.lambda_runtime import LambdaContext

    return LambdaContext("fivetran-recovery-ingest", "arn:aws:lambda:us-east-1:123456789012:function:ingest")


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture(autouse=True)
def _any_event_age(monkeypatch):
    """Recorded samples are dated in the past: the `created` window is tested on its own (test_window.py)."""
    monkeypatch.setenv("WEBHOOK_MAX_AGE_SECONDS", str(36500 * 86400))
