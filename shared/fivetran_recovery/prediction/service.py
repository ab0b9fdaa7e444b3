"""The predict use case: every connection's risk from its recorded sync history, with schedule advice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from fivetran_recovery.prediction.risk import NO_SIGNS, RiskAssessment, assess_syncs, level_of
from fivetran_recovery.prediction.schedule import advise_schedule
from fivetran_recovery.prediction.syncs import SyncRecord
from fivetran_recovery.stores.base import HistoryRecord, HistoryStore

HISTORY_DEPTH = 100
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


def assess_connection(connection: Any, history: list[HistoryRecord], *, now: datetime) -> RiskAssessment:
    """Risk from the history, raised by what Fivetran itself reports (delayed data, open tasks, warnings)."""
    syncs = syncs_from_history(history)
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
                 preempt: Any = None):
        self.fivetran = fivetran
        self.history = history
        self.risks = risks
        self.clock = clock
        self.preempt = preempt  # PreemptService: at-risk notices, preemptive playbooks, outcomes (None: score only)
        self.failed: list[str] = []
        self.notices: list[Any] = []

    def run(self) -> list[RiskAssessment]:
        now = self.clock()
        results = []
        for connection in self.fivetran.iter_connections():
            try:
                history = self.history.recent(connection.id, limit=HISTORY_DEPTH)
                assessment = assess_connection(connection, history, now=now)
                self.risks.put(assessment, at=now)
                if self.preempt is not None:
                    self.preempt.settle(connection.id)
                    notice = self.preempt.act(assessment, connection)
                    if notice is not None:
                        self.notices.append(notice)
            except Exception:  # one connection's store error must not cost every other connection its score
                logger.exception("risk not assessed", extra={"connection_id": connection.id})
                self.failed.append(connection.id)
                continue
            results.append(assessment)
        return sorted(results, key=lambda a: (-a.risk, a.connection_id))
