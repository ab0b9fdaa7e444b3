"""Every file in events/ is checked: each folder has a validator, and unknown folders must still be JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from fivetran_recovery.ingest import (
    IngestWebhook,
    InMemoryFifoQueue,
    StaticWebhookSecretProvider,
    handle_api_gateway_event,
    sign,
)
from fivetran_recovery.models.webhook import KNOWN_EVENT_TYPES, WebhookEvent
from local.defaults import DEFAULT_WEBHOOK_SECRET

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
ALL_FILES = sorted(p for p in EVENTS_DIR.rglob("*") if p.is_file())
APIGW_V2_KEYS = {"version", "routeKey", "rawPath", "rawQueryString", "headers", "requestContext", "isBase64Encoded"}

ANY_AGE = timedelta(days=36500)  # recorded samples carry old `created` times; the window has its own tests


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(EVENTS_DIR)) for p in paths]


def in_folder(name: str) -> list[Path]:
    return [p for p in ALL_FILES if p.suffix == ".json" and p.parent == EVENTS_DIR / name]


def ingest_with(secret: str) -> tuple[IngestWebhook, InMemoryFifoQueue]:
    queue = InMemoryFifoQueue()
    return IngestWebhook(secrets=StaticWebhookSecretProvider(secret), queue=queue, max_age=ANY_AGE), queue


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_given_any_file_in_events_when_read_then_json_object_or_readme(path: Path) -> None:
    if path.suffix == ".md":
        return
    assert path.suffix == ".json", f"{path.name}: only .json samples (and README.md) belong in events/"
    assert isinstance(json.loads(path.read_bytes()), dict)


@pytest.mark.parametrize("path", in_folder("fivetran"), ids=ids(in_folder("fivetran")))
def test_given_fivetran_sample_when_signed_and_ingested_then_valid_compact_and_answered_200(path: Path) -> None:
    raw = path.read_bytes()
    event = WebhookEvent.model_validate_json(raw)
    assert raw == json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode(), "send it compact"
    assert event.is_known_type or path.stem == "unknown_event_type"
    ingest, queue = ingest_with("s")
    http_event = {
        "headers": {"x-fivetran-signature-256": sign("s", raw)},
        "body": raw.decode(),
        "isBase64Encoded": False,
    }
    response = handle_api_gateway_event(http_event, ingest)
    assert response["statusCode"] == 200
    assert len(queue.messages) == (0 if event.is_test else 1)


def test_given_fivetran_samples_when_counted_then_every_event_type_and_sync_status_covered() -> None:
    events = [WebhookEvent.model_validate_json(p.read_bytes()) for p in in_folder("fivetran")]
    assert {e.event for e in events} >= KNOWN_EVENT_TYPES
    statuses = {e.status for e in events if e.event == "sync_end"}
    assert statuses >= {"SUCCESSFUL", "FAILURE", "FAILURE_WITH_TASK", "RESCHEDULED", "CANCELED", "FAILED"}
    assert any(e.is_test for e in events)


@pytest.mark.parametrize("path", in_folder("apigw"), ids=ids(in_folder("apigw")))
def test_given_api_gateway_sample_when_ingested_with_local_secret_then_accepted(path: Path) -> None:
    event = json.loads(path.read_text())
    assert event.keys() >= APIGW_V2_KEYS and event["version"] == "2.0"
    assert event["requestContext"]["http"]["method"] == "POST"
    ingest, queue = ingest_with(DEFAULT_WEBHOOK_SECRET)
    response = handle_api_gateway_event(event, ingest)
    assert response["statusCode"] == 200, response["body"]
    assert len(queue.messages) == 1


@pytest.mark.parametrize("path", in_folder("sqs"), ids=ids(in_folder("sqs")))
def test_given_sqs_sample_when_read_then_records_carry_webhook_messages(path: Path) -> None:
    records = json.loads(path.read_text())["Records"]
    assert records
    for record in records:
        assert record["eventSource"] == "aws:sqs" and record["messageId"]
        WebhookEvent.model_validate_json(record["body"])


def test_given_events_folder_when_listed_then_every_subfolder_has_a_validator() -> None:
    known = {"fivetran", "apigw", "sqs", "stepfunctions", "scheduler"}  # scheduler: tests/stack/test_aws_event_samples.py
    folders = {p.parent.name for p in ALL_FILES if p.parent != EVENTS_DIR}
    assert folders <= known, f"add a validator in {Path(__file__).name} for {sorted(folders - known)}"
