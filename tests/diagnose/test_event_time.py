"""Event time is data, decisions run on our clock (issue 13, defects 1 and 5): every reordering and skew."""

from __future__ import annotations

from datetime import timedelta

from diagnose_rig import BLIP, T0, Rig, failure, sync_event

from fivetran_recovery.models.incident import IncidentStatus
from fivetran_recovery.models.webhook import WebhookEvent

NEXT_YEAR = T0 + timedelta(days=365)


def _future(connection: str, reason: str = BLIP) -> WebhookEvent:
    return WebhookEvent.model_validate({
        "event": "sync_end", "created": NEXT_YEAR.isoformat(), "connector_id": connection, "sync_id": "poison",
        "destination_group_id": "bq", "data": {"status": "FAILURE", "reason": reason}})


def test_given_a_webhook_dated_next_year_when_a_canary_blips_then_it_still_self_heals():
    rig = Rig()
    poison = rig.service.handle(_future("poison"))
    assert "ahead of our clock" in " ".join(poison.notes)
    rig.service.handle(failure("canary", 0, BLIP))
    rig.now = T0 + timedelta(seconds=10)
    assert rig.service.sweep() == []  # the poison's date moved no clock: the canary's hold still runs
    healed = rig.service.handle(sync_event("canary", 30))
    assert healed.action == "self_healed" and rig.started == {} and rig.deep_calls == 0


def test_given_a_webhook_dated_next_year_then_it_is_ordered_as_received_and_its_redelivery_is_one_event():
    rig = Rig()
    first = rig.service.handle(_future("poison"))
    rig.now = T0 + timedelta(seconds=5)
    again = rig.service.handle(_future("poison"))
    assert again.action == "ignored" and again.incident_id == first.incident_id  # same event key
    incident = rig.incidents.get(first.incident_id)
    assert incident.counts.failures == 1 and incident.first_seen == T0 and incident.is_pending
    later = rig.service.handle(sync_event("poison", 30))  # its connection recovers: a normal self-heal
    assert later.action == "self_healed"


def test_given_our_clock_behind_fivetran_within_the_skew_then_events_keep_their_own_times():
    rig = Rig()
    rig.service.handle(failure("c1", 120, BLIP))  # two minutes ahead of us: trusted
    incident = rig.incidents.all()[0]
    assert incident.first_seen == T0 + timedelta(seconds=120)
    assert incident.hold_until == T0 + timedelta(seconds=60)  # the hold runs on our clock
    rig.now = T0 + timedelta(seconds=61)
    assert [d.action for d in rig.service.sweep()] == ["confirmed"]


def test_given_a_failure_redelivered_6h_after_the_connection_recovered_then_no_incident_and_no_page():
    rig = Rig()
    late = failure("c1", 0, BLIP)
    rig.service.handle(late)
    healed = rig.service.handle(sync_event("c1", 30))
    assert healed.action == "self_healed"
    rig.now = T0 + timedelta(hours=6)
    replay = rig.service.handle(late)
    assert replay.action == "stale" and replay.notifications == 0 and replay.pages == 0
    assert [i.status for i in rig.incidents.all()] == [IncidentStatus.SELF_HEALED]
    assert rig.service.sweep() == [] and rig.started == {}


def test_given_an_older_failure_delivered_after_a_success_then_it_is_recorded_and_changes_nothing():
    rig = Rig()
    opened = rig.service.handle(failure("c1", 0))  # per-connection cause: confirmed, workflow started
    rig.service.handle(sync_event("c1", 100))  # recovered
    rig.now = T0 + timedelta(seconds=200)
    older = rig.service.handle(failure("c1", 50))  # a failed sync from before the success, delivered late
    assert older.action == "stale" and older.incident_id is None
    assert len(rig.incidents.all()) == 1 and len(rig.started) == 1
    assert rig.incidents.get(opened.incident_id).status is IncidentStatus.RECOVERED
    assert any(r.event_key == failure("c1", 50).event_key for r in rig.service.history.recent("c1"))


def test_given_a_success_older_than_the_latest_failure_then_the_incident_stays_open():
    rig = Rig()
    opened = rig.service.handle(failure("c1", 0))
    rig.service.handle(failure("c1", 100))  # failed again
    late_success = rig.service.handle(sync_event("c1", 50))  # between the two failures, delivered last
    incident = rig.incidents.get(opened.incident_id)
    assert incident.is_open and late_success.action != "recovered"
    assert rig.service.handle(sync_event("c1", 150)).action == "recovered"


def test_given_a_pending_blip_and_an_older_success_then_it_does_not_self_heal():
    rig = Rig()
    rig.service.handle(failure("c1", 10, BLIP))
    early = rig.service.handle(sync_event("c1", 5))
    assert early.action != "self_healed" and rig.incidents.all()[0].is_pending


def test_given_a_sync_end_stamped_before_its_sync_start_then_it_is_placed_at_the_start():
    rig = Rig()
    rig.service.handle(sync_event("c1", 60, sync_id="s0"))  # last success at +60
    rig.service.handle(sync_event("c1", 100, "sync_start", status=None, sync_id="s1"))
    skewed = failure("c1", 50).model_copy(update={"sync_id": "s1"})  # its end stamped before its start
    outcome = rig.service.handle(skewed)
    assert "before its own sync_start" in " ".join(outcome.notes)
    assert outcome.action == "open" and outcome.execution  # a real failure, not mistaken for a stale one
    assert rig.incidents.get(outcome.incident_id).first_seen == T0 + timedelta(seconds=100)


def test_given_a_sync_start_delivered_after_its_end_then_it_is_recorded_at_the_end():
    rig = Rig()
    rig.service.handle(sync_event("c1", 10, sync_id="s2"))
    outcome = rig.service.handle(sync_event("c1", 20, "sync_start", status=None, sync_id="s2"))
    assert "after its own sync_end" in " ".join(outcome.notes)
    starts = [r for r in rig.service.history.recent("c1") if r.event == "sync_start"]
    assert [r.at for r in starts] == [T0 + timedelta(seconds=10)]
