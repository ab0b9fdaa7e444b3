"""The client against a Fivetran that takes its time: per-class timeouts, writes confirmed by reading back, column
changes Fivetran would refuse stopped before the call."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from fivetran_recovery.fivetran import FivetranClient
from fivetran_recovery.fivetran.client_schemas import ColumnChangeRefused
from fivetran_recovery.fivetran.timeouts import Timeouts

from .conftest import BASE, Sleeps


def _connection(paused: bool) -> httpx.Response:
    return httpx.Response(200, json={"code": "Success", "data": {"id": "c", "paused": paused,
                                                                 "status": {"sync_state": "paused"}}})


@respx.mock(base_url=BASE)
def test_given_pause_times_out_when_state_shows_paused_then_not_sent_again(respx_mock) -> None:
    client = FivetranClient(api_key="k", api_secret="s", base_url=BASE, sleep=Sleeps())
    patch = respx_mock.patch("/connections/c").mock(side_effect=httpx.ReadTimeout("slow"))
    respx_mock.get("/connections/c").mock(return_value=_connection(True))
    assert client.pause("c").paused is True
    assert patch.call_count == 1  # checked, not re-sent


@respx.mock(base_url=BASE)
def test_given_pause_500_when_state_shows_not_paused_then_repeated_once_it_is_known(respx_mock) -> None:
    client = FivetranClient(api_key="k", api_secret="s", base_url=BASE, sleep=Sleeps())
    patch = respx_mock.patch("/connections/c").mock(
        side_effect=[httpx.Response(500, json={"code": "InternalServerError", "message": "x"}), _connection(True)]
    )
    respx_mock.get("/connections/c").mock(return_value=_connection(False))
    assert client.pause("c").paused is True and patch.call_count == 2


@respx.mock(base_url=BASE)
def test_given_endpoint_classes_then_each_request_gets_its_timeout(respx_mock) -> None:
    seen: dict[str, float] = {}

    def record(request: httpx.Request) -> httpx.Response:
        seen[f"{request.method} {request.url.path}"] = request.extensions["timeout"]["read"]
        data = {"schema_change_handling": "ALLOW_ALL", "schemas": {}} if "schemas" in request.url.path else {"id": "c"}
        return httpx.Response(200, json={"code": "Success", "data": data})

    respx_mock.route().mock(side_effect=record)
    client = FivetranClient(api_key="k", api_secret="s", base_url=BASE,
                            timeouts=Timeouts(default=10, source=300, stop_sync=90))
    client.get_connection("c")
    client.reload_schema("c")
    client.update_schedule("c", sync_frequency=60)
    assert seen == {"GET /v1/connections/c": 10, "POST /v1/connections/c/schemas/reload": 300,
                    "PATCH /v1/connections/c": 90}
    assert Timeouts().scaled(1 / 60).stop_sync == 5.0  # scaled with the local stack, floored


@respx.mock(base_url=BASE, assert_all_called=False)
def test_given_primary_key_exclusion_when_requested_then_refused_before_any_patch(respx_mock) -> None:
    respx_mock.get("/connections/c/schemas").mock(return_value=httpx.Response(200, json={"code": "Success", "data": {
        "schemas": {"public": {"tables": {"orders": {"supports_columns_config": True, "columns": {}}}}}}}))
    respx_mock.get("/connections/c/schemas/public/tables/orders/columns").mock(return_value=httpx.Response(
        200, json={"code": "Success", "data": {"columns": {"id": {"enabled": True, "is_primary_key": True,
                                                                  "enabled_patch_settings": {
                                                                      "allowed": False, "reason_code": "SYSTEM_COLUMN",
                                                                      "reason": "it is a Primary Key"}}}}}))
    patch = respx_mock.patch("/connections/c/schemas")
    client = FivetranClient(api_key="k", api_secret="s", base_url=BASE)
    change = {"public": {"tables": {"orders": {"columns": {"id": {"enabled": False}}}}}}
    with pytest.raises(ColumnChangeRefused, match="Primary Key"):
        client.update_schema_config("c", schemas=change)
    with pytest.raises(ColumnChangeRefused, match="case-sensitive"):
        client.update_schema_config("c", schemas={"public": {"tables": {"orders": {"columns": {
            "ID": {"enabled": False}}}}}})
    assert patch.call_count == 0
    assert json.dumps(change)  # the change itself was left as given


def test_given_paused_connection_when_a_sync_step_runs_then_it_is_resumed_first() -> None:
    from types import SimpleNamespace

    from fivetran_recovery.remediation.actions import ActionExecutor

    calls: list[str] = []
    fivetran = SimpleNamespace(resume=lambda cid: calls.append("resume"),
                               sync_now=lambda cid, force: calls.append("sync") or SimpleNamespace(message="ok"))
    executor = ActionExecutor(fivetran=fivetran, warehouse=None, dispatcher=None, clock=None)
    result = executor._sync("c", {}, SimpleNamespace(paused=True))
    assert calls == ["resume", "sync"] and result.writes == 2
    calls.clear()
    assert executor._sync("c", {}, SimpleNamespace(paused=False)).writes == 1 and calls == ["sync"]
