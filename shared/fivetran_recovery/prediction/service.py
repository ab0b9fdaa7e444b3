"""The predict use case: every connection's risk from its recorded sync history, with schedule advice; with read
times from the warehouse's query history, cost-aware schedule recommendations put through the policy gate."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from fivetran_recovery.prediction.risk import NO_SIGNS, RiskAssessment, assess_syncs, level_of
from fivetran_recovery.prediction.schedule import advise_schedule
from fivetran_recovery.prediction.scheduling import Recommendation, recommend
from fivetran_recovery.prediction.syncs import SyncRecord
from fivetran_recovery.stores.base import HistoryRecord, HistoryStore

HISTORY_DEPTH = 100
SYNC_HISTORY_WINDOW = timedelta(days=7)
READ_WINDOW_DAYS = 14
RECOMMEND_AGAIN_AFTER = timedelta(days=1)  # the same recommendation is put through the gate once a day at most
logger = logging.getLogger(__name__)


class RiskStore(Protocol):
    def put(self, assessment: RiskAssessment, *, at: datetime) -> None: ...


def syncs_from_history(records: Iterable[HistoryRecord]) -> list[SyncRecord]:
    """The recorded webhooks (sync_start / sync_end) of one connection as syncs, oldest first."""
    syncs: dict[str, SyncRecord] = {}
    for record in sorted(records, key=lambda r: r.at):
        if record.event not in ("sync_start", "sync_end"):
            continue
        key = record.sync_id or record.event_key
        sync = syncs.setdefault(key, SyncRecord(connection_id=record.connection_id, sync_id=key))
        if record.event == "sync_start":
            sync.started_at = record.at
        else:
            sync.ended_at, sync.status, sync.reason = record.at, record.status, record.reason
    return sorted(syncs.values(), key=lambda s: (s.at is None, s.at))


SYNC_HISTORY_STATUS = {"COMPLETED": "SUCCESSFUL", "FAILURE": "FAILURE", "RESCHEDULED": "RESCHEDULED",
                       "CANCELED": "CANCELED", "INCOMPLETE": None, "PAUSED": None}


def syncs_from_sync_history(connection_id: str, items: Iterable[Any]) -> list[SyncRecord]:
    """Fivetran's sync history (GET /v1/connections/{id}/sync-history) as syncs, oldest first; the MB its stages
    moved stand in for rows as the volume."""
    syncs = []
    for item in items:
        volume = sum(stage.volume or 0.0 for stage in item.stages.values())
        syncs.append(SyncRecord(connection_id=connection_id, sync_id=item.sync_id, started_at=item.start,
                                ended_at=item.end, status=SYNC_HISTORY_STATUS.get(item.status, item.status),
                                reason=item.reason, records=int(volume * 1000)))
    return sorted(syncs, key=lambda s: (s.at is None, s.at))


def merged_syncs(history: list[HistoryRecord], sync_history: list[SyncRecord] | None) -> list[SyncRecord]:
    """Fivetran's own sync history where we have it (it has the syncs whose webhooks never came, and volumes),
    plus any webhook-recorded sync it does not list."""
    from_webhooks = syncs_from_history(history)
    if not sync_history:
        return from_webhooks
    known = {s.sync_id for s in sync_history}
    extra = [s for s in from_webhooks if s.sync_id not in known]
    return sorted([*sync_history, *extra], key=lambda s: (s.at is None, s.at))


def assess_connection(connection: Any, history: list[HistoryRecord], *, now: datetime,
                      sync_history: list[SyncRecord] | None = None) -> RiskAssessment:
    """Risk from the history, raised by what Fivetran itself reports (delayed data, open tasks, warnings)."""
    syncs = merged_syncs(history, sync_history)
    status = connection.status
    current = [(w.code or "", w.message or "") for w in status.warnings]
    assessment = assess_syncs(connection.id, syncs, now=now, current_warnings=current)
    extra: list[str] = []
    if status.update_state == "delayed":
        extra.append("Fivetran reports the data as delayed")
    if status.tasks:
        extra.append(f"{len(status.tasks)} open task(s) in Fivetran: {', '.join(t.code or '?' for t in status.tasks)}")
    if status.setup_state in ("broken", "incomplete"):
        extra.append(f"setup is {status.setup_state}")
    risk = assessment.risk
    if extra:
        risk = max(risk, 0.75 if status.tasks or status.setup_state == "broken" else 0.45)
        reasons = [r for r in assessment.reasons if r != NO_SIGNS] + extra
    else:
        reasons = assessment.reasons
    advice = advise_schedule(syncs, connection.sync_frequency)
    signals = {**assessment.signals, "warnings": len(status.warnings), "tasks": len(status.tasks),
               "schedule_advice": advice.model_dump_json() if advice else None}
    level = level_of(risk)
    return assessment.model_copy(update={"risk": round(risk, 3), "level": level, "reasons": reasons,
                                         "signals": signals, "kind": assessment.kind or ("fivetran_status" if extra
                                                                                         else None)})


class PredictService:
    def __init__(self, *, fivetran: Any, history: HistoryStore, risks: RiskStore, clock: Callable[[], datetime],
                 preempt: Any = None, read_times: Callable[[list[Any], datetime], dict[str, list[datetime]]] | None
                 = None, memo: Any = None):
        self.fivetran = fivetran
        self.history = history
        self.risks = risks
        self.clock = clock
        self.preempt = preempt  # PreemptService: at-risk notices, preemptive playbooks, outcomes (None: score only)
        self.read_times = read_times  # (connections, now) -> reads per connection id, from the query history
        self.memo = memo  # ScheduleMemo: which recommendation went through the gate lately (None: every run)
        self.failed: list[str] = []
        self.notices: list[Any] = []
        self.recommendations: list[tuple[Recommendation, dict[str, Any] | None]] = []

    def _reads(self, connections: list[Any], now: datetime) -> dict[str, list[datetime]] | None:
        """Read times of every connection's tables; None (no cost-aware recommendations) when unavailable."""
        if self.read_times is None:
            return None
        try:
            return self.read_times(connections, now)
        except Exception as exc:  # a warehouse that cannot be read costs the recommendations, not the scores
            logger.warning("query history unavailable", extra={"error": type(exc).__name__})
            return None

    def _recommend(self, connection: Any, syncs: list[SyncRecord], assessment: RiskAssessment,
                   reads: list[datetime], now: datetime) -> None:
        """A cost-aware recommendation (saving and freshness at read times), applied only through the gate. Only
        for a connection whose reads the query history shows: none seen may mean its readers are not visible."""
        last = self.memo.last(connection.id) if self.memo is not None else None
        if last and last.get("approval_id") and self.preempt is not None:
            self.preempt.start_approved(last["approval_id"])  # an approved schedule whose start was lost
        if not reads:
            return
        rec = recommend(connection.id, syncs, reads, now=now, current_minutes=connection.sync_frequency,
                        risk_kind=assessment.kind, window=timedelta(days=READ_WINDOW_DAYS))
        if rec is None:
            return
        if last and last["minutes"] == rec.recommended_minutes and last["at"] >= now - RECOMMEND_AGAIN_AFTER:
            return
        if self.memo is not None:  # noted first: a run stopped midway does not put it through the gate again
            self.memo.note(connection.id, rec.recommended_minutes, at=now)
        applied = self.preempt.apply_schedule(rec, connection) if self.preempt is not None else None
        if self.memo is not None and (applied or {}).get("approval_id"):
            self.memo.note(connection.id, rec.recommended_minutes, at=now, approval_id=applied["approval_id"])
        logger.info("schedule recommendation", extra={**rec.model_dump(mode="json"),
                                                      "path": (applied or {}).get("path")})
        self.recommendations.append((rec, applied))

    def _sync_history(self, connection_id: str, now: datetime) -> list[SyncRecord] | None:
        """The last 7 days of Fivetran's sync history (its longest window); None when the API cannot give it."""
        reader = getattr(self.fivetran, "iter_sync_history", None)
        if reader is None:
            return None
        try:
            items = list(reader(connection_id, start_time=now - SYNC_HISTORY_WINDOW, end_time=now))
        except Exception:  # an older API or a transient error: the webhook history still serves
            logger.warning("sync history unavailable", extra={"connection_id": connection_id})
            return None
        return syncs_from_sync_history(connection_id, items)

    def run(self) -> list[RiskAssessment]:
        now = self.clock()
        results = []
        self.recommendations = []
        connections = list(self.fivetran.iter_connections())
        reads = self._reads(connections, now)
        for connection in connections:
            try:
                history = self.history.recent(connection.id, limit=HISTORY_DEPTH)
                sync_history = self._sync_history(connection.id, now)
                assessment = assess_connection(connection, history, now=now, sync_history=sync_history)
                self.risks.put(assessment, at=now)
                if self.preempt is not None:
                    self.preempt.settle(connection.id)
                    notice = self.preempt.act(assessment, connection)
                    if notice is not None:
                        self.notices.append(notice)
                if reads is not None:
                    self._recommend(connection, merged_syncs(history, sync_history), assessment,
                                    reads.get(connection.id, []), now)
            except Exception:  # one connection's store error must not cost every other connection its score
                logger.exception("risk not assessed", extra={"connection_id": connection.id})
                self.failed.append(connection.id)
                continue
            results.append(assessment)
        return sorted(results, key=lambda a: (-a.risk, a.connection_id))
