"""Every request the client can make, and every answer the simulator gives, against Fivetran's own endpoint
definitions (tests/data/fivetran/openapi/, copied from ../shared/fivetran/openapi/ with their source).

The client is driven through each public method against the strict simulator in process; a recording transport
keeps each request and answer. A request no definition knows fails, so does a query parameter or body field the
definition does not name, a missing required field, a wrong type or an enum value outside the list.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fivetran_recovery.fivetran import FivetranClient
from local.simulator import FivetranSimulator
from local.simulator.options import FAST
from local.simulator.routing import ROUTES

from .openapi_check import check, check_response, find, load

ENDPOINTS = load()
# Routes the simulator serves that the current definitions do not list, each with why it exists.
UNDEFINED_ROUTES = {
    ("POST", "/v1/connections/{cid}/force"): "legacy sync alias still called by go-fivetran and ASTRO (FACTS.md 2.2)",
}
# Client methods that make no request of their own.
NO_REQUEST = {"close", "server_time"}  # no request of their own: server_time reads the last answer's Date header


class Recorder(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[httpx.Request, httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.calls.append((request, response))
        return response


@pytest.fixture
def walk() -> tuple[FivetranSimulator, FivetranClient, Recorder]:
    sim = FivetranSimulator(fidelity=FAST)
    recorder = Recorder(sim.transport())
    client = FivetranClient(
        api_key=sim.api_key,
        api_secret=sim.api_secret,
        base_url="http://simulator.invalid/v1",
        http_client=httpx.Client(transport=recorder),
        sleep=sim.advance,
        page_size=3,  # several pages
    )
    yield sim, client, recorder
    sim.stop()


def _methods(client: FivetranClient, sim: FivetranSimulator) -> dict[str, Callable[[], Any]]:
    hook: dict[str, Any] = {}
    url = "https://hooks.example.invalid/fivetran"
    orders = {"public": ["orders"]}

    def created() -> Any:
        hook["id"] = client.create_account_webhook(url, ["sync_end"], secret="s", active=False).id
        return hook["id"]

    return {
        "list_connections": lambda: client.list_connections(),
        "iter_connections": lambda: list(client.iter_connections("warehouse_snowflake")),
        "get_connection": lambda: client.get_connection("vivid_lantern"),
        "pause": lambda: client.pause("quiet_harbor"),
        "resume": lambda: client.resume("quiet_harbor"),
        "update_connection": lambda: client.update_connection("quiet_harbor", data_delay_sensitivity="HIGH"),
        "update_schedule": lambda: client.update_schedule("paper_comet", sync_frequency=1440, daily_sync_time="04:00"),
        "wait_for_sync_state": lambda: client.wait_for_sync_state("lunar_pebble", "scheduled", timeout=10),
        "update_with_pause": lambda: client.update_with_pause("lunar_pebble", {"sync_frequency": 15}),
        "with_pause": lambda: client.with_pause("lunar_pebble", lambda: None),
        "sync_now": lambda: client.sync_now("copper_kite", force=True),
        "resync": lambda: client.resync("vivid_lantern", scope=orders),
        "resync_tables": lambda: client.resync_tables("quiet_harbor", {"billing": ["invoices"]}),
        "run_setup_tests": lambda: client.run_setup_tests("amber_falcon", trust_certificates=True),
        "iter_sync_history": lambda: list(
            client.iter_sync_history("lunar_pebble", start_time=sim.now() - timedelta(days=1), end_time=sim.now())
        ),
        "get_schema_config": lambda: client.get_schema_config("vivid_lantern"),
        "get_table_columns": lambda: client.get_table_columns("vivid_lantern", "public", "orders"),
        "primary_keys": lambda: client.primary_keys("vivid_lantern", "public", "customers"),
        "destination_table": lambda: client.destination_table("vivid_lantern", "public", "orders"),
        "schema_with_columns": lambda: client.schema_with_columns("vivid_lantern", orders),
        "full_schema_config": lambda: client.full_schema_config("silver_meadow"),
        "check_column_changes": lambda: client.check_column_changes(
            "vivid_lantern", {"public": {"tables": {"orders": {"columns": {"amount": {"enabled": False}}}}}}
        ),
        "update_schema_config": lambda: client.update_schema_config(
            "vivid_lantern",
            schema_change_handling="ALLOW_COLUMNS",
            schemas={"public": {"enabled": True, "tables": {"orders": {"enabled": True, "columns": {
                "amount": {"enabled": False}}}}}},
        ),
        "reload_schema": lambda: client.reload_schema("silver_meadow"),
        "create_connect_card": lambda: client.create_connect_card("amber_falcon", redirect_uri="https://ops.example/x"),
        "create_account_webhook": created,
        "create_group_webhook": lambda: client.create_group_webhook(
            "warehouse_bigquery", url, ["sync_start"], active=False
        ),
        "list_webhooks": lambda: client.list_webhooks(),
        "get_webhook": lambda: client.get_webhook(hook["id"]),
        "update_webhook": lambda: client.update_webhook(hook["id"], events=["sync_start", "sync_end"]),
        "test_webhook": lambda: client.test_webhook(hook["id"], "sync_end"),
        "delete_webhook": lambda: client.delete_webhook(hook["id"]),
    }


def test_given_every_client_method_when_called_then_each_request_and_answer_matches_the_definitions(walk) -> None:
    sim, client, recorder = walk
    sim.advance(120)  # some syncs ran: history, non-empty states
    methods = _methods(client, sim)
    public = {n for n, _ in inspect.getmembers(FivetranClient, inspect.isfunction) if not n.startswith("_")}
    assert public - NO_REQUEST == set(methods), "a client method is not walked (or the walk names a stale one)"
    problems: list[str] = []
    for name, call in methods.items():
        before = len(recorder.calls)
        call()
        made = recorder.calls[before:]
        assert made, f"{name} made no request"
        for request, response in made:
            problems += _check_exchange(name, request, response)
    assert problems == [], "\n".join(problems)


def _check_exchange(name: str, request: httpx.Request, response: httpx.Response) -> list[str]:
    path = request.url.path
    endpoint = find(ENDPOINTS, request.method, path)
    if endpoint is None:
        return [f"{name}: {request.method} {path} is in no definition"]
    where = f"{name}: {request.method} {endpoint.path}"
    problems = [f"{where}: query parameter {q!r} not defined" for q in request.url.params if q not in endpoint.query]
    if request.content:
        body = json.loads(request.content)
        if endpoint.body is None:
            problems.append(f"{where}: sends a body the definition does not take")
        else:
            problems += [f"{where} request {p}" for p in check(body, endpoint.body)]
    if response.status_code in (400, 404, 405, 406):  # the client sent something Fivetran would refuse
        problems.append(f"{where}: answered {response.status_code} {response.text[:200]}")
    elif response.status_code < 300 and endpoint.response is not None and response.content:
        problems += [f"{where} response {p}" for p in check_response(response.json(), endpoint.response)]
    return problems


def test_given_every_simulator_api_route_then_a_definition_or_a_named_reason_covers_it() -> None:
    missing = []
    for method, _regex, _handler, template in ROUTES:
        if not template.startswith("/v1/"):
            continue
        concrete = template.replace("{", "x").replace("}", "")
        if find(ENDPOINTS, method, concrete) is None and (method, template) not in UNDEFINED_ROUTES:
            missing.append(f"{method} {template}")
    assert missing == []


def test_given_every_simulator_api_route_when_called_then_the_answer_matches_its_response_schema(walk) -> None:
    """The walk above reaches most routes through the client; this one calls the rest raw, and then checks
    that every /v1 route the simulator serves was answered and checked."""
    sim, client, recorder = walk
    sim.advance(120)
    for call in _methods(client, sim).values():
        call()
    raw = httpx.Client(
        transport=recorder, base_url="http://simulator.invalid", auth=(sim.api_key, sim.api_secret)
    )
    raw.patch("/v1/connections/vivid_lantern/schemas/public", json={"enabled": True})
    raw.patch("/v1/connections/vivid_lantern/schemas/public/tables/orders", json={"enabled": True})
    raw.patch(
        "/v1/connections/vivid_lantern/schemas/public/tables/orders/columns/amount", json={"enabled": True}
    )
    raw.post("/v1/connections/copper_kite/force", json={})
    raw.get("/v1/connections/vivid_lantern/state")  # 405: not an SDK connector (the documented answer)
    served: set[tuple[str, str]] = set()
    problems: list[str] = []
    templates = [(m, r, t) for m, r, _h, t in ROUTES if t.startswith("/v1/")]
    for request, response in recorder.calls:
        route = next(((m, t) for m, r, t in templates if m == request.method and r.match(request.url.path)), None)
        if route is None:
            continue
        served.add(route)
        if route in UNDEFINED_ROUTES or response.status_code == 405:
            continue
        endpoint = find(ENDPOINTS, request.method, request.url.path)
        assert endpoint is not None, route
        if response.status_code < 400 and endpoint.response is not None:
            problems += [f"{route} {p}" for p in check_response(response.json(), endpoint.response)]
    assert problems == [], "\n".join(problems)
    assert {(m, t) for m, _r, t in templates} - served == set(), "a simulator route was never called"


def test_given_a_request_the_definitions_do_not_know_then_the_check_fails() -> None:
    """The checker itself: unknown paths, fields, types and enum values are reported."""
    assert find(ENDPOINTS, "POST", "/v1/connections/x/explode") is None
    patch = find(ENDPOINTS, "PATCH", "/v1/connections/x")
    assert patch is not None
    assert check({"paused": True}, patch.body) == []
    assert check({"pasued": True}, patch.body) == ["$: field 'pasued' is not in the definition"]
    assert check({"paused": "yes"}, patch.body) == ["$.paused: str is not boolean"]
    resync = find(ENDPOINTS, "POST", "/v1/connections/x/resync")
    assert check({"scope": {"public": ["orders"]}}, resync.body) == []
    assert check({"scope": {"public": "orders"}}, resync.body) == ["$.scope.public: str is not array"]
    card = find(ENDPOINTS, "POST", "/v1/connections/x/connect-card")
    assert check({"connect_card_config": {}}, card.body) == ["$.connect_card_config: required field 'redirect_uri' missing"]
