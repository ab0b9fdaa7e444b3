"""Request dispatch of the simulator: the Fivetran REST API under /v1 (Basic auth, the `{code, message, data}`
envelope, the definitions' paths) and the simulator's own control plane under /__sim (no auth; loopback only).

Transport-free: `handle()` maps (method, path, headers, body) to a `Reply`; server.py serves it over HTTP and
`mock_transport()` plugs it into httpx without a socket. Routes live in routes_api.py and routes_control.py.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import local.simulator.latency as latency
import local.simulator.routes_api  # importing the route modules registers their routes (/v1 and /__sim)
import local.simulator.routes_control  # noqa: F401
from local.simulator.core import SimulatorCore
from local.simulator.quotas import QuotaExceeded
from local.simulator.routing import ROUTES, Reply, error, json_reply, one
from local.simulator.rules import SimApiError
from local.simulator.scenarios import ScenarioError


# -- dispatch -----------------------------------------------------------------------------------------------
def _authorised(sim: SimulatorCore, header: str | None) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    key, _, secret = decoded.partition(":")
    return hmac.compare_digest(key.encode(), sim.api_key.encode()) and hmac.compare_digest(
        secret.encode(), sim.api_secret.encode()
    )


def _fault_reply(sim: SimulatorCore, method: str, path: str) -> Reply | None:
    fault = sim.faults.take(method, path)
    if fault is None:
        return None
    if fault.kind == "slow":
        time.sleep(fault.seconds)
        return None
    if fault.kind == "rate_limit":
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        return error(429, "TooManyRequests", "Too many requests (simulated rate limit)", headers)
    return error(fault.status, "InternalServerError", "Internal server error (simulated)")


def _accepts_json(accept: str | None) -> bool:
    return not accept or "application/json" in accept or "*/*" in accept


def handle(sim: SimulatorCore, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Reply:
    method = method.upper()
    parts = urlsplit(raw_path)
    path = parts.path.replace("/v1/connectors", "/v1/connections", 1)  # legacy spelling
    query = parse_qs(parts.query)
    lower = {k.lower(): v for k, v in headers.items()}
    is_api = path.startswith("/v1/")
    if path == "/__sim/log" and method == "GET":
        rows = sim.log_rows(one(query, "connection_id"))
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
        return Reply(200, text.encode(), "application/x-ndjson")
    reply, parsed, params = _dispatch(sim, method, path, query, lower, body, is_api)
    if is_api and method != "GET":
        sim.record_write(method, path, parsed, reply.status, params.get("cid"))
    return reply


def _dispatch(
    sim: SimulatorCore,
    method: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
    is_api: bool,
) -> tuple[Reply, Any, dict[str, str]]:
    parsed: Any = None
    params: dict[str, str] = {}
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return error(400, "InvalidInput", "request body is not valid JSON"), body.decode(errors="replace"), params
    matched, template = None, ""
    for route_method, regex, func, pattern in ROUTES:
        found = regex.match(path)
        if found:
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            if route_method == method:
                matched, template = func, pattern
                break
    rate: dict[str, str] = {}
    if is_api:
        if not _authorised(sim, headers.get("authorization")):
            return error(401, "AuthFailed", "Authentication failed: check the API key and secret"), parsed, params
        if not _accepts_json(headers.get("accept")):
            return error(406, "NotAcceptable", "Use Accept: application/json;version=2"), parsed, params
        try:
            rate = sim.quota.take(latency.QUOTA_CLASSES.get((method, template), ()))
        except QuotaExceeded as exc:
            headers_429 = {**sim.quota.headers(), "Retry-After": str(exc.retry_after)}
            return error(429, "TooManyRequests", str(exc), headers_429), parsed, params
        faulted = _fault_reply(sim, method, path)
        if faulted is not None:
            return faulted, parsed, params
    if matched is None:
        if params:
            return error(405, "MethodNotAllowed", f"{method} is not supported on {path}"), parsed, params
        return error(404, "NotFound", f"No endpoint {method} {path}"), parsed, params
    timing = latency.plan(sim, method, template, params, parsed) if is_api else latency.Plan()
    try:
        try:
            status, payload = matched(sim, params, query, parsed if parsed is not None else {})
        finally:
            time.sleep(sim.fidelity.real_seconds(timing.seconds))  # outside the simulator's lock
    except SimApiError as exc:
        return error(exc.status, exc.code, exc.message, rate), parsed, params
    except (ScenarioError, ValueError, TypeError) as exc:
        return error(400, "InvalidInput", str(exc), rate), parsed, params
    if timing.status is not None:  # it acted, and still answers an error (documented for the pause)
        return error(timing.status, "InternalServerError", timing.message, rate), parsed, params
    return json_reply(status, payload, rate), parsed, params


def http_date(sim: SimulatorCore) -> str:
    """The Date header of an answer, on the simulator's clock (as a real server's is on its own)."""
    return format_datetime(sim.now().astimezone(UTC), usegmt=True)


def mock_transport(sim: SimulatorCore) -> Any:
    import httpx

    def respond(request: httpx.Request) -> httpx.Response:
        reply = handle(sim, request.method, request.url.raw_path.decode(), dict(request.headers), request.content)
        headers = {"Content-Type": reply.content_type, "Date": http_date(sim), **reply.headers}
        return httpx.Response(reply.status, content=reply.body, headers=headers)

    return httpx.MockTransport(respond)
