"""The ingest answers, through the API Gateway adapter and through functions/ingest/app.py."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fivetran_recovery.ingest import (
    IngestTelemetry,
    IngestWebhook,
    InMemoryFifoQueue,
    SecretsManagerWebhookSecretProvider,
    StaticWebhookSecretProvider,
    handle_api_gateway_event,
    sign,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

ANY_AGE = timedelta(days=36500)  # recorded samples carry old `created` times


def answer(response: dict) -> tuple[int, dict]:
    return response["statusCode"], json.loads(response["body"])


def test_given_signed_live_capture_when_ingested_then_accepted_and_enqueued_once(ingest, queue, make_event, live_body):
    status, body = answer(handle_api_gateway_event(make_event(live_body), ingest))
    assert status == 200 and body["status"] == "accepted" and len(body["event_key"]) == 40
    [message] = queue.messages
    assert message.group_id == "assimilate_seem" and message.deduplication_id == body["event_key"]
    assert json.loads(message.body)["sync_id"] == "b4703f73-6315-4e22-8d7a-3bfb18b2fed2"


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_given_base64_body_and_any_hex_case_when_ingested_then_accepted(
    ingest, queue, make_event, live_body, secret, case
):
    event = make_event(live_body, signature=case(sign(secret, live_body)), base64_encoded=True)
    assert answer(handle_api_gateway_event(event, ingest))[0] == 200
    assert len(queue.messages) == 1


def test_given_redelivery_when_ingested_twice_then_one_message(ingest, queue, make_event, live_body):
    first = answer(handle_api_gateway_event(make_event(live_body), ingest))
    second = answer(handle_api_gateway_event(make_event(live_body), ingest))
    assert first == second and len(queue.messages) == 1


@pytest.mark.parametrize(
    ("signature", "error"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("0" * 64, "invalid_signature"),
        ("nope", "invalid_signature"),
    ],
)
def test_given_bad_signature_when_ingested_then_401_and_nothing_enqueued(
    ingest, queue, metrics, make_event, live_body, signature, error
):
    status, body = answer(handle_api_gateway_event(make_event(live_body, signature=signature), ingest))
    assert (status, body["error"]) == (401, error)
    assert queue.messages == [] and f"WebhooksRejected.{error}" in metrics.names


def test_given_body_signed_with_other_secret_when_ingested_then_401(ingest, queue, make_event, live_body):
    assert answer(handle_api_gateway_event(make_event(live_body, secret="other"), ingest))[0] == 401
    assert queue.messages == []


@pytest.mark.parametrize(
    ("body", "error", "names"),
    [
        (b"{not json", "malformed_json", "not valid JSON"),
        (b"", "malformed_json", "not valid JSON"),
        (b'{"a": NaN}', "malformed_json", "not valid JSON"),
        (b"\xff\xfe{}", "malformed_json", "UTF-8"),
        (b"[1, 2]", "not_an_object", "array"),
        (b"null", "not_an_object", "null"),
        (b'{"event": "sync_end"}', "invalid_payload", "created"),
        (
            b'{"event": "sync_end", "created": "2026-01-01T00:00:00Z", "data": {"taskType": 5}}',
            "invalid_payload",
            "taskType",
        ),
        (b'{"event":"x","created":"2026-01-01T00:00:00Z","data":{"k":"\\ud800"}}', "invalid_payload", "Unicode"),
    ],
)
def test_given_signed_bad_payload_when_ingested_then_400_naming_problem(ingest, queue, make_event, body, error, names):
    status, answer_body = answer(handle_api_gateway_event(make_event(body, base64_encoded=True), ingest))
    assert (status, answer_body["error"]) == (400, error)
    assert names in answer_body["message"]
    assert queue.messages == []


def test_given_invalid_base64_when_ingested_then_400(ingest, queue, make_event):
    event = make_event(b"{}", base64_encoded=True)
    event["body"] = "***not base64***"
    status, body = answer(handle_api_gateway_event(event, ingest))
    assert (status, body["error"]) == (400, "invalid_body_encoding") and queue.messages == []


def test_given_body_over_limit_when_ingested_then_413_before_verifying(queue, make_event, live_body, secret):
    small = IngestWebhook(secrets=StaticWebhookSecretProvider(secret), queue=queue, max_body_bytes=100)
    for encoded in (False, True):
        status, body = answer(handle_api_gateway_event(make_event(live_body, base64_encoded=encoded), small))
        assert (status, body["error"]) == (413, "payload_too_large")
    assert queue.messages == []


def test_given_queue_down_when_ingested_then_503_so_fivetran_retries(make_event, live_body, secret):
    down = IngestWebhook(secrets=StaticWebhookSecretProvider(secret), queue=InMemoryFifoQueue(available=False),
                         max_age=ANY_AGE)
    status, body = answer(handle_api_gateway_event(make_event(live_body), down))
    assert (status, body["error"]) == (503, "queue_unavailable")


def test_given_secret_unreadable_when_ingested_then_503(queue, make_event, live_body):
    def broken(secret_id: str, max_age: int):
        raise ConnectionError("no route to secretsmanager")

    ingest = IngestWebhook(secrets=SecretsManagerWebhookSecretProvider("id", fetch=broken), queue=queue)
    status, body = answer(handle_api_gateway_event(make_event(live_body), ingest))
    assert (status, body["error"]) == (503, "secret_unavailable") and queue.messages == []


def test_given_test_delivery_when_ingested_then_ignored_and_not_enqueued(ingest, queue, metrics, make_event):
    raw = (REPO_ROOT / "events" / "fivetran" / "test_delivery.json").read_bytes()
    status, body = answer(handle_api_gateway_event(make_event(raw), ingest))
    assert (status, body) == (200, {"status": "ignored", "reason": "test delivery"})
    assert queue.messages == [] and metrics.names == ["WebhooksIgnored"]


def test_given_unknown_event_type_when_ingested_then_accepted_counted_and_logged(
    ingest, queue, metrics, make_event, caplog
):
    raw = (REPO_ROOT / "events" / "fivetran" / "unknown_event_type.json").read_bytes()
    with caplog.at_level(logging.INFO, logger="tests.ingest"):
        status, body = answer(handle_api_gateway_event(make_event(raw), ingest))
    assert status == 200 and body["status"] == "accepted" and body["known_event_type"] is False
    assert len(queue.messages) == 1 and "WebhookUnknownEventType" in metrics.names
    [record] = [r for r in caplog.records if "unknown event type" in r.getMessage()]
    assert record.event_type == "connection_schema_changed" and record.connection_id == "limitless_pelt"


def test_given_rotation_when_previous_secret_signs_then_accepted_until_grace_ends(queue, make_event, live_body):
    until = datetime(2026, 5, 22, 12, 0, tzinfo=UTC)
    now = [until - timedelta(seconds=1)]
    provider = StaticWebhookSecretProvider("new", previous="old", previous_valid_until=until)
    ingest = IngestWebhook(secrets=provider, queue=queue, clock=lambda: now[0])
    assert answer(handle_api_gateway_event(make_event(live_body, secret="old"), ingest))[0] == 200
    now[0] = until
    assert answer(handle_api_gateway_event(make_event(live_body, secret="old"), ingest))[0] == 401
    assert answer(handle_api_gateway_event(make_event(live_body, secret="new"), ingest))[0] == 200


def test_given_any_refusal_when_answered_then_neither_secret_nor_body_echoed(ingest, make_event, secret, caplog):
    marker = "BODY-MARKER-7c1e"
    bodies = [
        f'{{"event":"sync_end","created":"bad-{marker}"}}'.encode(),
        f'["{marker}"]'.encode(),
        f"{{{marker}".encode(),
    ]
    with caplog.at_level(logging.DEBUG):
        responses = [handle_api_gateway_event(make_event(body), ingest) for body in bodies]
        responses.append(handle_api_gateway_event(make_event(bodies[0], signature="f" * 64), ingest))
    for response in responses:
        assert 400 <= response["statusCode"] < 500
        assert marker not in response["body"] and secret not in response["body"]
    assert marker not in caplog.text and secret not in caplog.text


@pytest.mark.parametrize("event", [None, [], "string", {"body": 5}, {"headers": "x", "body": "{}"}])
def test_given_event_that_is_not_api_gateway_shaped_when_ingested_then_4xx(ingest, event):
    assert 400 <= handle_api_gateway_event(event, ingest)["statusCode"] < 500


# -- through functions/ingest/app.py -----------------------------------------------------------------------


def test_given_app_with_injected_wiring_when_invoked_then_accepted(
    ingest_app, lambda_context, live_body, secret, make_event
):
    queue = InMemoryFifoQueue()
    wired = IngestWebhook(
        max_age=ANY_AGE,
        secrets=StaticWebhookSecretProvider(secret),
        queue=queue,
        telemetry=IngestTelemetry(ingest_app.logger, ingest_app.metrics),
    )
    ingest_app.use_ingest(wired)
    try:
        response = ingest_app.lambda_handler(make_event(live_body), lambda_context)
        refused = ingest_app.lambda_handler(make_event(live_body, signature="0" * 64), lambda_context)
    finally:
        ingest_app.use_ingest(None)
    assert response["statusCode"] == 200 and refused["statusCode"] == 401
    assert len(queue.messages) == 1


def test_given_template_resources_when_sample_apigw_events_invoked_then_messages_in_fifo_queue(
    aws_stack, ingest_app, lambda_context
):
    import boto3

    ingest_app.use_ingest(None)  # wire from settings: Secrets Manager + SQS, as deployed
    try:
        answers = [
            ingest_app.lambda_handler(json.loads(path.read_text()), lambda_context)
            for path in sorted((REPO_ROOT / "events" / "apigw").glob("*.json"))
        ]
    finally:
        ingest_app.use_ingest(None)
    assert [a["statusCode"] for a in answers] == [200] * len(answers)
    queue_url = aws_stack.queues["EventsQueue"]
    received = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == len(answers)


def _import_report(env: dict[str, str]) -> dict:
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('ingest_app', {str(REPO_ROOT / 'functions/ingest/app.py')!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(json.dumps({m: m in sys.modules for m in ('anthropic', 'aws_xray_sdk', 'boto3', 'httpx')}))\n"
    )
    import os

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
        cwd=REPO_ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_given_cold_import_when_tracing_disabled_then_no_llm_sdk_no_tracer_no_boto3():
    loaded = _import_report({"POWERTOOLS_TRACE_DISABLED": "true"})
    assert loaded == {"anthropic": False, "aws_xray_sdk": False, "boto3": False, "httpx": False}


def test_given_tracing_enabled_when_imported_then_tracer_created():
    assert _import_report({"POWERTOOLS_TRACE_DISABLED": "false"})["aws_xray_sdk"] is True


def test_given_settings_when_wired_then_limits_and_adapters_come_from_them():
    from fivetran_recovery.composition.ingest import ingest_webhook
    from fivetran_recovery.ingest import SqsEventQueue
    from fivetran_recovery.settings import Settings

    settings = Settings.from_env(
        {}, events_queue_url="https://sqs.us-east-1.amazonaws.com/1/events.fifo", max_webhook_bytes=1234
    )
    wired = ingest_webhook(settings)
    assert wired.max_body_bytes == 1234 and isinstance(wired._queue, SqsEventQueue)
    assert isinstance(wired._secrets, SecretsManagerWebhookSecretProvider)
    with pytest.raises(ValueError, match="EVENTS_QUEUE_URL"):
        ingest_webhook(Settings.from_env({}))
