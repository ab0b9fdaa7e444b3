"""Issue 11 item 7: refusal log lines carried another request's connection_id/incident_id, because Powertools
Logger keys are process-wide and the handlers share one service name (and, locally, one process). Handlers now
clear the state per invocation and append their ids per thread."""

from __future__ import annotations

import json
import threading

from aws_lambda_powertools import Logger

from tests.ingest.conftest import REPO_ROOT, http_event


def _lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_given_another_handler_left_keys_when_ingest_refuses_then_its_line_has_none_of_them(capsys):
    from fivetran_recovery.ingest import (
        IngestTelemetry,
        IngestWebhook,
        InMemoryFifoQueue,
        StaticWebhookSecretProvider,
    )
    from local.lambda_runtime import LambdaContext, load_module

    ingest = load_module(REPO_ROOT / "functions" / "ingest", "app.lambda_handler")
    ingest.use_ingest(IngestWebhook(secrets=StaticWebhookSecretProvider("s" * 20), queue=InMemoryFifoQueue(),
                                    telemetry=IngestTelemetry(ingest.logger, ingest.metrics)))
    verify = load_module(REPO_ROOT / "functions" / "verify", "app.lambda_handler")
    shared = Logger(service="fivetran-recovery")
    shared.append_keys(incident_id="inc-of-another-request", connection_id="other_connection")  # old style leak
    other_thread_ready, release = threading.Event(), threading.Event()

    def other_request() -> None:  # another handler, mid-request on another thread
        verify.logger.thread_safe_append_keys(incident_id="inc-concurrent", connection_id="concurrent_conn")
        other_thread_ready.set()
        release.wait(5)

    worker = threading.Thread(target=other_request)
    worker.start()
    other_thread_ready.wait(5)
    try:
        capsys.readouterr()
        context = LambdaContext("ingest", "arn:aws:lambda:us-east-1:123456789012:function:ingest")
        answer = ingest.lambda_handler(http_event(b'{"event":"sync_end"}', signature="0" * 64), context)
    finally:
        release.set()
        worker.join(5)
        ingest.use_ingest(None)
    assert answer["statusCode"] == 401
    lines = _lines(capsys.readouterr().out + capsys.readouterr().err)
    assert lines, "the refusal is logged"
    for line in lines:
        assert line.get("incident_id") is None and line.get("connection_id") is None, line
