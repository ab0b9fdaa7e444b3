"""No event lost or duplicated: signed events, redeliveries and forged signatures through the local gateway into
the FIFO queue created from template.yaml (moto)."""

from __future__ import annotations

import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from fivetran_recovery.ingest import sign
from local.defaults import DEFAULT_WEBHOOK_SECRET
from local.gateway import LocalGateway

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def workload(distinct: int, seed: int = 7) -> tuple[list[tuple[bytes, str]], set[str]]:
    """`distinct` good events, 1 redelivery per 8 of them and 1 forgery per 8: 10% + 10% of the total."""
    rng = random.Random(seed)
    good = []
    for index in range(distinct):
        body = {
            "event": "sync_end",
            "created": f"2026-05-22T{index // 3600 % 24:02d}:{index // 60 % 60:02d}:{index % 60:02d}.{index % 1000:03d}Z",
            "connector_type": "postgres",
            "connector_id": f"connection_{index % 17}",
            "sync_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "destination_group_id": "warehouse",
            "data": {"status": rng.choice(["SUCCESSFUL", "FAILURE", "FAILURE_WITH_TASK"])},
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        good.append((raw, sign(DEFAULT_WEBHOOK_SECRET, raw)))
    extra = distinct // 8
    duplicates = rng.sample(good, extra)
    forged = [(raw.replace(b"warehouse", b"warehous3"), sig) for raw, sig in rng.sample(good, extra)]
    requests = good + duplicates + forged
    rng.shuffle(requests)
    return requests, {json.loads(raw)["sync_id"] for raw, _ in good}


def drain(sqs, queue_url: str) -> list[dict]:
    received = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages", []
        )
        if not batch:
            return received
        received.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )


def test_given_mixed_redeliveries_and_forgeries_when_sent_through_gateway_then_exactly_the_good_events_queued(
    aws_stack, ingest_app
):
    import boto3

    requests, expected_sync_ids = workload(160)
    assert len(requests) == 200
    ingest_app.use_ingest(None)
    gateway = LocalGateway({("POST", "/webhooks/fivetran"): ingest_app.lambda_handler})
    base_url = gateway.start()
    try:
        with httpx.Client(base_url=base_url) as client, ThreadPoolExecutor(4) as pool:

            def post(request: tuple[bytes, str]) -> int:
                raw, signature = request
                headers = {"content-type": "application/json", "x-fivetran-signature-256": signature}
                return client.post("/webhooks/fivetran", content=raw, headers=headers).status_code

            statuses = list(pool.map(post, requests))
    finally:
        gateway.stop()
        ingest_app.use_ingest(None)

    assert statuses.count(200) == 180 and statuses.count(401) == 20
    messages = drain(boto3.client("sqs"), aws_stack.queues["EventsQueue"])
    sync_ids = [json.loads(m["Body"])["sync_id"] for m in messages]
    assert len(sync_ids) == len(set(sync_ids)) == 160
    assert set(sync_ids) == expected_sync_ids
