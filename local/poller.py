"""The SQS -> Lambda event source mapping, locally: batches, partial batch failures, retries, DLQ.

moto's own SQS trigger sends one record at a time and ignores `batchItemFailures`, so this poller does what the
real mapping does: receive up to `batch_size` messages, invoke the handler with an SQS event, delete what
succeeded, and leave the failures to come back after their visibility timeout (shortened locally to
`retry_delay_seconds` so a retry takes seconds, not the template's six minutes). Redrive to the DLQ after
maxReceiveCount is moto's, as in AWS.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.aws import REGION

logger = logging.getLogger(__name__)
Invoke = Callable[[dict[str, Any]], Any]


@dataclass
class PollerStats:
    batches: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0
    handler_errors: int = 0


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the event Lambda receives from SQS (shape of the real event source mapping)."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            key: attributes[key]
            for key in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
                        "SequenceNumber", "MessageGroupId", "MessageDeduplicationId")
            if key in attributes
        },
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


@dataclass
class SqsPoller:
    queue_url: str
    invoke: Invoke
    batch_size: int = 10
    wait_seconds: int = 0  # short polls: moto sleeps inside a long poll, holding the local stack's AWS lock
    idle_sleep_seconds: float = 0.1
    retry_delay_seconds: int = 1
    stats: PollerStats = field(default_factory=PollerStats)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _busy: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Receive one batch and hand it to the handler; returns how many messages were received."""
        with self._busy:
            response = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.batch_size,
                WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            if not messages:
                return 0
            self.stats.batches += 1
            self.stats.received += len(messages)
            event = {"Records": [sqs_record(m, self._queue_arn) for m in messages]}
            failed_ids = self._invoke(event, messages)
            for message in messages:
                if message["MessageId"] in failed_ids:
                    self.stats.failed += 1
                    self._sqs.change_message_visibility(
                        QueueUrl=self.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self.retry_delay_seconds,
                    )
                else:
                    self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                    self.stats.deleted += 1
            return len(messages)

    def _invoke(self, event: dict[str, Any], messages: list[dict[str, Any]]) -> set[str]:
        """Message ids to retry: those the handler reported, or all of them when the handler raised."""
        all_ids = {m["MessageId"] for m in messages}
        try:
            result = self.invoke(event)
        except Exception:
            self.stats.handler_errors += 1
            logger.exception("diagnose handler raised; the whole batch will be retried")
            return all_ids
        failures = (result or {}).get("batchItemFailures", []) if isinstance(result, dict) else []
        reported = {item.get("itemIdentifier") for item in failures}
        unknown = reported - all_ids
        if unknown:  # AWS treats a response naming unknown ids as a failure of the whole batch
            logger.error("handler reported unknown message ids %s; retrying the whole batch", sorted(unknown))
            return all_ids
        return reported

    def drain(self, *, timeout: float = 30.0, idle_rounds: int = 2) -> None:
        """Process until the queue stays empty for `idle_rounds` polls (retries included) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        idle = 0
        while idle < idle_rounds:
            if time.monotonic() > deadline:
                raise TimeoutError(f"queue not drained after {timeout} s")
            received = self.poll_once(wait_seconds=0)
            idle = 0 if received else idle + 1
            if not received and self._in_flight():
                idle = 0
                time.sleep(0.1)

    def _in_flight(self) -> bool:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")) > 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqs-poller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once():
                    self._stop.wait(self.idle_sleep_seconds)
            except Exception:  # keep polling like the managed mapping does; the error is logged
                logger.exception("poller round failed")
                time.sleep(0.5)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
