"""Webhook ingest: verify `X-Fivetran-Signature-256`, validate, enqueue to the FIFO queue, answer fast.

Entry points: `IngestWebhook` (the use case), `handle_api_gateway_event(event, ingest)` (the HTTP adapter),
the queue adapters (`SqsEventQueue`, `InMemoryFifoQueue`) and secret providers
(`SecretsManagerWebhookSecretProvider`, `StaticWebhookSecretProvider`).
"""

from fivetran_recovery.ingest.errors import (
    IngestError,
    InvalidBodyEncoding,
    InvalidPayload,
    InvalidSignature,
    MalformedJson,
    MissingSignature,
    NotAnObject,
    PayloadTooLarge,
    QueueUnavailable,
    SecretUnavailable,
)
from fivetran_recovery.ingest.http import HTTP_STATUS_BY_ERROR, handle_api_gateway_event, route_webhook, status_for
from fivetran_recovery.ingest.queue import (
    EventQueue,
    InMemoryFifoQueue,
    QueueMessage,
    SqsEventQueue,
    build_queue_message,
    message_group_for,
)
from fivetran_recovery.ingest.request import WebhookRequest, request_from_api_gateway
from fivetran_recovery.ingest.secrets import (
    SecretsManagerWebhookSecretProvider,
    StaticWebhookSecretProvider,
    WebhookSecretProvider,
    WebhookSecrets,
)
from fivetran_recovery.ingest.signature import SIGNATURE_HEADER, sign, signature_matches
from fivetran_recovery.ingest.telemetry import IngestTelemetry
from fivetran_recovery.ingest.use_case import IngestOutcome, IngestWebhook
from fivetran_recovery.ingest.validation import parse_webhook_event

__all__ = [
    "HTTP_STATUS_BY_ERROR",
    "SIGNATURE_HEADER",
    "EventQueue",
    "InMemoryFifoQueue",
    "IngestError",
    "IngestOutcome",
    "IngestTelemetry",
    "IngestWebhook",
    "InvalidBodyEncoding",
    "InvalidPayload",
    "InvalidSignature",
    "MalformedJson",
    "MissingSignature",
    "NotAnObject",
    "PayloadTooLarge",
    "QueueMessage",
    "QueueUnavailable",
    "SecretUnavailable",
    "SecretsManagerWebhookSecretProvider",
    "SqsEventQueue",
    "StaticWebhookSecretProvider",
    "WebhookRequest",
    "WebhookSecretProvider",
    "WebhookSecrets",
    "build_queue_message",
    "handle_api_gateway_event",
    "message_group_for",
    "parse_webhook_event",
    "request_from_api_gateway",
    "route_webhook",
    "sign",
    "signature_matches",
    "status_for",
]
