"""Composition root of the ingest function: the webhook secret from Secrets Manager, the FIFO queue on SQS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fivetran_recovery.ingest.queue import EventQueue, SqsEventQueue
from fivetran_recovery.ingest.secrets import SecretsManagerWebhookSecretProvider, WebhookSecretProvider
from fivetran_recovery.ingest.telemetry import IngestTelemetry
from fivetran_recovery.ingest.use_case import IngestWebhook
from fivetran_recovery.settings import Settings


def ingest_webhook(
    settings: Settings,
    *,
    secrets: WebhookSecretProvider | None = None,
    queue: EventQueue | None = None,
    logger: Any = None,
    metrics: Any = None,
) -> IngestWebhook:
    """Wire the AWS adapters from settings; nothing is called until the first webhook."""
    if secrets is None:
        secrets = SecretsManagerWebhookSecretProvider(
            settings.webhook_secret_id, max_age_seconds=settings.secrets_max_age_seconds
        )
    return IngestWebhook(
        secrets=secrets,
        queue=SqsEventQueue(settings.events_queue_url) if queue is None else queue,
        max_body_bytes=settings.max_webhook_bytes,
        telemetry=IngestTelemetry(logger, metrics),
        max_age=timedelta(seconds=settings.webhook_max_age_seconds),
        max_future=timedelta(seconds=settings.webhook_max_future_seconds),
    )
