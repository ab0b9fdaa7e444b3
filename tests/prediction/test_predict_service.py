"""The predict use case against the Fivetran simulator: history in, risk and schedule advice out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from fivetran_recovery.fivetran import FivetranClient
from fivetran_recovery.prediction.schedule import advise_schedule
from fivetran_recovery.prediction.service import PredictService, syncs_from_history
from fivetran_recovery.stores.base import HistoryRecord
from fivetran_recovery.stores.memory import InMemoryHistoryStore
from local.simulator import FivetranSimulator
from local.simulator.options import FAST

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


class ListRiskStore:
    def __init__(self):
        self.items = []

    def put(self, assessment, *, at):
        self.items.append((assessment, at))


def _sync(history: InMemoryHistoryStore, connection: str, start: datetime, minutes: float, status: str) -> None:
    sync_id = str(uuid.uuid4())
    for event, at, state in (("sync_start", start, None), ("sync_end", start + timedelta(minutes=minutes), status)):
        history.record(HistoryRecord(connection_id=connection, at=at, event=event, event_key=uuid.uuid4().hex,
                                     status=state, sync_id=sync_id, reason="boom" if status == "FAILURE" else None))


def _client(sim: FivetranSimulator) -> FivetranClient:
    return FivetranClient(api_key=sim.api_key, api_secret=sim.api_secret, base_url="http://sim/v1",
                          http_client=httpx.Client(transport=sim.transport()))


def test_given_failing_and_healthy_connections_when_predicted_then_failing_one_ranks_first_and_is_stored():
    sim = FivetranSimulator(start=NOW, fidelity=FAST)
    history = InMemoryHistoryStore()
    failing, healthy = sim.connection_ids[0], sim.connection_ids[1]
    for i in range(6):
        _sync(history, healthy, NOW - timedelta(hours=6 - i), 5, "SUCCESSFUL")
        _sync(history, failing, NOW - timedelta(hours=6 - i), 5, "SUCCESSFUL" if i < 3 else "FAILURE")
    risks = ListRiskStore()
    ranked = PredictService(fivetran=_client(sim), history=history, risks=risks, clock=lambda: NOW).run()
    assert ranked[0].connection_id == failing and ranked[0].level == "high"
    assert {a.connection_id for a in ranked} == set(sim.connection_ids)
    assert next(a for a in ranked if a.connection_id == healthy).level == "low"
    assert len(risks.items) == len(sim.connection_ids)


def test_given_recorded_webhooks_when_grouped_then_one_sync_per_sync_id_with_duration():
    history = InMemoryHistoryStore()
    _sync(history, "c1", NOW, 12, "SUCCESSFUL")
    [sync] = syncs_from_history(history.recent("c1", limit=10))
    assert sync.status == "SUCCESSFUL" and sync.duration_seconds == 720


def test_given_syncs_longer_than_half_the_interval_when_advised_then_a_longer_allowed_frequency():
    history = InMemoryHistoryStore()
    for i in range(5):
        _sync(history, "c1", NOW + timedelta(hours=i), 40, "SUCCESSFUL")
    advice = advise_schedule(syncs_from_history(history.recent("c1", limit=50)), 60)
    assert advice is not None and advice.recommended_minutes == 120 and "queue" in advice.reason
    assert advise_schedule(syncs_from_history(history.recent("c1", limit=50)), 1440) is None


def test_given_no_webhooks_when_predicted_then_fivetrans_own_sync_history_supplies_the_syncs():
    sim = FivetranSimulator(start=NOW, fidelity=FAST)
    sim.advance(3 * 24 * 3600)  # three days of scheduled syncs, no webhook recorded by us
    risks = ListRiskStore()
    ranked = PredictService(fivetran=_client(sim), history=InMemoryHistoryStore(), risks=risks,
                            clock=sim.now).run()
    seen = {a.connection_id: a.signals["syncs_seen"] for a in ranked}
    syncing = [c for c in sim.connection_ids if sim.log_rows(c)]  # the paused or manual ones never synced
    assert syncing and all(seen[c] > 0 for c in syncing), seen
