"""Signed webhooks in the real envelope, delivered without blocking the API; LOG rows and write calls."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time

import pytest

from local.simulator import SIGNATURE_HEADER, FivetranSimulator
from local.simulator.options import FAST

from .conftest import HTTP_RECEIVERS, Receiver

SECRET = "whsec-test"
LIVE_ORDER = [
    "event",
    "created",
    "connector_type",
    "connector_id",
    "connector_name",
    "sync_id",
    "destination_group_id",
    "data",
]  # key order of the live capture (FACTS.md 1.3)


def test_given_configured_receiver_when_syncs_run_then_signed_real_envelopes_arrive(sim, receiver) -> None:
    sim.configure_webhook(receiver.url, SECRET)
    sim.advance(61 + 300)
    delivered = sim.flush_webhooks()
    assert delivered and all(d.ok for d in delivered)
    assert len(receiver.received) == len(delivered)
    for body, headers in receiver.received:
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER.lower()] == expected
        assert not body.endswith(b"\n") and b": " not in body  # compact, as sent by Fivetran
        payload = json.loads(body)
        assert list(payload) == [k for k in LIVE_ORDER if k in payload]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", payload["created"])
    events = [json.loads(b) for b, _ in receiver.received]
    start = next(e for e in events if e["event"] == "sync_start" and e["connector_id"] == "vivid_lantern")
    end = next(e for e in events if e["event"] == "sync_end" and e["connector_id"] == "vivid_lantern")
    assert "data" not in start and end["data"] == {"status": "SUCCESSFUL"}
    assert start["sync_id"] == end["sync_id"] and end["connector_type"] == "postgres"
    assert end["destination_group_id"] == "warehouse_snowflake" and end["connector_name"] == "postgres_prod"


def test_given_unsigned_config_when_delivered_then_no_signature_header(sim, receiver) -> None:
    sim.configure_webhook(receiver.url)
    sim.advance(61)
    sim.flush_webhooks()
    assert receiver.received and SIGNATURE_HEADER.lower() not in receiver.received[0][1]


def test_given_slow_receiver_when_api_changes_connection_then_request_does_not_wait(api, served) -> None:
    release = threading.Event()

    def slow_target(body: bytes, headers: dict[str, str]) -> int:
        release.wait(5)
        return 200

    served.configure_webhook(slow_target, SECRET)
    served.sender.start_worker()
    started = time.perf_counter()
    response = api.patch("/v1/connections/quiet_harbor", json={"paused": True})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and elapsed < 1.0
    release.set()
    served.flush_webhooks()
    assert [d.event for d in served.deliveries] == ["pause_connector"]


def test_given_api_actions_when_made_then_matching_connector_events_are_sent(api, served, receiver) -> None:
    served.configure_webhook(receiver.url, SECRET)
    api.patch("/v1/connections/quiet_harbor", json={"paused": True})
    api.patch("/v1/connections/quiet_harbor", json={"paused": False})
    api.patch("/v1/connections/quiet_harbor", json={"sync_frequency": 120})
    api.post("/v1/connections/copper_kite/sync", json={"force": False})
    api.post("/v1/connections/silver_meadow/schemas/tables/resync", json={"hubspot": ["contact"]})
    api.post("/v1/connections/paper_comet/resync", json={})
    served.flush_webhooks()
    seen = [(json.loads(b)["event"], json.loads(b)["connector_id"]) for b, _ in receiver.received]
    for expected in [
        ("pause_connector", "quiet_harbor"),
        ("resume_connector", "quiet_harbor"),
        ("edit_connector", "quiet_harbor"),
        ("force_update_connector", "copper_kite"),
        ("resync_table", "silver_meadow"),
        ("resync_connector", "paper_comet"),
        ("sync_start", "copper_kite"),
    ]:
        assert expected in seen


@pytest.mark.parametrize("sim", [HTTP_RECEIVERS], indirect=True)
def test_given_group_and_inactive_webhooks_when_syncs_run_then_only_matching_ones_receive(api, served) -> None:
    bigquery, inactive = Receiver(), Receiver()
    try:
        api.post(
            "/v1/webhooks/group/warehouse_bigquery", json={"url": bigquery.url, "events": ["sync_end"], "secret": "g"}
        )
        api.post("/v1/webhooks/account", json={"url": inactive.url, "events": ["sync_end"], "active": False})
        served.advance(3600)
        served.flush_webhooks()
        events = [json.loads(b) for b, _ in bigquery.received]
        assert events[0]["connector_id"] == "_connector_1"  # the test delivery made on creation
        assert {e["destination_group_id"] for e in events[1:]} == {"warehouse_bigquery"} and inactive.received == []
        listed = api.get("/v1/webhooks").json()["data"]
        assert [w["type"] for w in listed["items"]] == ["group", "account"] and listed["nextCursor"] is None
        assert all(w["secret"] in (None, "******") for w in listed["items"])
    finally:
        bigquery.close()
        inactive.close()


@pytest.mark.parametrize("sim", [HTTP_RECEIVERS], indirect=True)
def test_given_webhook_test_call_when_made_then_dummy_connection_delivered_synchronously(api, served, receiver) -> None:
    hook = api.post("/v1/webhooks/account", json={"url": receiver.url, "events": ["sync_end"], "secret": SECRET})
    result = api.post(f"/v1/webhooks/{hook.json()['data']['id']}/test", json={"event": "sync_end"}).json()["data"]
    assert result["succeed"] is True and result["status"] == 200
    body, headers = receiver.received[-1]
    assert json.loads(body) == {
        "event": "sync_end",
        "created": json.loads(body)["created"],
        "connector_type": "_connector_type",
        "connector_id": "_connector_1",
        "destination_group_id": "_destination_1",
    }
    assert headers[SIGNATURE_HEADER.lower()] == hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_given_broken_receiver_when_delivering_then_failure_recorded_and_simulator_continues(sim) -> None:
    failing = Receiver(status=500)
    try:
        sim.configure_webhook(failing.url, SECRET)
        sim.advance(61)
        delivered = sim.flush_webhooks()
        assert delivered and all(d.status == 500 and not d.ok for d in delivered)
        sim.configure_webhook("http://127.0.0.1:9/unreachable", SECRET)
        sim.advance(600)
        assert any(d.error for d in sim.flush_webhooks())
    finally:
        failing.close()


def test_given_syncs_when_log_requested_then_platform_connector_rows_as_json_lines(api, served) -> None:
    served.inject("amber_falcon", "oauth_expired")
    served.advance(3600)
    response = api.get("/__sim/log", params={"connection_id": "amber_falcon"})
    assert response.headers["content-type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert rows and {r["connection_id"] for r in rows} == {"amber_falcon"}
    assert all(
        list(r) == ["id", "time_stamp", "connection_id", "event", "message_event", "message_data", "sync_id"]
        for r in rows
    )
    severe = [r for r in rows if r["event"] == "SEVERE"]
    assert json.loads(severe[0]["message_data"])["taskType"] == "reconnect"
    assert len({r["id"] for r in served.log_rows()}) == len(served.log_rows())
    assert rows == served.log_rows("amber_falcon")


def test_given_mixed_calls_when_accounted_then_only_writes_recorded_with_body_and_time(api, served) -> None:
    api.get("/v1/connections")
    api.get("/v1/connections/vivid_lantern")
    api.post("/v1/connections/vivid_lantern/sync", json={"force": True})
    api.patch("/v1/connections/vivid_lantern", json={"sync_frequency": 30})
    api.post("/v1/connections/nope/sync", json={})
    calls = served.write_calls()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/v1/connections/vivid_lantern/sync", 200),
        ("PATCH", "/v1/connections/vivid_lantern", 200),
        ("POST", "/v1/connections/nope/sync", 404),
    ]
    assert calls[0]["body"] == {"force": True} and calls[0]["time"].endswith("Z")
    assert len(served.write_calls("vivid_lantern")) == 2
    assert api.get("/__sim/write_calls", params={"connection_id": "nope"}).json()["items"][0]["status"] == 404


def test_given_in_process_target_when_configured_then_same_signed_body(sim: FivetranSimulator) -> None:
    got: list[tuple[bytes, dict[str, str]]] = []
    sim.configure_webhook(lambda body, headers: got.append((body, headers)) or 204, SECRET)
    sim.advance(61)
    sim.flush_webhooks()
    body, headers = got[0]
    assert headers[SIGNATURE_HEADER] == hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sim.deliveries[0].status == 204


def test_given_failure_delivery_when_parsed_by_core_model_then_failure_with_task_fields(sim) -> None:
    from fivetran_recovery.models.webhook import WebhookEvent

    sim.configure_webhook(lambda body, headers: 200, SECRET)
    sim.inject("amber_falcon", "oauth_expired")
    sim.advance(600)
    delivery = next(
        d for d in sim.flush_webhooks() if d.event == "sync_end" and d.payload["connector_id"] == "amber_falcon"
    )
    event = WebhookEvent.model_validate_json(delivery.body)
    assert event.connection_id == "amber_falcon" and event.is_failure
    assert event.sync_end.task_type == "reconnect" and "expired access/refresh token" in event.sync_end.reason
    assert event.destination_group_id == "warehouse_snowflake" and event.connector_type == "salesforce"


def test_given_failed_delivery_when_redelivered_then_same_bytes_and_signature_arrive_again(sim) -> None:
    answers = iter([500, 200, 200, 200])
    got: list[tuple[bytes, dict[str, str]]] = []

    def flaky(body: bytes, headers: dict[str, str]) -> int:
        got.append((body, headers))
        return next(answers)

    sim.configure_webhook(flaky, SECRET, events=["sync_start"])
    sim.advance(61)
    first = sim.flush_webhooks()
    assert [d.status for d in first] == [500]
    assert len(sim.sender.redeliver_failed()) == 1
    again = sim.flush_webhooks()
    assert [(d.status, d.attempt) for d in again] == [(200, 2)]
    assert got[0] == got[1]  # identical body and signature: the receiver must treat it as one event
    assert sim.sender.redeliver_failed() == []


def test_given_verification_on_create_when_receiver_unreachable_then_400_and_not_created(receiver) -> None:
    import pytest

    from local.simulator import SimApiError

    strict = FivetranSimulator(fidelity=FAST)
    with pytest.raises(SimApiError, match="HTTPS"):
        strict.create_webhook({"url": receiver.url, "events": ["sync_end"]})
    sim = FivetranSimulator(fidelity=HTTP_RECEIVERS)
    with pytest.raises(SimApiError) as caught:
        sim.create_webhook({"url": "http://127.0.0.1:9/nothing", "events": ["sync_end"]})
    assert caught.value.status == 400 and "not created" in caught.value.message
    assert sim.webhooks.list()[0] == []
    created = sim.create_webhook({"url": receiver.url, "events": ["sync_end"], "secret": SECRET})
    body, headers = receiver.received[0]
    assert json.loads(body)["connector_id"] == "_connector_1" and created["id"]
    assert headers[SIGNATURE_HEADER.lower()] == hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sim.create_webhook({"url": "http://127.0.0.1:9/x", "events": ["sync_end"], "active": False})["id"]
