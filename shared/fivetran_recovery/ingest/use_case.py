"""Ingest one Fivetran webhook: verify, validate, enqueue. Pure logic; AWS sits behind the injected ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fivetran_recovery.ingest.errors import CreatedOutOfWindow, InvalidSignature, MissingSignature, PayloadTooLarge
from fivetran_recovery.ingest.queue import SQS_MAX_MESSAGE_BYTES, EventQueue, build_queue_message
from fivetran_recovery.ingest.request import WebhookRequest
from fivetran_recovery.ingest.secrets import WebhookSecretProvider, utc_now
from fivetran_recovery.ingest.signature import SIGNATURE_HEADER, signature_matches
from fivetran_recovery.ingest.telemetry import IngestTelemetry
from fivetran_recovery.ingest.validation import parse_webhook_event

_MESSAGE_HEADROOM = 1024  # message attributes and envelope


@dataclass(slots=True)
class IngestOutcome:
    """A 2xx answer: the event was queued (`accepted`) or needs no work (`ignored`)."""

    status: Literal["accepted", "ignored"]
    event_type: str
    event_key: str | None = None
    reason: str | None = None
    known_event_type: bool = True


class IngestWebhook:
    def __init__(
        self,
        *,
        secrets: WebhookSecretProvider,
        queue: EventQueue,
        max_body_bytes: int = 256 * 1024,
        clock: Callable[[], datetime] = utc_now,
        telemetry: IngestTelemetry | None = None,
        max_age: timedelta = timedelta(hours=25),
        max_future: timedelta = timedelta(minutes=5),
    ) -> None:
        if max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        self.max_body_bytes = max_body_bytes
        self.telemetry = telemetry or IngestTelemetry()
        self._secrets = secrets
        self._queue = queue
        self._clock = clock
        self._max_age, self._max_future = max_age, max_future

    def handle(self, request: WebhookRequest) -> IngestOutcome:
        """Raises an IngestError subclass for every refusal (see http.py for the status codes)."""
        body = request.body
        if len(body) > self.max_body_bytes:
            raise PayloadTooLarge(f"the body exceeds {self.max_body_bytes} bytes")
        self._verify_signature(body, request.header(SIGNATURE_HEADER))
        event = parse_webhook_event(body)
        self._check_window(event.created)
        if event.is_test:
            self.telemetry.ignored(event, "test delivery")
            return IngestOutcome("ignored", event.event, reason="test delivery")
        message = build_queue_message(event)
        if len(message.body) > SQS_MAX_MESSAGE_BYTES - _MESSAGE_HEADROOM:  # ASCII body: chars == bytes
            raise PayloadTooLarge("the event is too large to queue once normalised")
        self._queue.send(message)
        known = event.is_known_type
        if not known:
            self.telemetry.unknown_event_type(event, message.event_key)
        self.telemetry.accepted(event, message.event_key)
        return IngestOutcome("accepted", event.event, event_key=message.event_key, known_event_type=known)

    def _check_window(self, created: datetime) -> None:
        """Refuse (400, counted by reason) an event dated outside [now - max age, now + max future]: a 30-day-old
        replay must not be acted on, and a 2099 one must not move triage's clock."""
        now = self._clock()
        if created < now - self._max_age:
            raise CreatedOutOfWindow(f"created {created.isoformat()} is older than the webhook retry horizon "
                                     f"({int(self._max_age.total_seconds())} s)")
        if created > now + self._max_future:
            raise CreatedOutOfWindow(f"created {created.isoformat()} is more than "
                                     f"{int(self._max_future.total_seconds())} s in the future")

    def _verify_signature(self, body: bytes, provided: str | None) -> None:
        if not provided:
            raise MissingSignature("the X-Fivetran-Signature-256 header is missing")
        keys = self._secrets.get().keys_at(self._clock())
        if not signature_matches(body, provided, keys):
            raise InvalidSignature("the X-Fivetran-Signature-256 header does not match the body")
