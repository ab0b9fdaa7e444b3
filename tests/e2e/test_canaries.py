"""Canaries: secrets and personal data planted in failure texts never reach a store, a log, a prompt or a message.

Through the whole local stack (gateway, ingest, queue, diagnose, the LLM fake, Step Functions, notify): two signed
failures whose reason carries every kind of secret issue 12 found leaking, then every DynamoDB table, every queue,
the captured logs, every prompt the LLM fake received and every outbox message are searched.
"""

from __future__ import annotations

import json
import zlib

import boto3
import pytest

from local.drill import steps
from local.drill.scenarios_trust import post_failure
from local.stack import LocalStack, StackOptions

pytestmark = pytest.mark.e2e

CANARIES = {
    "suffix key db_password": "db_password=CanaryPwA1x",
    "suffix key userPassword": "userPassword=CanaryPwB2x",
    "phrase": "the password is CanaryPwC3x",
    "identified by": "CREATE USER loader IDENTIFIED BY 'CanaryPwD4x'",
    "url credentials": "postgres://loader:CanaryPwE5x@db.internal:5432/prod",
    "aws key": "AKIACANARY8EXAMPLE12",
    "email": "jane.canary@example.org",
    "card": "4111 1111 1111 1111",
    "ssn": "123-45-6789",
    "phone": "+1 415 555 0134",
}
SECRETS = ["CanaryPwA1x", "CanaryPwB2x", "CanaryPwC3x", "CanaryPwD4x", "CanaryPwE5x", "AKIACANARY8EXAMPLE12",
           "jane.canary@example.org", "4111 1111 1111 1111", "123-45-6789", "415 555 0134"]
REASON = "Error: MissingObjectException: Missing unknown; " + "; ".join(CANARIES.values())


def _plain(value: object) -> str:
    """JSON-able text of a DynamoDB value; binary attributes (the zlib-compressed schema snapshots) unpacked."""
    raw = getattr(value, "value", value)
    if isinstance(raw, bytes):
        try:
            return zlib.decompress(raw).decode()
        except zlib.error:
            return raw.decode("latin-1")
    return str(value)


def _queues_text(stack: LocalStack) -> str:
    sqs = boto3.client("sqs", region_name="us-east-1")
    bodies = []
    for url in stack.resources.queues.values():
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            bodies.append(message["Body"])
    return "\n".join(bodies)


def test_given_canaries_in_failure_texts_then_no_store_log_prompt_or_message_holds_one(capfd) -> None:
    with LocalStack(StackOptions(fake_llm=True, extra_environment={"SELF_HEAL_WINDOW_SECONDS": "2"})) as stack:
        connection = "paper_comet"
        for attempt in range(2):
            post_failure(stack, connection, REASON, f"canary-{attempt}")
            stack.simulator.advance(60)
        steps.wait_until(lambda: steps.finished(stack, connection), timeout=60, what="the canary incident's workflow")
        assert stack.llm_calls >= 1, "the rules were unsure, so the LLM was prompted"
        places = {
            **{f"table {logical}": json.dumps(stack.table_items(logical), default=_plain)
               for logical in stack.resources.tables},
            "queues": _queues_text(stack),
            "prompts": json.dumps(stack.fake_llm.requests),
            "messages": json.dumps(steps.outbox(stack)),
        }
        history = json.dumps(stack.table_items("ConnectionHistoryTable"), default=str)
        assert "MissingObjectException" in history, "the failure itself was stored (redacted), so the search is real"
    captured = capfd.readouterr()
    places["logs"] = captured.out + captured.err
    leaks = {place: [s for s in SECRETS if s in text] for place, text in places.items()}
    assert {place: found for place, found in leaks.items() if found} == {}
    assert len(places) >= 8  # every table of the template, the queues, prompts, messages and logs were searched
