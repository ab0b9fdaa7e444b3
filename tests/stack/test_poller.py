"""The local event source mapping honours batchItemFailures like AWS: failures come back, successes go."""

from __future__ import annotations

import json

import boto3

from local.poller import SqsPoller


def _send(queue_url: str, n: int) -> None:
    sqs = boto3.client("sqs")
    for i in range(n):
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"i": i}), MessageGroupId=f"g{i % 3}",
                         MessageDeduplicationId=f"d{i}")


def test_given_partial_failure_when_polled_then_only_failed_records_are_redelivered(aws_stack):
    queue = aws_stack.queues["EventsQueue"]
    _send(queue, 5)
    seen: list[int] = []
    failed_once: set[int] = set()

    def handler(event):
        failures = []
        for record in event["Records"]:
            i = json.loads(record["body"])["i"]
            seen.append(i)
            assert record["eventSource"] == "aws:sqs" and record["attributes"]["MessageGroupId"] == f"g{i % 3}"
            if i == 3 and i not in failed_once:
                failed_once.add(i)
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    poller = SqsPoller(queue, handler, retry_delay_seconds=0)
    poller.drain(timeout=20)
    assert sorted(seen) == [0, 1, 2, 3, 3, 4]
    assert poller.stats.deleted == 5 and poller.stats.failed == 1


def test_given_handler_raises_when_polled_then_whole_batch_is_retried(aws_stack):
    queue = aws_stack.queues["EventsQueue"]
    _send(queue, 3)
    calls = {"n": 0}

    def handler(event):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return {"batchItemFailures": []}

    poller = SqsPoller(queue, handler, retry_delay_seconds=0)
    poller.drain(timeout=20)
    assert poller.stats.handler_errors == 1
    assert poller.stats.deleted == 3
