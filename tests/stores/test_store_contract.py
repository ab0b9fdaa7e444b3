"""One contract, two implementations: the in-memory stores behave like the DynamoDB ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fivetran_recovery.models.diagnosis import Category, Diagnosis
from fivetran_recovery.models.incident import Incident, IncidentKind, IncidentStatus
from fivetran_recovery.stores.base import (
    AlreadyOpenError,
    CorrelationSignal,
    DigestEntry,
    DigestKind,
    HistoryRecord,
    IncidentNotFoundError,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # the same instant as conftest's fixed clock


def _incident(incident_id: str, connection: str = "c1", *, hold: int | None = None, **extra) -> Incident:
    return Incident(
        id=incident_id,
        fingerprint=f"{connection}:network:connection_reset",
        signature="network:connection_reset",
        connection_id=connection,
        destination_group_id="dest_a",
        category=Category.NETWORK,
        pattern="connection_reset",
        first_seen=NOW,
        last_seen=NOW,
        hold_until=NOW + timedelta(seconds=hold) if hold is not None else None,
        confirmed_at=None if hold is not None else NOW,
        **extra,
    )


def test_given_open_incident_when_same_fingerprint_created_then_already_open(stores) -> None:
    created = stores.incidents.create(_incident("inc-1"))
    assert created.version == 1
    with pytest.raises(AlreadyOpenError) as info:
        stores.incidents.create(_incident("inc-2"))
    assert info.value.existing_id == "inc-1"
    assert stores.incidents.find_open("c1", created.fingerprint).id == "inc-1"
    assert stores.incidents.get("inc-2") is None


def test_given_incident_when_updated_then_version_increments_and_none_means_no_write(stores) -> None:
    stores.incidents.create(_incident("inc-1"))

    def bump(incident: Incident) -> Incident:
        incident.counts.failures += 1
        return incident

    assert stores.incidents.update("inc-1", bump).version == 2
    assert stores.incidents.update("inc-1", lambda i: None).version == 2
    assert stores.incidents.get("inc-1").counts.failures == 1
    with pytest.raises(IncidentNotFoundError):
        stores.incidents.update("missing", bump)


def test_given_incident_closed_then_lock_released_and_similar_listed_newest_first(stores) -> None:
    for number, connection in enumerate(["c1", "c2"]):
        stores.incidents.create(_incident(f"inc-{number}", connection))

        def close(incident: Incident, n: int = number) -> Incident:
            incident.status = IncidentStatus.RECOVERED
            incident.closed_at = NOW + timedelta(minutes=n)
            return incident

        stores.incidents.update(f"inc-{number}", close)
    assert stores.incidents.find_open("c1", "c1:network:connection_reset") is None
    similar = stores.incidents.list_similar_closed("network:connection_reset")
    assert [s.incident_id for s in similar] == ["inc-1", "inc-0"]
    reopened = stores.incidents.create(_incident("inc-9"))  # the fingerprint can open again
    assert stores.incidents.find_open("c1", reopened.fingerprint).id == "inc-9"


def test_given_incidents_when_listed_by_connection_and_scope_then_newest_first(stores) -> None:
    stores.incidents.create(_incident("inc-a"))
    later = _incident("inc-b").model_copy(update={"fingerprint": "c1:network:tls", "first_seen": NOW + timedelta(1)})
    stores.incidents.create(later)
    stores.incidents.create(_incident("inc-c", "c2"))
    assert [i.id for i in stores.incidents.list_by_connection("c1")] == ["inc-b", "inc-a"]
    assert sorted(i.id for i in stores.incidents.open_in_scope("c1")) == ["inc-a", "inc-b"]
    parent = _incident("inc-p", "c9").model_copy(
        update={
            "kind": IncidentKind.PARENT,
            "connection_id": None,
            "fingerprint": "dest:dest_a:network:connection_reset",
            "correlation_key": "dest:dest_a:network:connection_reset",
        }
    )
    stores.incidents.create(parent)
    assert [i.id for i in stores.incidents.list_by_destination("dest_a")] == ["inc-p"]
    assert stores.incidents.find_open("corr:dest:dest_a:network:connection_reset", parent.fingerprint).id == "inc-p"


def test_given_pending_incidents_when_hold_passes_then_due_until_confirmed(stores) -> None:
    stores.incidents.create(_incident("inc-1", "c1", hold=60))
    stores.incidents.create(_incident("inc-2", "c2", hold=600))
    stores.incidents.create(_incident("inc-3", "c3"))  # confirmed: never due
    assert stores.incidents.due_for_confirmation(NOW + timedelta(seconds=59)) == []
    assert stores.incidents.due_for_confirmation(NOW + timedelta(seconds=60)) == ["inc-1"]

    def confirm(incident: Incident) -> Incident:
        incident.confirmed_at, incident.hold_until = NOW, None
        return incident

    stores.incidents.update("inc-1", confirm)
    assert stores.incidents.due_for_confirmation(NOW + timedelta(hours=1)) == ["inc-2"]

    def extend(incident: Incident) -> Incident:
        incident.hold_until = NOW + timedelta(hours=2)
        return incident

    stores.incidents.update("inc-2", extend)
    assert stores.incidents.due_for_confirmation(NOW + timedelta(hours=1)) == []


def test_given_confirmed_incidents_without_workflow_then_listed_until_started_or_closed(stores) -> None:
    stores.incidents.create(_incident("inc-1", "c1"))  # confirmed at NOW, no workflow yet
    stores.incidents.create(_incident("inc-2", "c2", hold=60))  # pending: not confirmed
    stores.incidents.create(_incident("inc-3", "c3"))
    assert stores.incidents.awaiting_workflow(NOW - timedelta(seconds=1)) == []
    assert stores.incidents.awaiting_workflow(NOW) == ["inc-1", "inc-3"]

    def started(incident: Incident) -> Incident:
        incident.workflow_started_at = NOW
        return incident

    def escalated(incident: Incident) -> Incident:
        incident.status = IncidentStatus.ESCALATED
        return incident

    stores.incidents.update("inc-1", started)
    stores.incidents.update("inc-3", escalated)
    assert stores.incidents.awaiting_workflow(NOW + timedelta(hours=1)) == []


def test_given_signals_when_queried_since_then_window_applies(stores) -> None:
    for minutes, connection in [(0, "c1"), (10, "c2"), (40, "c3"), (41, "c2")]:
        stores.correlation.record(
            CorrelationSignal(
                key="dest:d:network:x",
                connection_id=connection,
                incident_id=f"i-{connection}",
                at=NOW + timedelta(minutes=minutes),
            ),
            ttl_seconds=3600,
        )
    assert stores.correlation.connections_since("dest:d:network:x", NOW + timedelta(minutes=10)) == {
        "c2": "i-c2",
        "c3": "i-c3",
    }
    assert stores.correlation.connections_since("dest:other", NOW) == {}


def test_given_digest_entries_across_days_when_listed_then_between_bounds(stores) -> None:
    for hours in (-30, -1, 2, 30):
        stores.digest.add(
            DigestEntry(
                at=NOW + timedelta(hours=hours),
                kind=DigestKind.SUPPRESSED,
                connection_id="c1",
                event_key=f"k{hours}",
                rule="w1",
            )
        )
    stores.digest.add(
        DigestEntry(
            at=NOW + timedelta(hours=2), kind=DigestKind.SUPPRESSED, connection_id="c1", event_key="k2", rule="w1"
        )
    )  # a redelivery: listed once
    found = stores.digest.between(NOW - timedelta(hours=2), NOW + timedelta(hours=29))
    assert [e.event_key for e in found] == ["k-1", "k2"]


def test_given_history_when_recorded_then_recent_newest_first(stores) -> None:
    for minutes, status in [(0, "FAILURE"), (15, "FAILURE"), (30, "SUCCESSFUL")]:
        stores.history.record(
            HistoryRecord(
                connection_id="c1",
                at=NOW + timedelta(minutes=minutes),
                event="sync_end",
                event_key=f"k{minutes}",
                status=status,
            )
        )
    stores.history.record(
        HistoryRecord(
            connection_id="c1", at=NOW + timedelta(minutes=30), event="sync_end", event_key="k30", status="SUCCESSFUL"
        )
    )  # redelivery overwrites
    assert [r.status for r in stores.history.recent("c1")] == ["SUCCESSFUL", "FAILURE", "FAILURE"]
    assert [r.event_key for r in stores.history.recent("c1", limit=1)] == ["k30"]
    assert [r.event_key for r in stores.history.recent("c1", since=NOW + timedelta(minutes=10))] == ["k30", "k15"]
    assert stores.history.recent("nobody") == []


def test_given_llm_result_when_cached_then_same_model_returned_by_signature(stores) -> None:
    assert stores.llm_cache.get("sig-1") is None
    diagnosis = Diagnosis(category=Category.NETWORK, pattern="connection_reset", retryable=True, confidence=0.7)
    stores.llm_cache.put("sig-1", diagnosis)
    assert stores.llm_cache.get("sig-1") == diagnosis
    stores.llm_cache.put("sig-plain", {"verdict": "inconclusive"})
    assert stores.llm_cache.get("sig-plain") == {"verdict": "inconclusive"}
    assert stores.llm_cache.get("sig-2") is None


def test_given_dynamo_llm_cache_when_expired_then_miss(stores) -> None:
    if not hasattr(stores.llm_cache, "_ttl"):
        pytest.skip("expiry is a DynamoDB-store concern (TTL deletion is lazy, so reads check it)")
    stores.llm_cache.put("sig", {"a": 1})
    stores.clock["now"] = NOW + timedelta(hours=2)
    assert stores.llm_cache.get("sig") is None


def test_given_rca_llm_result_when_cached_then_it_comes_back_as_an_llm_result(stores) -> None:
    from fivetran_recovery.rca.llm import LlmResult

    diagnosis = Diagnosis(
        category=Category.DESTINATION,
        pattern="warehouse_concurrency_limit",
        retryable=True,
        confidence=0.8,
        analyzer="llm",
    )
    result = LlmResult(diagnosis=diagnosis, calls=1, model="claude-sonnet-4-5")
    stores.llm_cache.put("sig-llm", result)
    cached = stores.llm_cache.get("sig-llm")
    assert isinstance(cached, LlmResult) and cached == result
