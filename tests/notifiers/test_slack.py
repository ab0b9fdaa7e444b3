"""Slack: real request shapes for chat.postMessage / chat.update (respx fake), Block Kit content, errors."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from pydantic import SecretStr

from fivetran_recovery.notifiers import Dispatcher, Notice, NotifierError, OutboxNotifier, SlackNotifier
from fivetran_recovery.notifiers.slack import build_blocks, escape

BASE = "https://slack.test/api"
TOKEN = "xoxb-test-token-123"


def notice(**overrides) -> Notice:
    values = dict(
        kind="approval_request",
        incident_id="inc-7",
        connection_id="lunar_pebble",
        title="Approval needed: exclude the incompatible column",
        summary="type change <UInt64> & more",
        rca={
            "category": "schema_drift",
            "pattern": "type_mapping_error",
            "confidence": 0.92,
            "summary": "can't map type <UInt64>",
        },
        planned_actions=["[2] update_schema_config [needs approval]: PATCH /v1/connections/lunar_pebble/schemas {}"],
        reasons=["playbook schema_change_breaking is high risk"],
        approval_id="apr-123",
        expires_at="2026-03-02T12:00:00Z",
    )
    values.update(overrides)
    return Notice(**values)


@pytest.fixture
def slack():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        client = SlackNotifier(
            bot_token=SecretStr(TOKEN), channel="#data-incidents", base_url=BASE, http_client=httpx.Client()
        )
        yield client, mock


def test_given_approval_request_when_posted_then_block_kit_with_buttons_carrying_the_approval_id(slack) -> None:
    client, mock = slack
    route = mock.post("/chat.postMessage").respond(json={"ok": True, "channel": "C1", "ts": "1700000000.0001"})
    ref = client.post(notice())
    assert ref == {"channel": "C1", "ts": "1700000000.0001"}
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"].startswith("application/json")
    body = json.loads(request.content)
    assert body["channel"] == "#data-incidents" and body["text"]
    types = [b["type"] for b in body["blocks"]]
    assert types[0] == "header" and "actions" in types
    actions = next(b for b in body["blocks"] if b["type"] == "actions")
    assert [(e["action_id"], e["value"], e.get("style")) for e in actions["elements"]] == [
        ("approve", "apr-123", "primary"),
        ("reject", "apr-123", "danger"),
    ]
    text = json.dumps(body)
    assert "PATCH /v1/connections/lunar_pebble/schemas" in text
    assert "&lt;UInt64&gt;" in text and "<UInt64>" not in text  # mrkdwn escaped
    assert "token" not in text.lower() or "task_token" not in text


def test_given_decision_when_updated_then_buttons_replaced_by_the_decision(slack) -> None:
    client, mock = slack
    route = mock.post("/chat.update").respond(json={"ok": True})
    client.update({"channel": "C1", "ts": "1.2"}, notice(), decided="Approved by ana")
    body = json.loads(route.calls.last.request.content)
    assert (body["channel"], body["ts"]) == ("C1", "1.2")
    assert all(b["type"] != "actions" for b in body["blocks"])
    assert "Approved by ana" in json.dumps(body["blocks"])


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, json={"ok": False, "error": "channel_not_found"}), "channel_not_found"),
        (httpx.Response(429, headers={"Retry-After": "30"}), "rate limited"),
        (httpx.Response(502, text="bad gateway"), "not JSON"),
    ],
)
def test_given_slack_error_then_notifier_error_without_the_token(slack, response, message) -> None:
    client, mock = slack
    mock.post("/chat.postMessage").mock(return_value=response)
    with pytest.raises(NotifierError, match=message) as caught:
        client.post(notice())
    assert TOKEN not in str(caught.value)


def test_given_one_channel_failing_then_dispatcher_still_delivers_to_the_others(slack) -> None:
    client, mock = slack
    mock.post("/chat.postMessage").respond(json={"ok": False, "error": "invalid_auth"})
    outbox = OutboxNotifier()
    refs, errors = Dispatcher([client, outbox]).post(notice())
    assert set(refs) == {"outbox"} and "invalid_auth" in errors["slack"]
    assert outbox.messages[0]["notice"]["approval_id"] == "apr-123"


def test_blocks_stay_within_slack_limits() -> None:
    long = notice(title="x" * 400, planned_actions=["y" * 5000], summary="z" * 5000)
    blocks = build_blocks(long)
    assert len(blocks[0]["text"]["text"]) <= 150
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks if b["type"] == "section")
    assert escape("<a&b>") == "&lt;a&amp;b&gt;"


def test_monitor_notice_has_no_buttons() -> None:
    blocks = build_blocks(notice(kind="monitor", approval_id=None))
    assert all(b["type"] != "actions" for b in blocks)


def test_given_missing_slack_secret_then_channel_skipped_and_console_fallback() -> None:
    from fivetran_recovery.config import RecoveryConfig, StaticSecrets
    from fivetran_recovery.notifiers import ConsoleNotifier, build_notifiers

    config = RecoveryConfig.from_env({"NOTIFIERS": "slack"})
    built = build_notifiers(config, StaticSecrets({"s": {"signing_secret": "x"}}), slack_secret_id="s")
    assert [type(n) for n in built] == [ConsoleNotifier]
    both = build_notifiers(
        RecoveryConfig.from_env({"NOTIFIERS": "slack,outbox"}),
        StaticSecrets({"s": {"bot_token": "xoxb-1"}}),
        slack_secret_id="s",
    )
    assert [n.name for n in both] == ["slack", "outbox"]
    with pytest.raises(ValueError, match="unknown notifier"):
        build_notifiers(RecoveryConfig.from_env({"NOTIFIERS": "pigeon"}), StaticSecrets({}), slack_secret_id="s")


def test_given_owner_only_link_then_a_dm_to_the_owner_by_email_and_the_dispatcher_says_where(slack) -> None:
    from fivetran_recovery.notifiers import Dispatcher

    client, mock = slack
    lookup = mock.get("/users.lookupByEmail").respond(json={"ok": True, "user": {"id": "U42"}})
    sent = mock.post("/chat.postMessage").respond(json={"ok": True, "channel": "D42", "ts": "1.2"})
    link = "https://fivetran.com/connect-card/setup?auth=secret-token"
    owner_notice = notice(kind="owner_action", link=link)
    where, errors = Dispatcher([client]).post_direct(owner_notice, email="jane@example.org")
    assert where == "Slack DM to j***@example.org" and errors == {}
    assert lookup.calls.last.request.url.params["email"] == "jane@example.org"
    body = json.loads(sent.calls.last.request.content)
    assert body["channel"] == "U42" and link in json.dumps(body)  # only the DM carries the link
    assert Dispatcher([client]).post_direct(owner_notice, email=None)[0] is None  # nobody known: not sent
    mock.get("/users.lookupByEmail").respond(json={"ok": False, "error": "users_not_found"})
    where, errors = Dispatcher([client]).post_direct(owner_notice, email="ghost@example.org")
    assert where is None and "users_not_found" in errors["slack"]


def test_given_a_link_with_markup_when_rendered_then_it_cannot_break_out_of_the_slack_link() -> None:
    from fivetran_recovery.notifiers.slack import build_blocks

    blocks = json.dumps(build_blocks(notice(kind="owner_action", link="https://x.test/a?b=1&c=<d>|@channel")))
    assert "https://x.test/a?b=1&amp;c=&lt;d&gt;%7C@channel|Re-authorise the connection" in blocks
    plain = json.dumps(build_blocks(notice(kind="owner_action", link="javascript:<b>")))
    assert "<javascript" not in plain and "javascript:&lt;b&gt;" in plain
