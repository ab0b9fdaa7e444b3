"""Request dispatch of the simulator: the Fivetran REST API under /v1 (Basic auth, the `{code, message, data}`
envelope, the collection's paths) and the simulator's own control plane under /__sim (no auth; loopback only).

Transport-free: `handle()` maps (method, path, headers, body) to a `Reply`; server.py serves it over HTTP and
`mock_transport()` plugs it into httpx without a socket.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local.simulator.core import FivetranSimulator
from local.simulator.rules import SimApiError, bad_request
from local.simulator.scenarios import SCENARIOS, ScenarioError

JSON = "application/json"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload, separators=(",", ":")).encode(), JSON, headers or {})


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return _json_reply(status, {"code": code, "message": message}, headers)


def _ok(data: Any = None, message: str = "Operation performed.") -> tuple[int, dict[str, Any]]:
    payload: dict[str, Any] = {"code": "Success", "message": message}
    if data is not None:
        payload["data"] = data
    return 200, payload


Handler = Callable[[FivetranSimulator, dict[str, str], dict[str, list[str]], Any], tuple[int, dict[str, Any]]]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(func: Handler) -> Handler:
        _ROUTES.append((method, regex, func))
        return func

    return register


def _limit(query: dict[str, list[str]]) -> int:
    raw = query.get("limit", ["100"])[0]
    if not raw.isdigit():
        raise bad_request("limit must be an integer in the range 1..1000")
    return int(raw)


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


# -- /v1: connections ---------------------------------------------------------------------------------------
@route("GET", "/v1/connections")
def _list_connections(sim, params, query, body):
    items, cursor = sim.list_connections(
        group_id=_one(query, "group_id"),
        schema=_one(query, "schema"),
        cursor=_one(query, "cursor"),
        limit=_limit(query),
    )
    return _ok({"items": items, "next_cursor": cursor})


@route("GET", "/v1/groups/{gid}/connections")
def _list_group_connections(sim, params, query, body):
    items, cursor = sim.list_connections(
        group_id=params["gid"], schema=_one(query, "schema"), cursor=_one(query, "cursor"), limit=_limit(query)
    )
    return _ok({"items": items, "next_cursor": cursor})


@route("GET", "/v1/connections/{cid}")
def _get_connection(sim, params, query, body):
    return _ok(sim.connection(params["cid"]))


@route("PATCH", "/v1/connections/{cid}")
def _patch_connection(sim, params, query, body):
    return _ok(sim.patch_connection(params["cid"], _object(body)), "Connection has been updated")


@route("POST", "/v1/connections/{cid}/sync")
def _sync(sim, params, query, body):
    force = _object(body).get("force", False)
    if not isinstance(force, bool):
        raise bad_request("force must be a boolean")
    return _ok(message=sim.sync(params["cid"], force=force))


@route("POST", "/v1/connections/{cid}/resync")
def _resync(sim, params, query, body):
    scope = _object(body).get("scope")
    return _ok(message=sim.resync(params["cid"], scope=scope))


@route("POST", "/v1/connections/{cid}/schemas/tables/resync")
def _resync_tables(sim, params, query, body):
    return _ok(message=sim.resync_tables(params["cid"], _object(body)))


@route("POST", "/v1/connections/{cid}/test")
def _setup_tests(sim, params, query, body):
    _object(body)
    return _ok(sim.run_setup_tests(params["cid"]), "Setup tests were completed")


@route("GET", "/v1/connections/{cid}/state")
def _state(sim, params, query, body):
    sim.connection(params["cid"])  # 404 first
    raise SimApiError(405, "MethodNotAllowed", "The connection is not a Function or Connector SDK connection")


@route("GET", "/v1/connections/{cid}/schemas")
def _schemas(sim, params, query, body):
    return _ok(sim.schema_config(params["cid"]))


@route("PATCH", "/v1/connections/{cid}/schemas")
def _patch_schemas(sim, params, query, body):
    return _ok(sim.patch_schema_config(params["cid"], _object(body)))


@route("PATCH", "/v1/connections/{cid}/schemas/{schema}/tables/{table}")
def _patch_table(sim, params, query, body):
    patch = {"schemas": {params["schema"]: {"tables": {params["table"]: _object(body)}}}}
    return _ok(sim.patch_schema_config(params["cid"], patch))


@route("POST", "/v1/connections/{cid}/schemas/reload")
def _reload(sim, params, query, body):
    mode = _object(body).get("exclude_mode", "PRESERVE")
    return _ok(sim.reload_schema(params["cid"], exclude_mode=mode))


@route("POST", "/v1/connections/{cid}/connect-card")
def _connect_card(sim, params, query, body):
    config = _object(body).get("connect_card_config") or {}
    if not isinstance(config, dict):
        raise bad_request("connect_card_config must be an object")
    return _ok(sim.create_connect_card(params["cid"], config))


# -- /v1: webhooks ------------------------------------------------------------------------------------------
@route("GET", "/v1/webhooks")
def _list_webhooks(sim, params, query, body):
    items, cursor = sim.webhooks.list(cursor=_one(query, "cursor"), limit=_limit(query))
    return _ok({"items": items, "nextCursor": cursor})  # the collection spells it nextCursor here


@route("POST", "/v1/webhooks/account")
def _create_account_webhook(sim, params, query, body):
    return _ok(sim.create_webhook(_object(body)), "Account webhook has been created")


@route("POST", "/v1/webhooks/group/{gid}")
def _create_group_webhook(sim, params, query, body):
    return _ok(sim.create_webhook(_object(body), group_id=params["gid"]), "Group webhook has been created")


@route("GET", "/v1/webhooks/{wid}")
def _get_webhook(sim, params, query, body):
    return _ok(sim.webhooks.get(params["wid"]))


@route("PATCH", "/v1/webhooks/{wid}")
def _patch_webhook(sim, params, query, body):
    return _ok(sim.webhooks.patch(params["wid"], _object(body)), "Webhook has been updated")


@route("DELETE", "/v1/webhooks/{wid}")
def _delete_webhook(sim, params, query, body):
    sim.webhooks.delete(params["wid"])
    return _ok(message="Webhook has been deleted")


@route("POST", "/v1/webhooks/{wid}/test")
def _test_webhook(sim, params, query, body):
    event = _object(body).get("event", "sync_start")
    if not isinstance(event, str) or not event:
        raise bad_request("event must be an event name")
    return _ok(sim.test_webhook(params["wid"], event))


# -- /__sim: control plane ----------------------------------------------------------------------------------
@route("GET", "/__sim/health")
def _health(sim, params, query, body):
    return 200, {"status": "ok", "now": sim.now().isoformat()}


@route("GET", "/__sim/scenarios")
def _scenarios(sim, params, query, body):
    items = [
        {
            "scenario": name,
            "description": cls.description,
            "options": sorted(cls.options),
            "error": cls.error.text if cls.error else None,
            "source": cls.error.source if cls.error else None,
        }
        for name, cls in SCENARIOS.items()
    ]
    return 200, {"items": items}


@route("GET", "/__sim/connections")
def _sim_connections(sim, params, query, body):
    return 200, {"items": [{**sim.connection(cid), "scenario": sim.scenario_of(cid)} for cid in sim.connection_ids]}


@route("POST", "/__sim/connections/{cid}/inject")
def _inject(sim, params, query, body):
    body = _object(body)
    name = body.get("scenario")
    if not isinstance(name, str):
        raise bad_request("body needs a scenario name")
    options = body.get("options") or {k: v for k, v in body.items() if k not in ("scenario", "options")}
    return 200, {"injected": sim.inject(params["cid"], name, **options)}


@route("POST", "/__sim/connections/{cid}/complete_reauth")
def _complete_reauth(sim, params, query, body):
    return 200, {"connection": sim.complete_reauth(params["cid"])}


@route("POST", "/__sim/connections/{cid}/clear")
def _clear(sim, params, query, body):
    return 200, {"connection": sim.clear(params["cid"])}


@route("POST", "/__sim/advance")
def _advance(sim, params, query, body):
    seconds = _object(body).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise bad_request("seconds must be a non-negative number")
    sim.advance(float(seconds))
    return 200, {"now": sim.now().isoformat()}


@route("GET", "/__sim/faults")
def _faults(sim, params, query, body):
    return 200, sim.faults.describe()


@route("POST", "/__sim/faults")
def _add_fault(sim, params, query, body):
    body = dict(_object(body))
    stuck = body.pop("sync_stop_failure", None)
    if stuck is not None:
        if not isinstance(stuck, list) or not all(isinstance(c, str) for c in stuck):
            raise bad_request("sync_stop_failure must be a list of connection ids")
        for cid in stuck:
            sim.connection(cid)
        sim.faults.sync_stop_failure.update(stuck)
    kind = body.pop("kind", None)
    if kind is not None:
        sim.faults.add(kind, **body)
    elif body:
        raise bad_request("a fault needs a kind: rate_limit, server_error or slow")
    return 200, sim.faults.describe()


@route("DELETE", "/__sim/faults")
def _reset_faults(sim, params, query, body):
    sim.faults.reset()
    return 200, sim.faults.describe()


@route("GET", "/__sim/write_calls")
def _write_calls(sim, params, query, body):
    return 200, {"items": sim.write_calls(_one(query, "connection_id"))}


@route("GET", "/__sim/webhooks/deliveries")
def _deliveries(sim, params, query, body):
    return 200, {"items": [d.summary() for d in sim.deliveries]}


@route("POST", "/__sim/webhooks/flush")
def _flush(sim, params, query, body):
    return 200, {"delivered": [d.summary() for d in sim.flush_webhooks()]}


@route("POST", "/__sim/webhooks/redeliver")
def _redeliver(sim, params, query, body):
    queued = sim.sender.redeliver_failed()
    return 200, {"queued": len(queued)}


@route("POST", "/__sim/webhooks/configure")
def _configure(sim, params, query, body):
    body = _object(body)
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_request("url must be an http(s) URL")
    sim.configure_webhook(url, body.get("secret"), body.get("events"))
    return 200, {"configured": url}


@route("GET", "/__sim/status/summary.json")
def _status_summary(sim, params, query, body):
    return 200, sim.status.summary()


@route("POST", "/__sim/status")
def _set_status(sim, params, query, body):
    body = _object(body)
    indicator = body.get("indicator", "major")
    if indicator == "none":
        sim.status.clear()
    else:
        options = {k: body[k] for k in ("components", "incident", "incident_status") if k in body}
        sim.status.set_outage(indicator, **options)
    return 200, sim.status.summary()


@route("DELETE", "/__sim/status")
def _clear_status(sim, params, query, body):
    sim.status.clear()
    return 200, sim.status.summary()


# -- dispatch -----------------------------------------------------------------------------------------------
def _authorised(sim: FivetranSimulator, header: str | None) -> bool:
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


def _fault_reply(sim: FivetranSimulator, method: str, path: str) -> Reply | None:
    fault = sim.faults.take(method, path)
    if fault is None:
        return None
    if fault.kind == "slow":
        time.sleep(fault.seconds)
        return None
    if fault.kind == "rate_limit":
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        return _error(429, "TooManyRequests", "Too many requests (simulated rate limit)", headers)
    return _error(fault.status, "InternalServerError", "Internal server error (simulated)")


def _accepts_json(accept: str | None) -> bool:
    return not accept or "application/json" in accept or "*/*" in accept


def handle(sim: FivetranSimulator, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Reply:
    method = method.upper()
    parts = urlsplit(raw_path)
    path = parts.path.replace("/v1/connectors", "/v1/connections", 1)  # legacy spelling
    query = parse_qs(parts.query)
    lower = {k.lower(): v for k, v in headers.items()}
    is_api = path.startswith("/v1/")
    if path == "/__sim/log" and method == "GET":
        rows = sim.log_rows(_one(query, "connection_id"))
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
        return Reply(200, text.encode(), "application/x-ndjson")
    reply, parsed, params = _dispatch(sim, method, path, query, lower, body, is_api)
    if is_api and method != "GET":
        sim.record_write(method, path, parsed, reply.status, params.get("cid"))
    return reply


def _dispatch(
    sim: FivetranSimulator,
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
            return _error(400, "InvalidInput", "request body is not valid JSON"), body.decode(errors="replace"), params
    matched = None
    for route_method, regex, func in _ROUTES:
        found = regex.match(path)
        if found:
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            if route_method == method:
                matched = func
                break
    if is_api:
        if not _authorised(sim, headers.get("authorization")):
            return _error(401, "AuthFailed", "Authentication failed: check the API key and secret"), parsed, params
        if not _accepts_json(headers.get("accept")):
            return _error(406, "NotAcceptable", "Use Accept: application/json;version=2"), parsed, params
        faulted = _fault_reply(sim, method, path)
        if faulted is not None:
            return faulted, parsed, params
    if matched is None:
        if params:
            return _error(405, "MethodNotAllowed", f"{method} is not supported on {path}"), parsed, params
        return _error(404, "NotFound", f"No endpoint {method} {path}"), parsed, params
    try:
        status, payload = matched(sim, params, query, parsed if parsed is not None else {})
    except SimApiError as exc:
        return _error(exc.status, exc.code, exc.message), parsed, params
    except (ScenarioError, ValueError, TypeError) as exc:
        return _error(400, "InvalidInput", str(exc)), parsed, params
    return _json_reply(status, payload), parsed, params


def mock_transport(sim: FivetranSimulator) -> Any:
    import httpx

    def respond(request: httpx.Request) -> httpx.Response:
        reply = handle(sim, request.method, request.url.raw_path.decode(), dict(request.headers), request.content)
        return httpx.Response(
            reply.status, content=reply.body, headers={"Content-Type": reply.content_type, **reply.headers}
        )

    return httpx.MockTransport(respond)
