"""One local stack per console test module (the HTTP tests share one, the browser tests another): starting a
stack costs seconds, so a module's tests share it and each works on its own connection or its own incident.
Module scope, not session: the stack's moto must be gone before other areas' tests build their own."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.defaults import LOCAL_APPROVER_TOKEN, webhook_secret


@pytest.fixture(scope="module")
def console_stack() -> Iterator[Any]:
    from local.stack import LocalStack, StackOptions

    with LocalStack(StackOptions(port=0, parameters={"LogLevel": "WARNING"},
                                 extra_environment={"POWERTOOLS_METRICS_DISABLED": "true"})) as stack:
        yield stack


def sign_in(base_url: str, token: str = LOCAL_APPROVER_TOKEN) -> tuple[httpx.Client, str]:
    """An httpx client holding a console session, and the session's CSRF token."""
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
    form = client.get("/console/login").text
    login_csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    answer = client.post("/console/login", data={"csrf": login_csrf, "token": token})
    assert answer.status_code == 303, answer.text
    page = client.get("/console/incidents").text
    return client, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


@pytest.fixture
def session_client(console_stack) -> Iterator[tuple[httpx.Client, str]]:
    client, csrf = sign_in(console_stack.base_url)
    try:
        yield client, csrf
    finally:
        client.close()


def post_webhook(base_url: str, payload: dict[str, Any]) -> httpx.Response:
    from fivetran_recovery.ingest.signature import sign

    body = json.dumps(payload, separators=(",", ":")).encode()
    return httpx.post(f"{base_url}/webhooks/fivetran", content=body, timeout=30,
                      headers={"X-Fivetran-Signature-256": sign(webhook_secret(), body)})


def wait_for(predicate, *, timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")
