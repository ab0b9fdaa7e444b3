"""The client's wire format, pagination, errors and retries against respx fakes of api.fivetran.com."""

from __future__ import annotations

import base64
import json
import random

import httpx
import pytest
import respx

from fivetran_recovery.fivetran import (
    BadRequestError,
    ConflictError,
    FivetranClient,
    FivetranConnectionError,
    FivetranError,
    FivetranTimeoutError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)

from .conftest import BASE, Sleeps, load_fixture

SECRET = "very-secret-value"


def _connection(cid: str = "conn_1", **status: object) -> dict:
    return {
        "id": cid,
        "group_id": "g",
        "service": "postgres",
        "paused": False,
        "status": {"sync_state": "scheduled", **status},
    }


def _ok(data: object = None, message: str = "Operation performed.") -> httpx.Response:
    body = {"code": "Success", "message": message}
    if data is not None:
        body["data"] = data
    return httpx.Response(200, json=body)


@respx.mock(base_url=BASE)
def test_given_key_and_secret_when_calling_then_basic_auth_and_version_2_accept(respx_mock, client) -> None:
    route = respx_mock.get("/connections/conn_1").mock(return_value=_ok(_connection()))
    connection = client.get_connection("conn_1")
    request = route.calls.last.request
    assert request.headers["Accept"] == "application/json;version=2"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"key-123:{SECRET}".encode()).decode()
    assert connection.id == "conn_1" and connection.status.sync_state == "scheduled"


@respx.mock(base_url=BASE)
def test_given_ids_with_slashes_when_calling_then_encoded_as_one_segment(respx_mock, client) -> None:
    route = respx_mock.get(url__regex=r".*/connections/a%2F\.\.%2Fb$").mock(return_value=_ok(_connection("a/../b")))
    client.get_connection("a/../b")
    assert route.called
    with pytest.raises(ValueError):
        client.get_connection("")


@respx.mock(base_url=BASE)
def test_given_three_pages_when_listing_then_all_items_in_order(respx_mock, client) -> None:
    pages = [
        _ok({"items": [_connection("a"), _connection("b")], "next_cursor": "c1"}),
        _ok({"items": [_connection("c")], "next_cursor": "c2"}),
        _ok({"items": [_connection("d")], "next_cursor": None}),
    ]
    route = respx_mock.get("/connections").mock(side_effect=pages)
    assert [c.id for c in client.list_connections()] == ["a", "b", "c", "d"]
    cursors = [call.request.url.params.get("cursor") for call in route.calls]
    assert cursors == [None, "c1", "c2"]
    assert {call.request.url.params["limit"] for call in route.calls} == {"100"}


@respx.mock(base_url=BASE)
def test_given_group_when_listing_then_group_path_used(respx_mock, client) -> None:
    respx_mock.get("/groups/warehouse_1/connections").mock(return_value=_ok({"items": [_connection("x")]}))
    assert [c.id for c in client.list_connections("warehouse_1")] == ["x"]


@respx.mock(base_url=BASE)
def test_given_camel_case_next_cursor_when_listing_webhooks_then_followed(respx_mock, client) -> None:
    hook = load_fixture("webhook_create_account_response.docs.json")["data"]
    respx_mock.get("/webhooks").mock(
        side_effect=[
            _ok({"items": [hook], "nextCursor": "n1"}),
            _ok({"items": [{**hook, "id": "second"}], "nextCursor": None}),
        ]
    )
    assert [w.id for w in client.list_webhooks()] == ["program_quoth", "second"]


@respx.mock(base_url=BASE)
def test_given_cursor_repeats_when_listing_then_error_instead_of_loop(respx_mock, client) -> None:
    respx_mock.get("/connections").mock(return_value=_ok({"items": [_connection()], "next_cursor": "same"}))
    with pytest.raises(FivetranError, match="twice"):
        client.list_connections()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (405, FivetranError),
    ],
)
def test_given_error_status_when_calling_then_typed_error_without_retry(status, cls, client, sleeps) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/connections/c").mock(
            return_value=httpx.Response(status, json={"code": "SomeCode", "message": "went wrong"})
        )
        with pytest.raises(cls) as caught:
            client.get_connection("c")
    assert type(caught.value) is cls and caught.value.status == status and caught.value.code == "SomeCode"
    assert route.call_count == 1 and sleeps == []
    assert SECRET not in str(caught.value) and "key-123" not in str(caught.value)


@respx.mock(base_url=BASE)
def test_given_429_with_retry_after_when_get_then_waits_at_least_that_and_succeeds(respx_mock, client, sleeps) -> None:
    limited = httpx.Response(
        429, headers={"Retry-After": "2"}, json=load_fixture("error_429_too_many_requests.docs.json")
    )
    route = respx_mock.get("/connections/c").mock(side_effect=[limited, limited, _ok(_connection("c"))])
    assert client.get_connection("c").id == "c"
    assert route.call_count == 3 and len(sleeps) == 2
    assert all(2.0 <= s <= 2.2 for s in sleeps)


@respx.mock(base_url=BASE)
def test_given_429_on_resync_when_called_then_retried_because_server_did_nothing(respx_mock, client, sleeps) -> None:
    route = respx_mock.post("/connections/c/resync").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), _ok(message="Re-sync triggered")]
    )
    assert client.resync("c").message == "Re-sync triggered"
    assert route.call_count == 2 and len(sleeps) == 1


@respx.mock(base_url=BASE)
def test_given_retry_after_beyond_budget_when_called_then_fails_fast_with_retry_after(
    respx_mock, client, sleeps
) -> None:
    route = respx_mock.get("/connections/c").mock(
        return_value=httpx.Response(
            429, headers={"Retry-After": "3600"}, json={"code": "TooManyRequests", "message": "x"}
        )
    )
    with pytest.raises(RateLimitedError) as caught:
        client.get_connection("c")
    assert caught.value.retry_after == 3600 and route.call_count == 1 and sleeps == []


@respx.mock(base_url=BASE)
def test_given_5xx_on_get_when_called_then_backoff_grows_and_attempts_are_bounded(respx_mock, client, sleeps) -> None:
    route = respx_mock.get("/connections/c").mock(return_value=httpx.Response(503, text="upstream down"))
    with pytest.raises(ServerError) as caught:
        client.get_connection("c")
    assert route.call_count == 4 and len(sleeps) == 3  # max_attempts=4
    assert caught.value.message == "upstream down"
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0 and 1.0 <= sleeps[2] <= 2.0


@respx.mock(base_url=BASE)
def test_given_5xx_on_resync_when_called_then_not_retried(respx_mock, client, sleeps) -> None:
    route = respx_mock.post("/connections/c/resync").mock(return_value=httpx.Response(500, json={"message": "boom"}))
    with pytest.raises(ServerError):
        client.resync("c", scope={"public": ["orders"]})
    assert route.call_count == 1 and sleeps == []
    assert json.loads(route.calls.last.request.content) == {"scope": {"public": ["orders"]}}


@respx.mock(base_url=BASE)
def test_given_connect_error_on_unsafe_post_when_called_then_retried_as_never_sent(respx_mock, client, sleeps) -> None:
    route = respx_mock.post("/connections/c/sync").mock(
        side_effect=[httpx.ConnectError("connection refused"), _ok(message="Sync has been successfully triggered")]
    )
    assert "triggered" in client.sync_now("c", force=True).message
    assert route.call_count == 2 and len(sleeps) == 1


@respx.mock(base_url=BASE)
def test_given_read_timeout_when_unsafe_then_raised_but_safe_get_retried(respx_mock, client, sleeps) -> None:
    card = respx_mock.post("/connections/c/connect-card").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(FivetranConnectionError) as caught:
        client.create_connect_card("c")
    assert card.call_count == 1 and caught.value.status is None
    get = respx_mock.get("/connections/c").mock(side_effect=[httpx.ReadTimeout("slow"), _ok(_connection("c"))])
    assert client.get_connection("c").id == "c" and get.call_count == 2


@respx.mock(base_url=BASE)
def test_given_total_time_budget_when_waits_would_exceed_it_then_stops_early(respx_mock, sleeps) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    client = FivetranClient(
        api_key="k",
        api_secret="s",
        base_url=BASE,
        sleep=sleep,
        clock=lambda: now[0],
        max_attempts=10,
        max_total_seconds=5.0,
        rng=random.Random(7),
    )
    route = respx_mock.get("/connections/c").mock(return_value=httpx.Response(502))
    with pytest.raises(ServerError):
        client.get_connection("c")
    assert sum(sleeps) <= 5.0 and route.call_count < 10


@respx.mock(base_url=BASE)
def test_given_actions_when_called_then_bodies_match_the_collection(respx_mock, client) -> None:
    sync = respx_mock.post("/connections/c/sync").mock(return_value=_ok(message="ok"))
    tables = respx_mock.post("/connections/c/schemas/tables/resync").mock(return_value=_ok(message="ok"))
    reload = respx_mock.post("/connections/c/schemas/reload").mock(return_value=_ok({"schemas": {}}))
    schemas = respx_mock.patch("/connections/c/schemas").mock(
        return_value=_ok(load_fixture("connection_schema_config_response.json")["data"])
    )
    card = respx_mock.post("/connections/c/connect-card").mock(
        return_value=_ok(
            {"connector_id": "c", "connect_card": {"token": "tok", "uri": "https://fivetran.com/cc?auth=tok"}}
        )
    )
    test = respx_mock.post("/connections/c/test").mock(
        return_value=_ok(load_fixture("connection_setup_tests_failed.json")["data"])
    )
    client.sync_now("c")
    client.resync_tables("c", {"public": ["orders", "customers"]})
    client.reload_schema("c")
    config = client.update_schema_config(
        "c", schema_change_handling="BLOCK_ALL", schemas={"schema_1": {"enabled": True}}
    )
    connect = client.create_connect_card("c", redirect_uri="https://ops.example/back")
    tested = client.run_setup_tests("c")
    assert json.loads(sync.calls.last.request.content) == {"force": False}
    assert json.loads(tables.calls.last.request.content) == {"public": ["orders", "customers"]}
    assert json.loads(reload.calls.last.request.content) == {"exclude_mode": "PRESERVE"}
    assert json.loads(schemas.calls.last.request.content)["schema_change_handling"] == "BLOCK_ALL"
    assert json.loads(card.calls.last.request.content) == {
        "connect_card_config": {"redirect_uri": "https://ops.example/back"}
    }
    assert json.loads(test.calls.last.request.content) == {}
    assert config.schema_change_handling == "BLOCK_ALL"
    assert connect.token == "tok" and "tok" not in repr(connect) and connect.connection_id == "c"
    assert tested.setup_tests[0].status == "FAILED"


def test_given_bad_arguments_when_called_then_value_error_before_any_request(client) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        route = mock.route().mock(return_value=_ok({}))
        for call in (
            lambda: client.update_schedule("c", sync_frequency=7),
            lambda: client.update_schedule("c", schedule_type="hourly"),
            lambda: client.update_schedule("c", sync_frequency=60, daily_sync_time="03:00"),
            lambda: client.update_schedule("c"),
            lambda: client.resync("c", scope={"public": []}),
            lambda: client.resync_tables("c", {}),
            lambda: client.update_schema_config("c", schema_change_handling="ALLOW_SOME"),
            lambda: client.reload_schema("c", exclude_mode="DROP"),
            lambda: client.create_account_webhook("ftp://x", ["sync_end"]),
            lambda: client.create_account_webhook("https://x", []),
            lambda: client.update_with_pause("c", {"paused": False}),
        ):
            with pytest.raises(ValueError):
                call()
        assert not route.called


def test_given_no_credentials_when_built_then_clear_error() -> None:
    with pytest.raises(ValueError, match="api_key"):
        FivetranClient(api_key="k", api_secret="")
    client = FivetranClient(api_key="k", api_secret=SECRET)
    assert SECRET not in repr(client) and SECRET not in repr(vars(client))


@respx.mock(base_url=BASE)
def test_given_webhook_calls_when_made_then_secret_sent_once_and_test_result_typed(respx_mock, client) -> None:
    created = respx_mock.post("/webhooks/account").mock(
        return_value=_ok(load_fixture("webhook_create_account_response.docs.json")["data"])
    )
    tested = respx_mock.post("/webhooks/program_quoth/test").mock(
        return_value=_ok({"succeed": True, "status": 200, "message": "ok"})
    )
    hook = client.create_account_webhook("https://hooks.example/fivetran", ["sync_end"], secret="whsec")
    result = client.test_webhook(hook.id)
    assert json.loads(created.calls.last.request.content) == {
        "url": "https://hooks.example/fivetran",
        "events": ["sync_end"],
        "active": True,
        "secret": "whsec",
    }
    assert json.loads(tested.calls.last.request.content) == {"event": "sync_start"}
    assert result.succeed is True and result.status == 200


@respx.mock(base_url=BASE)
def test_given_sync_stop_error_when_updating_then_pause_wait_change_resume(respx_mock, sleeps) -> None:
    client = FivetranClient(api_key="k", api_secret="s", base_url=BASE, sleep=sleeps)
    stop_error = httpx.Response(
        409, json={"code": "Conflict", "message": "Failed to stop in-progress sync after trying for 60 seconds"}
    )
    patches = respx_mock.patch("/connections/c").mock(
        side_effect=[
            stop_error,
            _ok(_connection("c", sync_state="syncing") | {"paused": True}),
            _ok(_connection("c", sync_state="paused") | {"paused": True, "sync_frequency": 60}),
            _ok(_connection("c") | {"sync_frequency": 60}),
        ]
    )
    respx_mock.get("/connections/c").mock(
        side_effect=[
            _ok(_connection("c", sync_state="syncing")),
            _ok(_connection("c", sync_state="syncing") | {"paused": True}),
            _ok(_connection("c", sync_state="paused") | {"paused": True}),
        ]
    )
    updated = client.update_schedule("c", sync_frequency=60)
    bodies = [json.loads(call.request.content) for call in patches.calls]
    assert bodies == [{"sync_frequency": 60}, {"paused": True}, {"sync_frequency": 60}, {"paused": False}]
    assert updated.sync_frequency == 60 and updated.paused is False
    assert sleeps == [2.0]  # one poll interval while the sync stopped


@respx.mock(base_url=BASE)
def test_given_sync_never_stops_when_update_with_pause_then_timeout_and_still_resumed(respx_mock, sleeps) -> None:
    client = FivetranClient(api_key="k", api_secret="s", base_url=BASE, sleep=sleeps)
    patches = respx_mock.patch("/connections/c").mock(return_value=_ok(_connection("c")))
    respx_mock.get("/connections/c").mock(return_value=_ok(_connection("c", sync_state="syncing")))
    with pytest.raises(FivetranTimeoutError):
        client.update_with_pause("c", {"sync_frequency": 60}, poll_interval=1.0, timeout=3.0)
    bodies = [json.loads(call.request.content) for call in patches.calls]
    assert bodies == [{"paused": True}, {"paused": False}]  # the change was never sent, the connection resumed
    assert sleeps == [1.0, 1.0, 1.0]


@respx.mock(base_url=BASE)
def test_given_auto_pause_disabled_when_sync_stop_error_then_raised(respx_mock) -> None:
    client = FivetranClient(api_key="k", api_secret="s", base_url=BASE, auto_pause_on_sync_conflict=False)
    respx_mock.patch("/connections/c").mock(
        return_value=httpx.Response(
            409, json={"message": "Failed to stop in-progress sync after trying for 60 seconds"}
        )
    )
    with pytest.raises(ConflictError) as caught:
        client.update_connection("c", sync_frequency=60)
    assert caught.value.is_sync_stop_timeout


@respx.mock(base_url=BASE)
def test_given_non_json_success_when_called_then_fivetran_error(
    respx_mock, client: FivetranClient, sleeps: Sleeps
) -> None:
    respx_mock.get("/connections/c").mock(return_value=httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(FivetranError, match="not JSON"):
        client.get_connection("c")
