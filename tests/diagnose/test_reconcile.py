"""Reconciliation: a sync outcome no webhook reported is fed with the event key its webhook would have had."""

from __future__ import annotations

import httpx

from fivetran_recovery.diagnose.reconcile import Reconciler
from fivetran_recovery.fivetran import FivetranClient
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import HistoryRecord
from local.simulator import FivetranSimulator
from local.simulator.options import FAST


class History:
    def __init__(self) -> None:
        self.records: list[HistoryRecord] = []

    def recent(self, connection_id: str, *, limit: int = 20, since=None) -> list[HistoryRecord]:
        return [r for r in self.records if r.connection_id == connection_id][-limit:]

    def record(self, event: WebhookEvent) -> None:
        self.records.append(HistoryRecord(connection_id=event.connection_id or "", at=event.created,
                                          event=event.event, event_key=event.event_key, sync_id=event.sync_id,
                                          status=event.status))


def _setup():
    sim = FivetranSimulator(fidelity=FAST)
    webhooks: list[WebhookEvent] = []
    sim.configure_webhook(lambda body, headers: webhooks.append(WebhookEvent.model_validate_json(body)) or 200,
                          events=["sync_end"])
    client = FivetranClient(api_key=sim.api_key, api_secret=sim.api_secret, base_url="http://sim/v1",
                            http_client=httpx.Client(transport=sim.transport()), page_size=3)
    return sim, webhooks, client


def test_given_a_dropped_failure_webhook_when_reconciled_then_fed_once_with_the_webhooks_own_key() -> None:
    sim, webhooks, client = _setup()
    history, fed = History(), []
    sim.webhooks.drop["amber_falcon"] = {"sync_end"}
    sim.inject("amber_falcon", "oauth_expired")
    sim.sync("amber_falcon")
    sim.advance(900)
    sim.flush_webhooks()
    for event in webhooks:  # what the webhook path saw
        history.record(event)

    def handle(event: WebhookEvent) -> dict:
        fed.append(event)
        history.record(event)
        return {"action": "opened"}

    reconciler = Reconciler(fivetran=client, history=history, handle=handle)
    report = reconciler.run()
    assert report.connections == 8
    [event] = fed
    assert event.connection_id == "amber_falcon" and event.status == "FAILURE_WITH_TASK"
    assert event.sync_end.task_type == "reconnect" and "expired access/refresh token" in event.sync_end.reason
    _name, body = sim.webhooks.dropped[0]
    assert event.event_key == WebhookEvent.model_validate_json(body).event_key  # a late webhook is a duplicate
    assert reconciler.run().fed == []  # and a second run feeds nothing


def test_given_every_webhook_delivered_when_reconciled_then_nothing_is_fed() -> None:
    sim, webhooks, client = _setup()
    sim.advance(1800)
    sim.flush_webhooks()
    history = History()
    for event in webhooks:
        history.record(event)
    report = Reconciler(fivetran=client, history=history, handle=lambda e: None).run()
    assert report.fed == [] and report.syncs_read >= len(webhooks) > 0
    assert report.inactive_webhooks == []


def test_given_an_inactive_api_webhook_when_reconciled_then_it_is_reported() -> None:
    _sim, _webhooks, client = _setup()
    hook = client.create_account_webhook("https://hooks.example.invalid/x", ["sync_end"], active=False)
    report = Reconciler(fivetran=client, history=History(), handle=lambda e: None).run()
    assert report.inactive_webhooks == [hook.id]


def test_given_a_sync_that_just_ended_when_reconciled_then_it_settles_first_on_fivetrans_clock() -> None:
    from datetime import timedelta

    sim, _webhooks, client = _setup()
    sim.webhooks.drop["amber_falcon"] = {"sync_end"}  # its webhook is on its way (or lost: the next run decides)
    sim.inject("amber_falcon", "oauth_expired")
    sim.sync("amber_falcon")
    for _ in range(60):  # until the sync has just ended (in steps of 30 simulated seconds)
        sim.advance(30)
        if any(r.status == "FAILURE" for r in client.iter_sync_history("amber_falcon")):
            break
    fed: list[WebhookEvent] = []
    reconciler = Reconciler(fivetran=client, history=History(), handle=lambda e: fed.append(e) or {"action": "x"},
                            now=lambda: client.server_time(), settle=timedelta(minutes=5))
    report = reconciler.run()
    assert client.server_time() == sim.now().replace(microsecond=0)  # the simulator's clock, from its Date header
    settling = [s for s in report.settling if s["connection_id"] == "amber_falcon"]
    assert settling and 0 <= settling[0]["ended_seconds_ago"] < 300
    assert not [e for e in fed if e.connection_id == "amber_falcon"]
    sim.advance(300)  # five simulated minutes later nothing came: fed, with the key its webhook would have had
    again = reconciler.run()
    assert [f["connection_id"] for f in again.fed if f["status"] == "FAILURE_WITH_TASK"] == ["amber_falcon"]
    assert not [s for s in again.settling if s["connection_id"] == "amber_falcon"]
