"""Triage.process / sweep / update_status, on in-memory stores and on moto DynamoDB (parametrised `backend`)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from triage_helpers import PERMANENT, SHARED_PERMANENT, TRANSIENT, at, diag, sync_end

from fivetran_recovery.models.diagnosis import Category, Evidence
from fivetran_recovery.models.incident import IncidentKind, IncidentStatus
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import DigestKind
from fivetran_recovery.triage.decision import NotificationKind, PageAction, TriageAction
from fivetran_recovery.triage.policy import TriagePolicy

CRITICAL_DEST = "bq_analytics_prod"  # owners: analytics-eng, critical


# ---------------------------------------------------------------- not failures
def test_given_test_delivery_when_processed_then_ignored(make_rig) -> None:
    rig = make_rig()
    event = WebhookEvent.model_validate(
        {
            "event": "sync_end",
            "created": at(0).isoformat(),
            "connector_id": "_connector_1",
            "destination_group_id": "_destination_1",
        }
    )
    decision = rig.triage.process(event, TRANSIENT, now=at(1))
    assert decision.action is TriageAction.IGNORED
    assert decision.incident is None and not decision.notifications


def test_given_rescheduled_when_processed_then_not_a_failure_and_no_incident(make_rig) -> None:
    rig = make_rig()
    reason = (
        "We have rescheduled the connection to force flush data from the forward sync into your destination. "
        "This is intended behavior"
    )
    decision = rig.triage.process(sync_end("c1", 0, "RESCHEDULED", reason=reason), TRANSIENT, now=at(1))
    assert decision.action is TriageAction.NOT_A_FAILURE
    assert rig.incidents.list_by_connection("c1") == []


def test_given_rescheduled_on_a_manual_schedule_when_processed_then_an_incident_waits_it_out(make_rig) -> None:
    rig = make_rig()
    reason = "Rate limit exceeded. Sync rescheduled."
    event = sync_end("c1", 0, "RESCHEDULED", reason=reason)
    decision = rig.triage.process(event, TRANSIENT, now=at(1), manual_schedule=True)
    assert decision.action is TriageAction.OPEN
    assert [i.connection_id for i in rig.incidents.list_by_connection("c1")] == ["c1"]


def test_given_cancel_by_user_when_processed_then_not_a_failure_and_not_in_digest(make_rig) -> None:
    rig = make_rig()
    reason = "Sync has been cancelled because of a user action in the dashboard.Standard Config updated."
    decision = rig.triage.process(sync_end("c1", 0, "CANCELED", reason=reason), TRANSIENT, now=at(1))
    assert decision.action is TriageAction.NOT_A_FAILURE
    assert rig.digest.between(at(-60), at(60)) == []


def test_given_cancel_without_user_when_processed_then_listed_in_digest(make_rig) -> None:
    rig = make_rig()
    decision = rig.triage.process(sync_end("c1", 0, "CANCELED", reason="Sync timed out"), TRANSIENT, now=at(1))
    assert decision.action is TriageAction.NOT_A_FAILURE
    [entry] = rig.digest.between(at(-60), at(60))
    assert entry.kind is DigestKind.CANCELED_UNATTRIBUTED and entry.connection_id == "c1"


def test_given_sync_start_when_processed_then_ignored(make_rig) -> None:
    rig = make_rig()
    event = WebhookEvent.model_validate({"event": "sync_start", "created": at(0).isoformat(), "connector_id": "c1"})
    assert rig.triage.process(event, TRANSIENT, now=at(1)).action is TriageAction.IGNORED


# ---------------------------------------------------------------- debounce
def test_given_retryable_failure_when_success_within_window_then_self_healed_without_page(make_rig) -> None:
    rig = make_rig()
    opened = rig.triage.process(sync_end("c1", 0, destination=CRITICAL_DEST), TRANSIENT, now=at(1))
    assert opened.action is TriageAction.OPEN
    assert opened.incident.is_pending and not opened.should_diagnose_deeply and not opened.notifications
    healed = rig.triage.process(
        sync_end("c1", 300, "SUCCESSFUL", destination=CRITICAL_DEST, reason=None), TRANSIENT, now=at(301)
    )
    assert healed.action is TriageAction.SELF_HEALED
    assert healed.incident.status is IncidentStatus.SELF_HEALED
    assert healed.notifications == []
    assert [d.action for d in rig.triage.sweep(now=at(5000))] == []
    [entry] = rig.digest.between(at(-60), at(600))
    assert entry.kind is DigestKind.SELF_HEALED and entry.incident_id == opened.incident.id


def test_given_pending_failure_when_it_fails_again_then_confirmed_once_with_deep_diagnosis_and_page(make_rig) -> None:
    rig = make_rig()
    rig.triage.process(sync_end("c1", 0, destination=CRITICAL_DEST), TRANSIENT, now=at(1))
    again = rig.triage.process(sync_end("c1", 120, destination=CRITICAL_DEST), TRANSIENT, now=at(121))
    assert again.action is TriageAction.ATTACH
    assert again.should_diagnose_deeply and again.should_start_workflow
    [note] = again.notifications
    assert note.kind is NotificationKind.INCIDENT_OPENED and note.page is PageAction.TRIGGER
    assert note.channel == "#analytics-incidents"
    third = rig.triage.process(sync_end("c1", 240, destination=CRITICAL_DEST), TRANSIENT, now=at(241))
    assert third.action is TriageAction.ATTACH and not third.should_diagnose_deeply and not third.notifications
    assert third.incident.counts.failures == 3


def test_given_pending_failure_when_window_passes_then_sweep_confirms_exactly_once(make_rig) -> None:
    rig = make_rig(policy=TriagePolicy(self_heal_window_seconds=600))
    opened = rig.triage.process(sync_end("c1", 0), TRANSIENT, now=at(1))
    assert rig.triage.sweep(now=at(599)) == []
    [confirmed] = rig.triage.sweep(now=at(601))
    assert confirmed.action is TriageAction.CONFIRMED and confirmed.incident.id == opened.incident.id
    assert confirmed.should_diagnose_deeply
    assert confirmed.notifications[0].page is None  # medium criticality: channel only
    assert rig.triage.sweep(now=at(700)) == []


def test_given_per_connection_cause_when_failing_then_confirmed_immediately(make_rig) -> None:
    rig = make_rig()
    decision = rig.triage.process(sync_end("c1", 0), PERMANENT, now=at(1))
    assert decision.action is TriageAction.OPEN and decision.should_diagnose_deeply
    assert decision.incident.confirmed_at is not None and len(decision.notifications) == 1


def test_given_same_event_redelivered_when_processed_then_counted_once(make_rig) -> None:
    rig = make_rig()
    event = sync_end("c1", 0, sync_id="s-1")
    rig.triage.process(event, TRANSIENT, now=at(1))
    again = rig.triage.process(event, TRANSIENT, now=at(30))
    assert again.action is TriageAction.IGNORED and "redelivery" in again.reason
    assert again.incident.counts.failures == 1


def test_given_tables_differ_when_failing_then_separate_fingerprints(make_rig) -> None:
    rig = make_rig()
    one = rig.triage.process(sync_end("c1", 0), diag(evidence=[Evidence(source="table", detail="public.a")]), now=at(1))
    two = rig.triage.process(sync_end("c1", 5), diag(evidence=[Evidence(source="table", detail="public.b")]), now=at(6))
    assert one.incident.id != two.incident.id
    assert one.incident.fingerprint.endswith(":public.a")


# ---------------------------------------------------------------- suppression
def test_given_maintenance_window_when_failing_then_suppressed_and_in_digest(make_rig) -> None:
    maintenance = {
        "windows": [
            {
                "name": "warehouse-move",
                "reason": "moving",
                "scope": {"destinations": ["dest_a"]},
                "start": at(-60).isoformat(),
                "end": at(3600).isoformat(),
            }
        ]
    }
    rig = make_rig(maintenance=maintenance)
    decision = rig.triage.process(sync_end("c1", 0), PERMANENT, now=at(1))
    assert decision.action is TriageAction.SUPPRESSED and "warehouse-move" in decision.reason
    assert rig.incidents.list_by_connection("c1") == []
    [entry] = rig.digest.between(at(-60), at(60))
    assert (entry.kind, entry.rule, entry.event_key) == (DigestKind.SUPPRESSED, "warehouse-move", decision.event_key)
    after = rig.triage.process(sync_end("c1", 3700), PERMANENT, now=at(3701))
    assert after.action is TriageAction.OPEN  # the window ended: failures count again


# ---------------------------------------------------------------- correlation
def test_given_three_connections_same_destination_and_pattern_then_one_parent(make_rig) -> None:
    rig = make_rig()
    first = rig.triage.process(sync_end("c1", 0), TRANSIENT, now=at(1))
    second = rig.triage.process(sync_end("c2", 10), TRANSIENT, now=at(11))
    assert (first.action, second.action) == (TriageAction.OPEN, TriageAction.OPEN)
    third = rig.triage.process(sync_end("c3", 20), TRANSIENT, now=at(21))
    assert third.action is TriageAction.CORRELATED_PARENT_OPENED
    parent = third.parent
    assert parent.kind is IncidentKind.PARENT and sorted(parent.child_connections) == ["c1", "c2", "c3"]
    assert parent.counts.failures == 3 and not third.should_diagnose_deeply
    fourth = rig.triage.process(sync_end("c4", 30), TRANSIENT, now=at(31))
    assert fourth.action is TriageAction.CORRELATED_CHILD and fourth.parent.id == parent.id
    assert rig.incidents.get(first.incident.id).parent_id == parent.id
    other = rig.triage.process(sync_end("c5", 40), diag(pattern="tls_handshake_failed"), now=at(41))
    assert other.action is TriageAction.OPEN and other.incident.parent_id is None
    repeat = rig.triage.process(sync_end("c2", 400), TRANSIENT, now=at(401))
    assert repeat.action is TriageAction.CORRELATED_CHILD and repeat.should_diagnose_deeply
    assert repeat.parent.confirmed_at is not None and repeat.notifications[0].incident_id == parent.id


def test_given_same_pattern_on_many_destinations_then_pattern_parent(make_rig) -> None:
    rig = make_rig()
    outage = diag(Category.FIVETRAN_INTERNAL, "platform_outage", retryable=True)
    decisions = [rig.triage.process(sync_end(f"c{i}", i, destination=f"d{i}"), outage, now=at(i + 1)) for i in range(5)]
    assert decisions[-1].action is TriageAction.CORRELATED_PARENT_OPENED
    assert decisions[-1].parent.destination_group_id is None
    assert decisions[-1].parent.correlation_key == "pattern:fivetran_internal:platform_outage"


def test_given_pending_parent_when_every_child_succeeds_then_parent_self_healed(make_rig) -> None:
    rig = make_rig()
    for i in range(3):
        rig.triage.process(sync_end(f"c{i}", i), TRANSIENT, now=at(i + 1))
    results = [
        rig.triage.process(sync_end(f"c{i}", 200 + i, "SUCCESSFUL", reason=None), TRANSIENT, now=at(201 + i))
        for i in range(3)
    ]
    assert all(r.action is TriageAction.SELF_HEALED for r in results)
    assert results[-1].parent.status is IncidentStatus.SELF_HEALED
    assert not any(r.notifications for r in results)


def test_given_confirmed_parent_when_children_recover_then_recovered_and_page_resolved(make_rig) -> None:
    rig = make_rig()
    for i in range(3):
        rig.triage.process(sync_end(f"c{i}", i, destination=CRITICAL_DEST), TRANSIENT, now=at(i + 1))
    confirmed = rig.triage.process(sync_end("c0", 100, destination=CRITICAL_DEST), TRANSIENT, now=at(101))
    assert confirmed.notifications[0].page is PageAction.TRIGGER
    outcomes = [
        rig.triage.process(
            sync_end(f"c{i}", 500 + i, "SUCCESSFUL", destination=CRITICAL_DEST, reason=None), TRANSIENT, now=at(501 + i)
        )
        for i in range(3)
    ]
    assert [o.action for o in outcomes] == [TriageAction.RECOVERED] * 3
    assert not outcomes[0].notifications
    [note] = outcomes[-1].notifications
    assert note.kind is NotificationKind.RECOVERED and note.page is PageAction.RESOLVE
    assert rig.incidents.get(confirmed.parent.id).status is IncidentStatus.RECOVERED


def test_given_confirmed_single_when_success_then_recovered_notification(make_rig) -> None:
    rig = make_rig()
    opened = rig.triage.process(sync_end("c1", 0), PERMANENT, now=at(1))
    recovered = rig.triage.process(sync_end("c1", 900, "SUCCESSFUL", reason=None), TRANSIENT, now=at(901))
    assert recovered.action is TriageAction.RECOVERED
    assert recovered.notifications[0].kind is NotificationKind.RECOVERED
    assert recovered.notifications[0].page is None  # never paged: nothing to resolve
    similar = rig.incidents.list_similar_closed(opened.incident.signature)
    assert [s.incident_id for s in similar] == [opened.incident.id]


def test_given_shared_cause_permanent_failure_when_siblings_follow_then_grouped_before_anyone_is_paged(
    make_rig,
) -> None:
    rig = make_rig()
    decisions = [rig.triage.process(sync_end(f"c{i}", i * 10), SHARED_PERMANENT, now=at(i * 10 + 1)) for i in range(3)]
    assert not any(d.should_diagnose_deeply for d in decisions)  # held for the group wait, then grouped
    [confirmed] = rig.triage.sweep(now=at(200))
    assert confirmed.incident.kind is IncidentKind.PARENT and confirmed.incident.child_count == 3


def test_given_a_storm_under_one_parent_then_its_document_is_not_rewritten_per_child_and_closing_it_closes_all(
    make_rig,
) -> None:
    rig = make_rig()
    first = [rig.triage.process(sync_end(f"c{i}", i), TRANSIENT, now=at(i + 1)) for i in range(12)]
    again = [rig.triage.process(sync_end(f"c{i}", 400 + i), TRANSIENT, now=at(401 + i)) for i in range(12)]
    parent_id = first[-1].parent.id
    assert {d.parent.id for d in again} == {parent_id}
    parent = rig.incidents.get(parent_id)
    assert parent.child_count == 12 and parent.counts.failures == 24 and parent.open_child_count == 12
    assert parent.version <= 4  # created, took in its first members, confirmed: never once per child (issue 13)
    assert len(parent.document()) < 6_000 and len(parent.child_sample) == 10
    rig.triage.update_status(parent_id, IncidentStatus.RECOVERED, now=at(900), note="fixed")
    children = rig.incidents.children(parent_id)
    assert len(children) == 12 and all(not rig.incidents.get(c.incident_id).is_open for c in children)
    assert rig.incidents.get(parent_id).closed_child_count == 12


# ---------------------------------------------------------------- workflow status updates
def test_given_confirmed_incident_when_workflow_reports_status_then_channel_update_with_eta(make_rig) -> None:
    rig = make_rig()
    opened = rig.triage.process(sync_end("c1", 0, destination=CRITICAL_DEST), PERMANENT, now=at(1))
    diagnosed = rig.triage.update_status(opened.incident.id, IncidentStatus.DIAGNOSED, now=at(5))
    assert diagnosed.notifications[0].kind is NotificationKind.STATUS_UPDATE
    remediating = rig.triage.update_status(
        opened.incident.id, IncidentStatus.REMEDIATING, now=at(10), eta_seconds=600, note="force sync"
    )
    [note] = remediating.notifications
    assert note.eta_seconds == 600 and note.page is PageAction.ACKNOWLEDGE
    recovered = rig.triage.update_status(opened.incident.id, IncidentStatus.RECOVERED, now=at(700))
    assert recovered.notifications[0].page is PageAction.RESOLVE
    assert rig.incidents.find_open("c1", opened.incident.fingerprint) is None
    with pytest.raises(ValueError, match="set by triage"):
        rig.triage.update_status(opened.incident.id, IncidentStatus.SELF_HEALED, now=at(800))


# ---------------------------------------------------------------- concurrency
def test_given_concurrent_consumers_when_same_fingerprint_fails_then_one_incident(make_rig) -> None:
    rig = make_rig()
    events = [sync_end("c1", i * 0.001, sync_id=f"s{i}") for i in range(6)]
    decisions = []
    barrier = threading.Barrier(len(events))

    def run(event: WebhookEvent) -> None:
        barrier.wait()
        decisions.append(rig.triage.process(event, PERMANENT, now=event.created + timedelta(seconds=1)))

    threads = [threading.Thread(target=run, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    incidents = rig.incidents.list_by_connection("c1")
    assert len(incidents) == 1 and incidents[0].counts.failures == 6
    assert sum(d.should_diagnose_deeply for d in decisions) == 1
    assert sorted(d.action.value for d in decisions) == ["attach"] * 5 + ["open"]


def test_given_suppressed_and_self_healed_events_when_digest_built_then_counted_and_listed(make_rig) -> None:
    from fivetran_recovery.triage.digest import build_digest

    maintenance = {
        "windows": [
            {
                "name": "move",
                "reason": "moving",
                "scope": {"connections": ["c9"]},
                "start": at(-60).isoformat(),
                "end": at(3600).isoformat(),
            }
        ]
    }
    rig = make_rig(maintenance=maintenance)
    for i in range(3):
        rig.triage.process(sync_end("c9", i * 60), PERMANENT, now=at(i * 60 + 1))
    failure = sync_end("c1", 0)
    rig.triage.process(failure, TRANSIENT, now=at(1))
    rig.triage.process(sync_end("c1", 200, "SUCCESSFUL", reason=None), TRANSIENT, now=at(201))
    report = build_digest(rig.digest, since=at(-600), until=at(600))
    assert report.total == 4 and report.by_kind == {"suppressed": 3, "self_healed": 1}
    assert report.by_rule == {"move": 3} and report.by_connection == {"c9": 3, "c1": 1}
    healed = next(e for e in report.entries if e.kind is DigestKind.SELF_HEALED)
    assert healed.related_event_keys == [failure.event_key]
    assert "move: 3" in report.render_text()


def test_given_unpaged_high_incident_when_escalated_then_page_triggered_once(make_rig) -> None:
    owners = {
        "default": {"owner": "data-platform", "criticality": "high"},
        "teams": {"data-platform": {"channel": "#dp", "pagerduty_service": "dp"}},
    }
    rig = make_rig(owners=owners)
    opened = rig.triage.process(sync_end("c1", 0), PERMANENT, now=at(1))
    assert opened.notifications[0].page is None  # high, not critical: channel only at first
    escalated = rig.triage.update_status(
        opened.incident.id, IncidentStatus.ESCALATED, now=at(90), note="approval timed out"
    )
    assert escalated.notifications[0].page is PageAction.TRIGGER and escalated.incident.paged
    closed = rig.triage.update_status(opened.incident.id, IncidentStatus.CLOSED, now=at(99))
    assert closed.notifications[0].page is PageAction.RESOLVE
