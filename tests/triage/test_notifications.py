"""Notification request shapes against respx fakes: PagerDuty Events API v2, Slack chat.postMessage/chat.update,
and the Statuspage summary.json the status feed reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import SecretStr
from triage_helpers import PERMANENT, TRANSIENT, at, sync_end

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.models.incident import IncidentStatus
from fivetran_recovery.notifiers.pagerduty import ENQUEUE_URL, PagerDutyError, PagerDutyNotifier
from fivetran_recovery.notifiers.slack import SlackNotifier
from fivetran_recovery.triage.decision import NotificationKind
from fivetran_recovery.triage.dispatch import NoticeChannelSender, NotificationDispatcher, pager_resolver
from fivetran_recovery.triage.messages import HEADER_LIMIT, incident_message
from fivetran_recovery.triage.status_feed import StatusFeedReader, feeds_from_urls

ROUTING_KEY = SecretStr("R0UTINGKEY0123456789abcdef012345")
SLACK_TOKEN = SecretStr("xoxb-test-token")
CRITICAL_DEST = "bq_analytics_prod"


def _critical_incident(rig):
    decision = rig.triage.process(sync_end("orders_pg", 0, destination=CRITICAL_DEST), PERMANENT, now=at(1))
    return decision


@respx.mock
def test_given_critical_incident_when_paged_then_events_v2_trigger_with_fingerprint_dedup_key(make_rig) -> None:
    rig = make_rig()
    incident = _critical_incident(rig).incident
    route = respx.post(ENQUEUE_URL).mock(
        return_value=httpx.Response(
            202, json={"status": "success", "message": "Event processed", "dedup_key": incident.fingerprint}
        )
    )
    pager = PagerDutyNotifier(routing_key=ROUTING_KEY, client=httpx.Client())
    assert pager.trigger(incident) == incident.fingerprint
    body = json.loads(route.calls.last.request.content)
    assert body["routing_key"] == ROUTING_KEY.get_secret_value()
    assert body["event_action"] == "trigger" and body["dedup_key"] == incident.fingerprint
    payload = body["payload"]
    assert set(payload) == {"summary", "source", "severity", "component", "group", "class", "custom_details"}
    assert payload["severity"] == "critical" and payload["group"] == CRITICAL_DEST
    assert payload["class"] == "schema_drift/column_type_change" and payload["source"] == "orders_pg"
    assert payload["custom_details"]["incident_id"] == incident.id and len(payload["summary"]) <= 1024
    pager.acknowledge(incident)
    pager.resolve(incident)
    later = [json.loads(c.request.content) for c in route.calls][1:]
    assert [(b["event_action"], b["dedup_key"], "payload" in b) for b in later] == [
        ("acknowledge", incident.fingerprint, False),
        ("resolve", incident.fingerprint, False),
    ]


@respx.mock
def test_given_pagerduty_throttles_then_retries_and_errors_never_echo_the_key(make_rig) -> None:
    rig = make_rig()
    incident = _critical_incident(rig).incident
    route = respx.post(ENQUEUE_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(202, json={"status": "success", "dedup_key": incident.fingerprint}),
        ]
    )
    sleeps: list[float] = []
    PagerDutyNotifier(routing_key=ROUTING_KEY, client=httpx.Client(), sleep=sleeps.append).trigger(incident)
    assert route.call_count == 2 and sleeps == [0.0]
    route.mock(
        return_value=httpx.Response(
            400,
            json={
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": ["Length of 'routing_key' is incorrect"],
            },
        )
    )
    with pytest.raises(PagerDutyError) as info:
        PagerDutyNotifier(routing_key=ROUTING_KEY, client=httpx.Client(), sleep=sleeps.append).trigger(incident)
    assert "HTTP 400" in str(info.value) and ROUTING_KEY.get_secret_value() not in str(info.value)


@respx.mock
def test_given_decisions_when_dispatched_then_slack_post_then_update_and_pagerduty(make_rig) -> None:
    rig = make_rig()
    opened = _critical_incident(rig)
    post = respx.post("https://slack.com/api/chat.postMessage").mock(
        return_value=httpx.Response(200, json={"ok": True, "channel": "C0ANALYTICS", "ts": "1732442400.000100"})
    )
    update = respx.post("https://slack.com/api/chat.update").mock(
        return_value=httpx.Response(200, json={"ok": True, "channel": "C0ANALYTICS", "ts": "1732442400.000100"})
    )
    pd = respx.post(ENQUEUE_URL).mock(return_value=httpx.Response(202, json={"status": "success"}))
    client = httpx.Client()
    dispatcher = NotificationDispatcher(
        incidents=rig.incidents,
        channel=NoticeChannelSender(SlackNotifier(bot_token=SLACK_TOKEN, channel="#fallback", http_client=client)),
        pager_for=pager_resolver(rig.triage.routing, {"analytics": ROUTING_KEY}, client=client),
    )
    [result] = dispatcher.dispatch(opened.notifications)
    assert result.channel_ok and result.page_ok and result.error is None
    request = post.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {SLACK_TOKEN.get_secret_value()}"
    message = json.loads(request.content)
    assert message["channel"] == "#analytics-incidents"
    assert message["blocks"][0]["type"] == "header" and "column_type_change" in message["blocks"][0]["text"]["text"]
    assert json.loads(pd.calls.last.request.content)["event_action"] == "trigger"

    status = rig.triage.update_status(opened.incident.id, IncidentStatus.REMEDIATING, now=at(30), eta_seconds=900)
    dispatcher.dispatch(status.notifications)
    assert post.call_count == 1  # one root message per incident: later changes update it
    updated = json.loads(update.calls.last.request.content)
    assert (updated["channel"], updated["ts"]) == ("C0ANALYTICS", "1732442400.000100")
    assert "Remediating" in updated["blocks"][0]["text"]["text"]
    assert "about 15 min" in json.dumps(updated["blocks"])
    assert json.loads(pd.calls.last.request.content)["event_action"] == "acknowledge"


@respx.mock
def test_given_slack_down_when_dispatching_then_page_still_sent_and_error_reported(make_rig) -> None:
    rig = make_rig()
    opened = _critical_incident(rig)
    respx.post("https://slack.com/api/chat.postMessage").mock(
        return_value=httpx.Response(200, json={"ok": False, "error": "channel_not_found"})
    )
    pd = respx.post(ENQUEUE_URL).mock(return_value=httpx.Response(202, json={"status": "success"}))
    client = httpx.Client()
    dispatcher = NotificationDispatcher(
        incidents=rig.incidents,
        channel=NoticeChannelSender(SlackNotifier(bot_token=SLACK_TOKEN, channel="#x", http_client=client)),
        pager_for=pager_resolver(rig.triage.routing, {"analytics": ROUTING_KEY}, client=client),
    )
    [result] = dispatcher.dispatch(opened.notifications)
    assert result.channel_ok is False and result.page_ok is True and "channel_not_found" in result.error
    assert pd.call_count == 1


def test_given_parent_incident_when_rendered_then_block_kit_within_limits(make_rig) -> None:
    rig = make_rig()
    for i in range(40):
        rig.triage.process(
            sync_end(f"connection_with_a_long_name_{i:02d}", i, destination=CRITICAL_DEST), TRANSIENT, now=at(i + 1)
        )
    [decision] = [d for d in rig.triage.sweep(now=at(5000))]
    parent = decision.incident
    message = incident_message(parent, decision.notifications[0])
    header = message.blocks[0]["text"]["text"]
    assert len(header) <= HEADER_LIMIT and "40 connections" in header
    fields = message.blocks[1]["fields"]
    assert len(fields) <= 10 and all(len(f["text"]) <= 2000 for f in fields)
    assert any("(+30 more)" in f["text"] for f in fields)
    assert decision.notifications[0].kind is NotificationKind.INCIDENT_OPENED


SUMMARY = {
    "page": {"id": "p1", "name": "Fivetran (simulated)", "url": "http://127.0.0.1/status"},
    "status": {"indicator": "major", "description": "Partial System Outage"},
    "components": [
        {"id": "c1", "name": "Connectors", "status": "partial_outage"},
        {"id": "c2", "name": "Dashboard", "status": "operational"},
    ],
    "incidents": [
        {
            "id": "i1",
            "name": "Delayed syncs for some connectors",
            "status": "investigating",
            "impact": "major",
            "shortlink": "https://stspg.io/x",
            "components": [{"id": "c1", "name": "Connectors", "status": "partial_outage"}],
        },
        {"id": "i0", "name": "Old thing", "status": "resolved", "impact": "minor"},
    ],
    "scheduled_maintenances": [],
}


@respx.mock
def test_given_status_feed_outage_when_incident_confirmed_then_external_status_attached(make_rig) -> None:
    url = "http://127.0.0.1:8765/__sim/status/summary.json"
    route = respx.get(url).mock(return_value=httpx.Response(200, json=SUMMARY))
    now = {"t": datetime(2026, 11, 24, 10, tzinfo=UTC)}
    reader = StatusFeedReader(feeds_from_urls([url]), client=httpx.Client(), clock=lambda: now["t"])
    rig = make_rig(status_feed=reader)
    outage = PERMANENT.model_copy(update={"category": Category.FIVETRAN_INTERNAL, "pattern": "platform_outage"})
    rig.triage.process(sync_end("c1", 0), outage, now=at(1))  # fivetran_internal: held for siblings
    [confirmed] = rig.triage.sweep(now=at(500))
    refs = confirmed.incident.external_status
    assert [(r.source, r.name, r.status) for r in refs] == [
        ("Fivetran (simulated)", "Delayed syncs for some connectors", "investigating")
    ]
    assert any(e.source == "status:Fivetran (simulated)" for e in confirmed.incident.evidence)
    reader.active(Category.NETWORK)
    assert route.call_count == 1  # cached


@respx.mock
def test_given_status_feed_unreachable_when_reading_then_reported_not_raised() -> None:
    url = "http://127.0.0.1:8765/__sim/status/summary.json"
    respx.get(url).mock(side_effect=httpx.ConnectError("refused"))
    reader = StatusFeedReader(feeds_from_urls([url]), client=httpx.Client())
    assert reader.active(Category.DESTINATION) == []
    assert reader.errors == ["status feed feed1 unreadable: ConnectError"]


def test_given_only_degraded_component_when_read_then_component_reported() -> None:
    summary = {**SUMMARY, "incidents": []}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=summary))
    reader = StatusFeedReader(
        feeds_from_urls(["http://status.local/api/v2/summary.json"]), client=httpx.Client(transport=transport)
    )
    [ref] = reader.active(Category.DESTINATION)
    assert (ref.name, ref.status) == ("component Connectors", "partial_outage")


@respx.mock
def test_given_notifiers_dispatcher_when_sending_decision_then_owner_channel_gets_one_message(make_rig) -> None:
    from fivetran_recovery.notifiers import Dispatcher
    from fivetran_recovery.triage.notify import send_notifications

    rig = make_rig()
    opened = _critical_incident(rig)
    post = respx.post("https://slack.com/api/chat.postMessage").mock(
        return_value=httpx.Response(200, json={"ok": True, "channel": "C0ANALYTICS", "ts": "1.2"})
    )
    update = respx.post("https://slack.com/api/chat.update").mock(
        return_value=httpx.Response(200, json={"ok": True, "channel": "C0ANALYTICS", "ts": "1.2"})
    )
    pd = respx.post(ENQUEUE_URL).mock(return_value=httpx.Response(202, json={"status": "success"}))
    client = httpx.Client()
    dispatcher = Dispatcher([SlackNotifier(bot_token=SLACK_TOKEN, channel="#fallback", http_client=client)])
    pager_for = pager_resolver(rig.triage.routing, {"analytics": ROUTING_KEY}, client=client)
    sent = send_notifications(opened, dispatcher=dispatcher, incidents=rig.incidents, pager_for=pager_for)
    assert sent == (1, 1) and pd.call_count == 1
    assert json.loads(post.calls.last.request.content)["channel"] == "#analytics-incidents"
    assert rig.incidents.get(opened.incident.id).channel_message_ref == {
        "slack": {"channel": "C0ANALYTICS", "ts": "1.2"}
    }
    recovered = rig.triage.update_status(opened.incident.id, IncidentStatus.RECOVERED, now=at(60))
    assert send_notifications(recovered, dispatcher=dispatcher, incidents=rig.incidents, pager_for=pager_for) == (1, 0)
    assert post.call_count == 1 and update.call_count == 1
    assert json.loads(pd.calls.last.request.content)["event_action"] == "resolve"


def test_given_simulator_status_page_when_read_then_its_outage_is_reported() -> None:
    # The module alone (not the simulator package, whose __init__ starts a whole fake Fivetran).
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "local" / "simulator" / "status_feed.py"
    spec = importlib.util.spec_from_file_location("simulated_status_page", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = module.StatusFeed(now=lambda: datetime(2026, 11, 24, 10, tzinfo=UTC))
    page.set_outage("major")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=page.summary()))
    reader = StatusFeedReader(
        feeds_from_urls(["http://127.0.0.1:1/__sim/status/summary.json"]), client=httpx.Client(transport=transport)
    )
    [ref] = reader.active(Category.FIVETRAN_INTERNAL)
    assert ref.source == "Fivetran (simulated)" and ref.status == "investigating" and ref.impact == "major"


def test_given_block_kit_poster_when_dispatching_then_blocks_posted_then_updated(make_rig) -> None:
    from fivetran_recovery.triage.dispatch import BlockKitChannelSender

    class RecordingPoster:
        def __init__(self) -> None:
            self.calls: list[tuple[str, object, str, list]] = []

        def post_blocks(self, channel, text, blocks):
            self.calls.append(("post", channel, text, blocks))
            return {"channel": "C1", "ts": "9.9"}

        def update_blocks(self, ref, text, blocks):
            self.calls.append(("update", ref, text, blocks))

    rig = make_rig()
    opened = rig.triage.process(sync_end("c1", 0), PERMANENT, now=at(1))
    poster = RecordingPoster()
    dispatcher = NotificationDispatcher(
        incidents=rig.incidents, channel=BlockKitChannelSender(poster, default_channel="#fallback")
    )
    dispatcher.dispatch(opened.notifications)
    waiting = rig.triage.update_status(
        opened.incident.id, IncidentStatus.AWAITING_APPROVAL, now=at(20), note="resync table needs approval"
    )
    [result] = dispatcher.dispatch(waiting.notifications)
    assert result.channel_ok and result.page_ok is None
    (kind1, channel, _, blocks1), (kind2, ref, text, blocks2) = poster.calls
    assert (kind1, channel, kind2, ref) == ("post", "#data-platform-alerts", "update", {"channel": "C1", "ts": "9.9"})
    assert blocks1[0]["text"]["text"].startswith("Open:")
    assert text.startswith(":raised_hand: Waiting for approval") and "resync table needs approval" in str(blocks2)


class _Killed(BaseException):
    """The diagnose invocation died here (no `except Exception` sees it)."""


def test_given_the_root_message_posted_and_the_process_killed_before_its_ref_then_the_next_update_edits_it(
        make_rig, monkeypatch) -> None:
    """Issue 13, crash injection: the root message went out, the invocation died before the incident remembered
    its ref. The next notification finds the root by its dedupe key (Slack: message metadata; here the outbox)
    and updates it: one root message per incident, not two."""
    from fivetran_recovery.notifiers import Dispatcher, OutboxNotifier
    from fivetran_recovery.triage.notify import DispatcherChannelSender

    rig = make_rig()
    opened = rig.triage.process(sync_end("c1", 0), PERMANENT, now=at(1))
    outbox = OutboxNotifier()
    dispatcher = NotificationDispatcher(incidents=rig.incidents, channel=DispatcherChannelSender(Dispatcher([outbox])))
    real_update = rig.incidents.update
    monkeypatch.setattr(rig.incidents, "update", lambda *a, **k: (_ for _ in ()).throw(_Killed()))
    with pytest.raises(_Killed):
        dispatcher.dispatch(opened.notifications)
    monkeypatch.setattr(rig.incidents, "update", real_update)
    assert rig.incidents.get(opened.incident.id).channel_message_ref is None  # the ref was lost
    status = rig.triage.update_status(opened.incident.id, IncidentStatus.REMEDIATING, now=at(30), eta_seconds=900)
    [result] = dispatcher.dispatch(status.notifications)
    assert result.channel_ok, result
    assert [m["op"] for m in outbox.messages] == ["post", "update"]  # the root was found and edited
    assert rig.incidents.get(opened.incident.id).channel_message_ref == {"outbox": {"outbox_id": f"{opened.incident.id}:0"}}
