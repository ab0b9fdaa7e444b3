"""Property: arbitrary bodies, headers, encodings and sizes get a 2xx or 4xx by the rules, never an exception,
and nothing that failed verification or validation reaches the queue."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fivetran_recovery.ingest import (
    IngestWebhook,
    InMemoryFifoQueue,
    StaticWebhookSecretProvider,
    handle_api_gateway_event,
    sign,
)
from fivetran_recovery.models.webhook import KNOWN_EVENT_TYPES, WebhookEvent

SECRET = "property-secret"
MAX_BYTES = 4096

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
timestamps = st.sampled_from(["2026-05-22T00:06:08.638Z", "2026-05-22T00:06:08", "1779408368", "yesterday", ""])
event_types = st.sampled_from(sorted(KNOWN_EVENT_TYPES)) | st.text(max_size=12)
envelopes = st.fixed_dictionaries(
    {"event": event_types, "created": timestamps},
    optional={
        "connector_id": st.sampled_from(["_connector_1", "assimilate_seem"]) | st.text(max_size=20) | st.integers(),
        "connection_id": st.text(max_size=20),
        "sync_id": st.uuids().map(str) | st.none(),
        "destination_group_id": st.text(max_size=12) | st.none(),
        "connector_name": st.text(max_size=12),
        "data": st.dictionaries(
            st.sampled_from(["status", "reason", "taskType", "rescheduledAt", "dbtJobId", "result", "x"]),
            json_values,
            max_size=4,
        )
        | json_values,
    },
)
bodies = st.one_of(
    envelopes.map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(MAX_BYTES - 2, MAX_BYTES + 64).map(lambda n: b'{"event":"sync_end","x":"' + b"a" * n + b'"}'),
)
signature_modes = st.sampled_from(["right", "right_upper", "padded", "wrong", "missing", "garbage", "other_secret"])
header_name_case = st.sampled_from(["x-fivetran-signature-256", "X-Fivetran-Signature-256"])
extra_headers = st.dictionaries(st.text(max_size=10), st.text(max_size=20) | st.integers(), max_size=3)


def signature_for(mode: str, raw: bytes, garbage: str) -> str | None:
    return {
        "right": sign(SECRET, raw),
        "right_upper": sign(SECRET, raw).upper(),
        "padded": f" {sign(SECRET, raw)} ",
        "wrong": sign(SECRET, raw + b"x"),
        "missing": None,
        "garbage": garbage,
        "other_secret": sign("other", raw),
    }[mode]


def build_event(raw: bytes, mode: str, name: str, garbage: str, extra: dict, as_base64: bool) -> dict[str, Any]:
    headers: dict[str, Any] = dict(extra)
    signature = signature_for(mode, raw, garbage)
    if signature is not None:
        headers[name] = signature
    if as_base64:
        body: Any = base64.b64encode(raw).decode()
    else:
        body = raw.decode("utf-8", "surrogateescape")  # non-UTF-8 bytes become lone surrogates, as a bad proxy might
    return {"version": "2.0", "headers": headers, "body": body, "isBase64Encoded": as_base64}


def is_valid_event(raw: bytes) -> bool:
    try:
        payload = json.loads(raw.decode("utf-8"))
        return isinstance(payload, dict) and WebhookEvent.model_validate(payload) is not None
    except Exception:
        return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=bodies,
    mode=signature_modes,
    name=header_name_case,
    garbage=st.text(max_size=70),
    extra=extra_headers,
    as_base64=st.booleans(),
)
def test_given_arbitrary_request_when_ingested_then_answer_follows_rules_and_queue_stays_clean(
    raw: bytes, mode: str, name: str, garbage: str, extra: dict, as_base64: bool
) -> None:
    queue = InMemoryFifoQueue()
    ingest = IngestWebhook(secrets=StaticWebhookSecretProvider(SECRET), queue=queue, max_body_bytes=MAX_BYTES)
    event = build_event(raw, mode, name, garbage, extra, as_base64)
    response = handle_api_gateway_event(event, ingest)
    status, answer = response["statusCode"], json.loads(response["body"])

    assert 200 <= status < 300 or 400 <= status < 500, answer
    transport_ok = as_base64 or _is_utf8(raw)
    signed = mode in ("right", "right_upper", "padded")
    if not transport_ok:
        assert (status, answer["error"]) == (400, "invalid_body_encoding")
    elif len(raw) > MAX_BYTES:
        assert status == 413
    elif not signed and not (mode == "garbage" and garbage.strip().lower() == sign(SECRET, raw)):
        assert status == 401
    elif status == 200:
        assert is_valid_event(raw)
    else:
        assert status in (400, 413)

    if status == 200 and answer["status"] == "accepted":
        [message] = queue.messages
        assert message.deduplication_id == answer["event_key"]
        assert WebhookEvent.model_validate_json(message.body).event_key == answer["event_key"]
    else:
        assert queue.messages == []
    assert SECRET not in response["body"]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
