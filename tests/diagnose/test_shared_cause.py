"""One cause, one parent (issue 13, defect 6): a network outage failing connections on five destinations is one
parent with every connection as a child, not a parent per destination plus stragglers; its counts add up."""

from __future__ import annotations

from datetime import timedelta

from diagnose_rig import BLIP, T0, Rig

from fivetran_recovery.models.incident import IncidentKind
from fivetran_recovery.models.webhook import WebhookEvent


def _failure(connection: str, destination: str, seconds: float) -> WebhookEvent:
    return WebhookEvent.model_validate({
        "event": "sync_end", "created": (T0 + timedelta(seconds=seconds)).isoformat(), "connector_id": connection,
        "sync_id": f"{connection}-{seconds}", "destination_group_id": destination,
        "data": {"status": "FAILURE", "reason": BLIP}})


def test_given_one_outage_on_five_destinations_then_one_parent_with_every_connection():
    rig = Rig()
    connections = [(f"c{d}{n}", f"dest_{d}") for d in range(5) for n in range(3)]  # one destination after another
    for round_ in range(2):  # every connection fails twice
        for i, (connection, destination) in enumerate(connections):
            rig.now = T0 + timedelta(seconds=300 * round_ + i + 1)
            rig.service.handle(_failure(connection, destination, 300 * round_ + i))
    every = rig.incidents.all()
    parents = [i for i in every if i.kind is IncidentKind.PARENT]
    singles = [i for i in every if i.kind is IncidentKind.SINGLE]
    assert len(parents) == 1 and singles == []
    parent = parents[0]
    assert sorted(c.connection_id for c in rig.incidents.children(parent.id)) == sorted(c for c, _ in connections)
    assert parent.child_count == len(connections) and len(parent.child_sample) == 10  # a read carries a sample
    children = [i for i in every if i.kind is IncidentKind.CHILD]
    assert parent.counts.failures == sum(c.counts.failures for c in children) == 2 * len(connections)
