from __future__ import annotations

import base64
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

import local.gateway as gateway_module
from local.gateway import LocalGateway, Route, build_http_event, response_from_result


def echo(event, context):
    """Returns what it received, so tests can look at the event the gateway built."""
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {
                "event": event,
                "function_name": context.function_name,
                "remaining": context.get_remaining_time_in_millis(),
            }
        ),
    }


def test_given_request_when_event_built_then_payload_v2_shape():
    moment = datetime(2026, 5, 22, 10, 2, 19, 712000, tzinfo=UTC)
    event = build_http_event(
        "post",
        "/approvals/a%201/decision?x=1&x=2&y=%C3%A9&empty=",
        [
            ("Content-Type", "application/json"),
            ("X-Multi", "a"),
            ("x-multi", "b"),
            ("Cookie", "s=1; t=2"),
            ("User-Agent", "curl/8"),
        ],
        b'{"ok": true}',
        route_key="POST /approvals/{approval_id}/decision",
        path_parameters={"approval_id": "a 1"},
        now=moment,
    )
    assert event["version"] == "2.0" and event["routeKey"] == "POST /approvals/{approval_id}/decision"
    assert event["rawPath"] == "/approvals/a%201/decision" and event["rawQueryString"] == "x=1&x=2&y=%C3%A9&empty="
    assert event["headers"] == {"content-type": "application/json", "x-multi": "a,b", "user-agent": "curl/8"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"x": "1,2", "y": "é", "empty": ""}
    assert event["pathParameters"] == {"approval_id": "a 1"}
    assert event["body"] == '{"ok": true}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/approvals/a%201/decision",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert context["routeKey"] == event["routeKey"] and context["stage"] == "$default"
    assert context["timeEpoch"] == 1779444139712 and context["time"] == "22/May/2026:10:02:19 +0000"
    assert {"accountId", "apiId", "domainName", "requestId"} <= context.keys()


def test_given_binary_or_empty_body_when_event_built_then_base64_or_absent():
    binary = build_http_event("POST", "/x", {}, b"\xff\x00\xfe")
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\xff\x00\xfe"
    empty = build_http_event("GET", "/x", {}, b"")
    assert "body" not in empty and "queryStringParameters" not in empty and "pathParameters" not in empty
    assert "cookies" not in empty


def test_given_templates_when_compiled_then_params_matched_and_decoded():
    route = Route.compile("get", "/approvals/{approval_id}/decision", echo)
    assert route.route_key == "GET /approvals/{approval_id}/decision"
    assert route.match("/approvals/ab%2Fc/decision") == {"approval_id": "ab/c"}
    assert route.match("/approvals/a/b/decision") is None and route.match("/approvals//decision") is None
    greedy = Route.compile("ANY", "/static/{proxy+}", echo)
    assert greedy.match("/static/css/site.css") == {"proxy": "css/site.css"}
    with pytest.raises(ValueError):
        Route.compile("GET", "no-slash", echo)
    with pytest.raises(ValueError):
        Route.compile("GET", "/{rest+}/tail", echo)


def test_given_routes_when_dispatched_then_404_405_and_route_event():
    gateway = LocalGateway({("POST", "/approvals/{approval_id}/decision"): echo, ("GET", "/health"): echo})
    missing = gateway.dispatch("GET", "/nope", {}, b"")
    assert (missing.status, json.loads(missing.body)) == (404, {"message": "Not Found"})
    wrong = gateway.dispatch("GET", "/approvals/a1/decision", {}, b"")
    assert (wrong.status, json.loads(wrong.body)) == (405, {"message": "Method Not Allowed"})
    assert ("allow", "POST") in wrong.headers
    ok = gateway.dispatch("POST", "/approvals/a1/decision?v=2", {"X-Id": "7"}, b"{}")
    payload = json.loads(ok.body)
    assert ok.status == 200 and payload["function_name"].startswith("local-") and payload["remaining"] > 0
    assert payload["event"]["pathParameters"] == {"approval_id": "a1"}
    assert payload["event"]["routeKey"] == "POST /approvals/{approval_id}/decision"
    assert payload["event"]["headers"]["x-id"] == "7" and payload["event"]["queryStringParameters"] == {"v": "2"}


def test_given_handler_results_when_translated_then_like_api_gateway():
    plain = response_from_result({"ok": True})
    assert (plain.status, json.loads(plain.body)) == (200, {"ok": True})
    assert ("content-type", "application/json") in plain.headers
    assert response_from_result("hello").body == b"hello"
    full = response_from_result(
        {
            "statusCode": 201,
            "headers": {"X-A": "1"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert full.status == 201 and full.body == b"\x00\x01"
    assert ("X-A", "1") in full.headers and full.headers.count(("set-cookie", "b=2")) == 1
    assert response_from_result({"statusCode": 204}).body == b""


def test_given_handler_raises_when_dispatched_then_500():
    def broken(event, context):
        raise RuntimeError("secret detail")

    response = LocalGateway({("GET", "/x"): broken}).dispatch("GET", "/x", {}, b"")
    assert response.status == 500 and b"secret detail" not in response.body


def test_given_started_gateway_when_called_over_http_then_round_trips():
    def binary(event, context):
        raw = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64.b64encode(raw[::-1]).decode(),
            "isBase64Encoded": True,
            "cookies": ["c=1"],
        }

    with LocalGateway({("POST", "/echo"): echo, ("PUT", "/bin"): binary}) as gateway:
        url = gateway.base_url
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=gateway.base_url) as client:
            response = client.post("/echo?a=1", content=b'{"x":1}', headers={"X-Fivetran-Signature-256": "AB"})
            event = response.json()["event"]
            assert response.status_code == 200 and event["body"] == '{"x":1}'
            assert event["headers"]["x-fivetran-signature-256"] == "AB"
            assert event["queryStringParameters"] == {"a": "1"}
            reversed_ = client.put("/bin", content=b"\x00\x01\xff")
            assert reversed_.content == b"\xff\x01\x00" and reversed_.cookies["c"] == "1"
            assert client.get("/missing").status_code == 404
            assert client.get("/echo").status_code == 405
            chunked = client.post("/echo", content=iter([b'{"chunk', b'ed":1}']))
            assert chunked.json()["event"]["body"] == '{"chunked":1}'
    with pytest.raises(httpx.ConnectError):  # stopped: nothing listens any more
        httpx.get(f"{url}/echo", timeout=1)


def test_given_body_over_api_gateway_limit_when_posted_then_413(monkeypatch):
    monkeypatch.setattr(gateway_module, "MAX_PAYLOAD_BYTES", 10)
    with LocalGateway({("POST", "/echo"): echo}) as gateway:
        response = httpx.post(f"{gateway.base_url}/echo", content=b"x" * 11)
    assert response.status_code == 413


def test_given_concurrent_requests_when_same_handler_then_invocations_do_not_overlap():
    active, peak, lock = [0], [0], threading.Lock()

    def slow(event, context):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.01)
        with lock:
            active[0] -= 1
        return {"statusCode": 200, "body": "ok"}

    with (
        LocalGateway({("GET", "/slow"): slow}) as gateway,
        httpx.Client(base_url=gateway.base_url) as client,
        ThreadPoolExecutor(4) as pool,
    ):
        statuses = list(pool.map(lambda _: client.get("/slow").status_code, range(8)))
    assert statuses == [200] * 8 and peak[0] == 1


def test_given_port_zero_when_started_then_free_loopback_port_and_stop_releases_it():
    gateway = LocalGateway({("GET", "/x"): echo})
    url = gateway.start()
    port = int(url.rsplit(":", 1)[1])
    gateway.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
