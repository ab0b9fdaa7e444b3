"""A parent's children are their own entries: the contract both incident stores keep (issue 13, scale).

Each child's own write records it under its parent and counts on the parent atomically, so the parent's document
is never rewritten for a child, its counters never drift from its children's, a child cannot join a closed parent
and a parent cannot close on a stale count of its children.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.models.incident import Incident, IncidentKind, IncidentStatus
from fivetran_recovery.stores.base import ParentClosedError

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _parent(incident_id: str = "inc-p") -> Incident:
    return Incident(id=incident_id, kind=IncidentKind.PARENT, fingerprint="dest:d1:network:connection_reset",
                    signature="network:connection_reset", correlation_key="dest:d1:network:connection_reset",
                    destination_group_id="d1", category=Category.NETWORK, pattern="connection_reset",
                    first_seen=NOW, last_seen=NOW, confirmed_at=NOW)


def _child(n: int, parent_id: str | None = "inc-p", *, at: datetime = NOW) -> Incident:
    incident = Incident(id=f"inc-c{n:04d}", kind=IncidentKind.CHILD if parent_id else IncidentKind.SINGLE,
                        parent_id=parent_id, fingerprint=f"c{n}:network:connection_reset",
                        signature="network:connection_reset", connection_id=f"c{n}", destination_group_id="d1",
                        category=Category.NETWORK, pattern="connection_reset", first_seen=at, last_seen=at,
                        confirmed_at=None if parent_id else NOW)
    incident.counts.events = incident.counts.failures = 1
    return incident


def _fail_again(at: datetime):
    def mutate(incident: Incident) -> Incident:
        incident.counts.events += 1
        incident.counts.failures += 1
        incident.last_seen = max(incident.last_seen, at)
        return incident

    return mutate


def _close(at: datetime):
    def mutate(incident: Incident) -> Incident | None:
        if not incident.is_open:
            return None
        incident.counts.events += 1
        incident.counts.successes += 1
        incident.status = IncidentStatus.RECOVERED
        incident.closed_at = at
        return incident

    return mutate


def _adopt(parent_id: str):
    def mutate(incident: Incident) -> Incident:
        incident.kind = IncidentKind.CHILD
        incident.parent_id = parent_id
        return incident

    return mutate


def test_given_children_then_each_is_its_own_entry_and_the_parent_document_is_not_rewritten(stores) -> None:
    incidents = stores.incidents
    incidents.create(_parent())
    for n in range(14):
        incidents.create(_child(n))
    incidents.create(_child(99, parent_id=None))
    incidents.update("inc-c0099", _adopt("inc-p"))  # a single adopted: counted once, with what it had
    incidents.update("inc-c0099", _adopt("inc-p"))  # the same again changes nothing on the parent
    for n in range(5):
        incidents.update(f"inc-c{n:04d}", _fail_again(NOW + timedelta(minutes=5)))
    for n in range(3):
        incidents.update(f"inc-c{n:04d}", _close(NOW + timedelta(minutes=6)))
        incidents.update(f"inc-c{n:04d}", _close(NOW + timedelta(minutes=7)))  # already closed: no change

    parent = incidents.get("inc-p")
    assert parent.version == 1  # 15 children joined, failed and closed: the parent's document was never written
    assert (parent.child_count, parent.closed_child_count, parent.open_child_count) == (15, 3, 12)
    assert parent.counts.failures == 15 + 5 and parent.counts.successes == 3 and parent.counts.events == 23
    assert parent.last_seen == NOW + timedelta(minutes=5)  # a close does not move last_seen
    assert [c.incident_id for c in parent.child_sample] == ["inc-c0099", *(f"inc-c{n:04d}" for n in range(13, 4, -1))]
    listed = incidents.children("inc-p")
    assert [c.incident_id for c in listed] == [*(f"inc-c{n:04d}" for n in range(14)), "inc-c0099"]
    assert [c.connection_id for c in listed if c.closed] == ["c0", "c1", "c2"]
    assert incidents.get("inc-c0003").child_count == 0 and incidents.children("inc-c0003") == []


def test_given_concurrent_child_writes_and_parent_rewrites_then_counters_do_not_drift(stores) -> None:
    incidents = stores.incidents
    incidents.create(_parent())
    for n in range(4):
        incidents.create(_child(n))
    latest = NOW + timedelta(minutes=30)

    def fail(n: int) -> None:
        for k in range(8):
            at = latest if k == 3 else NOW + timedelta(minutes=k)  # out of order: last_seen only moves forward
            incidents.update(f"inc-c{n:04d}", _fail_again(at))

    def touch(incident: Incident) -> Incident:
        incident.note(NOW, "touched")
        return incident

    workers = [threading.Thread(target=fail, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for _ in range(5):
        incidents.update("inc-p", touch)  # the parent's document is rewritten meanwhile: its counts stay
    for worker in workers:
        worker.join()
    parent = incidents.get("inc-p")
    children = [incidents.get(c.incident_id) for c in incidents.children("inc-p")]
    assert parent.counts.failures == sum(c.counts.failures for c in children) == 4 * 9
    assert parent.counts.events == sum(c.counts.events for c in children)
    assert parent.last_seen == latest and len([t for t in parent.timeline if t.kind == "touched"]) == 5


def test_given_closed_parent_then_no_child_joins_it(stores) -> None:
    incidents = stores.incidents
    incidents.create(_parent())
    incidents.create(_child(0))
    incidents.update("inc-p", _close(NOW + timedelta(minutes=1)))
    with pytest.raises(ParentClosedError):
        incidents.create(_child(1))
    assert incidents.get("inc-c0001") is None and incidents.find_open("c1", "c1:network:connection_reset") is None
    incidents.create(_child(2, parent_id=None))
    with pytest.raises(ParentClosedError):
        incidents.update("inc-c0002", _adopt("inc-p"))
    assert incidents.get("inc-c0002").kind is IncidentKind.SINGLE
    assert [c.incident_id for c in incidents.children("inc-p")] == ["inc-c0000"]


def test_given_a_child_joins_after_the_parent_was_read_then_it_does_not_close_on_the_stale_count(stores) -> None:
    incidents = stores.incidents
    incidents.create(_parent())
    incidents.create(_child(0))
    incidents.update("inc-c0000", _close(NOW + timedelta(minutes=1)))
    stale = incidents.get("inc-p")
    assert stale.open_child_count == 0
    incidents.create(_child(1))  # joins after the read: the parent's version did not change

    def close_when_none_open(parent: Incident) -> Incident | None:
        if parent.open_child_count > 0:
            return None
        return _close(NOW + timedelta(minutes=2))(parent)

    kept = incidents.update("inc-p", close_when_none_open, current=stale)
    assert kept.is_open and kept.open_child_count == 1 and incidents.get("inc-p").is_open


def test_given_open_locks_then_their_holders_are_read_together(stores) -> None:
    incidents = stores.incidents
    incidents.create(_parent())
    incidents.create(_child(0))
    locks = [("c0", "c0:network:connection_reset"), ("corr:dest:d1:network:connection_reset",
                                                     "dest:d1:network:connection_reset"), ("c9", "c9:nothing")]
    assert incidents.open_ids([*locks, locks[0]]) == {locks[0]: "inc-c0000", locks[1]: "inc-p"}
    incidents.update("inc-c0000", _close(NOW + timedelta(minutes=1)))
    assert incidents.open_ids(locks) == {locks[1]: "inc-p"} and incidents.open_ids([]) == {}


def test_given_a_parent_when_the_console_scans_the_table_then_it_carries_its_children_share(stores) -> None:
    if not hasattr(stores.incidents, "_client"):
        pytest.skip("the console scans DynamoDB only")
    from fivetran_recovery.console.scans import scan_incidents

    stores.incidents.create(_parent())
    for n in range(3):
        stores.incidents.create(_child(n))
    [parent] = [i for i in scan_incidents(stores.incidents._client, "incidents") if i.kind is IncidentKind.PARENT]
    assert (parent.child_count, parent.counts.failures) == (3, 3)
