from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from fivetran_recovery.ingest import (
    InMemoryFifoQueue,
    QueueUnavailable,
    SqsEventQueue,
    build_queue_message,
    message_group_for,
)
from fivetran_recovery.ingest.queue import ACCOUNT_GROUP_ID
from fivetran_recovery.models.webhook import WebhookEvent

CREATED = "2026-05-22T00:06:08.638Z"


def event(**fields) -> WebhookEvent:
    return WebhookEvent.model_validate({"event": "sync_end", "created": CREATED, **fields})


def test_given_connection_event_when_messaged_then_group_is_connection_and_dedup_is_event_key() -> None:
    sync_end = event(connector_id="assimilate_seem", sync_id="s1", data={"status": "FAILURE"})
    message = build_queue_message(sync_end)
    assert message.group_id == "assimilate_seem"
    assert message.deduplication_id == sync_end.event_key
    assert json.loads(message.body) == sync_end.to_message()
    assert message.body.isascii()


def test_given_events_without_connection_when_grouped_then_destination_group_or_account() -> None:
    assert message_group_for(event(event="dbt_run_failed", destination_group_id="dest")) == "group:dest"
    assert message_group_for(event(event="dbt_run_failed")) == ACCOUNT_GROUP_ID


def test_given_id_sqs_would_refuse_when_grouped_then_stable_digest() -> None:
    odd = event(connector_id="conn with spaces é")
    group = message_group_for(odd)
    assert group.startswith("connection-") and group == message_group_for(odd) and len(group) <= 128


def test_given_non_ascii_text_when_messaged_then_body_escaped_and_round_trips() -> None:
    message = build_queue_message(event(connector_id="c", data={"reason": "Ünïcode ☃ \ufffe"}))
    assert message.body.isascii()
    assert json.loads(message.body)["data"]["reason"] == "Ünïcode ☃ \ufffe"


def test_given_duplicate_within_window_when_sent_then_one_message_and_after_window_two() -> None:
    clock = [0.0]
    queue = InMemoryFifoQueue(monotonic=lambda: clock[0])
    message = build_queue_message(event(connector_id="c", sync_id="s"))
    queue.send(message)
    clock[0] = 299.0
    queue.send(message)
    assert len(queue.messages) == 1
    clock[0] = 301.0
    queue.send(message)
    assert len(queue.messages) == 2 and queue.sends == 3


def test_given_outage_when_sent_then_queue_unavailable() -> None:
    queue = InMemoryFifoQueue(available=False)
    with pytest.raises(QueueUnavailable):
        queue.send(build_queue_message(event(connector_id="c")))
    assert queue.messages == []


def test_given_emulated_fifo_queue_when_sent_twice_then_one_message_with_event_key_attribute() -> None:
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        queue = SqsEventQueue(url)
        message = build_queue_message(event(connector_id="c", sync_id="s", data={"status": "FAILURE"}))
        queue.send(message)
        queue.send(message)
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        )["Messages"]
    assert len(received) == 1
    assert received[0]["Attributes"]["MessageGroupId"] == "c"
    assert received[0]["Attributes"]["MessageDeduplicationId"] == message.deduplication_id
    assert received[0]["MessageAttributes"]["event_key"]["StringValue"] == message.event_key
    assert json.loads(received[0]["Body"])["connection_id"] == "c"


def test_given_missing_queue_when_sent_then_queue_unavailable() -> None:
    with mock_aws():
        queue = SqsEventQueue("https://sqs.us-east-1.amazonaws.com/123456789012/missing.fifo")
        with pytest.raises(QueueUnavailable) as caught:
            queue.send(build_queue_message(event(connector_id="c")))
    assert "did not accept" in caught.value.detail


@pytest.mark.parametrize("url", ["", "https://sqs.us-east-1.amazonaws.com/123456789012/standard"])
def test_given_bad_queue_url_when_built_then_clear_error(url: str) -> None:
    with pytest.raises(ValueError, match=r"EVENTS_QUEUE_URL|FIFO"):
        SqsEventQueue(url)
