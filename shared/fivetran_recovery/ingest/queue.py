"""The events queue: an SQS FIFO queue in AWS, an in-memory FIFO for unit tests and benchmarks.

Message group = connection id (per-connection order); deduplication id = `WebhookEvent.event_key`, so a
redelivered webhook inside SQS's 5-minute window is one message. Later duplicates are caught downstream by
Powertools idempotency on the same key (the `event_key` message attribute).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic_core import PydanticSerializationError

from fivetran_recovery.ingest.errors import InvalidPayload, QueueUnavailable
from fivetran_recovery.models.webhook import WebhookEvent

ACCOUNT_GROUP_ID = "fivetran-account"  # events with neither a connection nor a destination group id
SQS_MAX_MESSAGE_BYTES = 256 * 1024
SQS_DEDUPLICATION_WINDOW_SECONDS = 300
_SQS_ID = re.compile(r"[\x21-\x7e]{1,128}")  # MessageGroupId / MessageDeduplicationId alphabet


@dataclass(frozen=True)
class QueueMessage:
    group_id: str
    deduplication_id: str
    body: str

    @property
    def event_key(self) -> str:
        return self.deduplication_id


def _sqs_safe_id(value: str, prefix: str) -> str:
    """`value` when SQS accepts it as an id, else a stable digest of it."""
    if _SQS_ID.fullmatch(value):
        return value
    return f"{prefix}-{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()[:48]}"


def message_group_for(event: WebhookEvent) -> str:
    """Per-connection order; events without a connection (dbt runs) are ordered per destination group."""
    if event.connection_id:
        return _sqs_safe_id(event.connection_id, "connection")
    if event.destination_group_id:
        return _sqs_safe_id(f"group:{event.destination_group_id}", "group")
    return ACCOUNT_GROUP_ID


def build_queue_message(event: WebhookEvent) -> QueueMessage:
    """The message for `event`; its JSON body is ASCII so every character is one SQS accepts."""
    try:
        body = event.model_dump_json(exclude_none=True, ensure_ascii=True)  # == json.dumps(event.to_message())
    except PydanticSerializationError:  # e.g. an escaped lone surrogate ("\ud800") inside `data`
        raise InvalidPayload("the event contains text that is not valid Unicode") from None
    return QueueMessage(group_id=message_group_for(event), deduplication_id=event.event_key, body=body)


class EventQueue(Protocol):
    def send(self, message: QueueMessage) -> None:
        """Put `message` on the queue or raise QueueUnavailable."""


def _default_sqs_client() -> Any:
    import boto3  # lazy: keeps boto3 out of the cold import

    return boto3.client("sqs")


class SqsEventQueue:
    """SQS FIFO queue; the boto3 client is built on the first send (or injected)."""

    def __init__(
        self, queue_url: str, *, client: Any = None, client_factory: Callable[[], Any] = _default_sqs_client
    ) -> None:
        if not queue_url:
            raise ValueError("queue_url is required (EVENTS_QUEUE_URL)")
        if not queue_url.endswith(".fifo"):
            raise ValueError("the events queue must be a FIFO queue (its URL ends in .fifo)")
        self.queue_url = queue_url
        self._client = client
        self._client_factory = client_factory
        self._lock = threading.Lock()

    def _sqs(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._client_factory()
        return self._client

    def send(self, message: QueueMessage) -> None:
        try:
            self._sqs().send_message(
                QueueUrl=self.queue_url,
                MessageBody=message.body,
                MessageGroupId=message.group_id,
                MessageDeduplicationId=message.deduplication_id,
                MessageAttributes={"event_key": {"DataType": "String", "StringValue": message.event_key}},
            )
        except Exception as exc:  # botocore ClientError/EndpointConnectionError/...: the sender must retry
            raise QueueUnavailable(f"the events queue did not accept the event ({type(exc).__name__})") from None


@dataclass
class _Stored:
    message: QueueMessage
    sent_at: float


@dataclass
class InMemoryFifoQueue:
    """A FIFO queue with SQS's deduplication semantics (same id within the window = one message).

    Set `available = False` to simulate an outage (every send raises QueueUnavailable).
    """

    deduplication_window_seconds: float = SQS_DEDUPLICATION_WINDOW_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    available: bool = True
    sends: int = 0
    _stored: list[_Stored] = field(default_factory=list)
    _last_seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: QueueMessage) -> None:
        if not self.available:
            raise QueueUnavailable("the events queue did not accept the event (simulated outage)")
        now = self.monotonic()
        with self._lock:
            self.sends += 1
            first_seen = self._last_seen.get(message.deduplication_id)
            if first_seen is not None and now - first_seen < self.deduplication_window_seconds:
                return
            self._last_seen[message.deduplication_id] = now
            self._stored.append(_Stored(message, now))

    @property
    def messages(self) -> list[QueueMessage]:
        with self._lock:
            return [stored.message for stored in self._stored]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(message.body) for message in self.messages]

    def by_group(self) -> dict[str, list[QueueMessage]]:
        groups: dict[str, list[QueueMessage]] = {}
        for message in self.messages:
            groups.setdefault(message.group_id, []).append(message)
        return groups
