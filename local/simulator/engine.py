"""The sync state machine: virtual time, sync starts and ends, their outcomes, LOG rows and webhooks.

A mixin of `SimulatorCore` (core.py), which owns the state it works on (`_connections`, `_lock`, `_rng`,
`logbook`, `webhooks`, `clock`). It knows nothing of HTTP.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from local.simulator.fleet import SimConnection, SyncRun, passing_setup_tests
from local.simulator.history import HISTORY_STATUS, SyncRecord
from local.simulator.rules import webhook_time
from local.simulator.scenarios import (
    CANCELED,
    FAILURE,
    FAILURE_WITH_TASK,
    RESCHEDULED,
    SUCCESSFUL,
    USER_CANCELED,
    SyncOutcome,
)
from local.simulator.webhooks import encode_envelope

TASK_LABELS = {"reconnect": "Reconnect", "reconnect_warehouse": "Reconnect Warehouse"}


class SyncEngine:
    """Runs due syncs in time order; every method expects the caller to hold (or take) `self._lock`."""

    # -- time -----------------------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move virtual time forward, running every sync start/end that falls due, in time order."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._lock:
            target = self.now() + timedelta(seconds=seconds)
            for _ in range(1_000_000):
                due = self._next_event_time()
                if due is None or due > target:
                    break
                self.clock.set(max(due, self.now()))
                self._run_due()
            else:  # pragma: no cover - a scheduling bug, not a user error
                raise RuntimeError("simulator did not settle")
            self.clock.set(target)
        self.webhooks.retry_due()

    def _next_event_time(self) -> datetime | None:
        times = [t for c in self._connections.values() if (t := self._event_time(c)) is not None]
        return min(times) if times else None

    @staticmethod
    def _event_time(conn: SimConnection) -> datetime | None:
        if conn.current is not None:
            return conn.current.ends_at
        if conn.paused or conn.setup_state == "incomplete":
            return None
        return conn.next_sync_at

    def _run_due(self) -> None:
        now = self.now()
        for conn in list(self._connections.values()):
            when = self._event_time(conn)
            if when is None or when > now:
                continue
            if conn.current is not None:
                self._finish_sync(conn)
            else:
                self._start_sync(conn, "schedule")

    # -- sync lifecycle -------------------------------------------------------------------------------------
    def _start_sync(self, conn: SimConnection, trigger: str, *, historical: bool = False) -> SyncRun:
        now = self.now()
        historical = historical or conn.historical_next
        conn.historical_next = False
        factor = conn.scenario.duration_factor() if conn.scenario else 1.0
        seconds = conn.base_duration * self._rng.uniform(0.9, 1.1) * factor * (3.0 if historical else 1.0)
        run = SyncRun(
            sync_id=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            started_at=now,
            ends_at=now + timedelta(seconds=max(1.0, round(seconds, 3))),
            trigger=trigger,
            historical=historical,
        )
        conn.current = run
        conn.sync_state = "syncing"
        conn.is_historical_sync = historical
        conn.rescheduled_for = None
        conn.next_sync_at = None
        conn.last_started_at = now
        conn.sync_count += 1
        conn.history.append(SyncRecord(run.sync_id, now))
        self.logbook.add(now, conn.id, "INFO", "sync_start", None, run.sync_id)
        self._emit(conn, "sync_start", sync_id=run.sync_id)
        return run

    def _finish_sync(self, conn: SimConnection) -> None:
        run = conn.current
        assert run is not None
        conn.current = None
        if run.cancel_reason:
            outcome = SyncOutcome(CANCELED, run.cancel_reason)
        else:
            outcome = (conn.scenario.outcome(run.trigger) if conn.scenario else None) or SyncOutcome(SUCCESSFUL)
        self._apply_outcome(conn, outcome)
        self._record_history(conn, run, outcome)
        self._log_sync(conn, run, outcome)
        data: dict[str, Any] = {"status": outcome.status}
        if outcome.reason:
            data["reason"] = outcome.reason
        if outcome.task_type:
            data["taskType"] = outcome.task_type
        if outcome.status == RESCHEDULED and conn.rescheduled_for:
            data["rescheduledAt"] = webhook_time(conn.rescheduled_for)
        self._emit(conn, "sync_end", sync_id=run.sync_id, data=data)
        conn.is_historical_sync = False
        if conn.paused:
            conn.sync_state = "paused"
        else:
            conn.sync_state = "rescheduled" if outcome.status == RESCHEDULED else "scheduled"
        if conn.pending and not conn.paused:
            pending, conn.pending = conn.pending, None
            self._start_sync(conn, "resync" if pending == "resync" else "manual", historical=pending == "resync")
        else:
            self._schedule_next(conn)
        if conn.scenario is not None and conn.scenario.auto_pause_due() and not conn.paused:
            self._auto_pause(conn, conn.scenario.auto_pause_reason)

    def _auto_pause(self, conn: SimConnection, reason: str) -> None:
        """Fivetran pauses a connection itself (broken for too long, trial over): a `pause_connector` webhook
        and LOG row whose actor is Fivetran. The webhook's `data.actor` is not in the public payload samples
        (FACTS.md 1.3 lists no pause payload): the gap is named here, the LOG row carries the same fields."""
        conn.paused = True
        conn.paused_by = "Fivetran"
        conn.next_sync_at = None
        if conn.current is None:
            conn.sync_state = "paused"
        detail = {"actor": "Fivetran", "reason": reason}
        self.logbook.add(self.now(), conn.id, "INFO", "pause_connector", detail, None)
        self._emit(conn, "pause_connector", data=detail)

    def _record_history(self, conn: SimConnection, run: SyncRun, outcome: SyncOutcome) -> None:
        record = next((r for r in reversed(conn.history) if r.sync_id == run.sync_id), None)
        if record is None:
            return
        record.end = self.now()
        paused_stop = outcome.status == CANCELED and conn.paused
        record.status = "PAUSED" if paused_stop else HISTORY_STATUS.get(outcome.status, outcome.status)
        record.reason = outcome.reason
        extract = round(self._volume_rng.uniform(0.5, 40.0) * (20 if run.historical else 1), 3)
        record.extract_mb = extract
        if outcome.status == SUCCESSFUL:
            record.process_mb = round(extract * 0.9, 3)
            record.load_mb = round(extract * 0.8, 3)

    def _apply_outcome(self, conn: SimConnection, outcome: SyncOutcome) -> None:
        now = self.now()
        if outcome.status == SUCCESSFUL:
            conn.succeeded_at = now
            if conn.scenario is None or conn.scenario.done:
                conn.scenario = None
                conn.tasks = []
                conn.warnings = []
                if conn.setup_state == "broken":
                    conn.setup_state = "connected"
                conn.setup_tests = passing_setup_tests(conn.service)
        elif outcome.status in (FAILURE, FAILURE_WITH_TASK):
            conn.failed_at = now
            if conn.scenario is not None and conn.scenario.warning:
                conn.warnings = [dict(conn.scenario.warning, details=outcome.reason)]
            if outcome.status == FAILURE_WITH_TASK and outcome.task_type:
                conn.setup_state = "broken"
                label = TASK_LABELS.get(outcome.task_type, outcome.task_type.replace("_", " ").title())
                conn.tasks = [{"code": outcome.task_type, "message": label, "details": outcome.reason}]
        elif outcome.status == RESCHEDULED:
            conn.rescheduled_for = now + timedelta(seconds=outcome.retry_after_seconds or 3600)

    def _log_sync(self, conn: SimConnection, run: SyncRun, outcome: SyncOutcome) -> None:
        now = self.now()
        span = (now - run.started_at).total_seconds()
        if outcome.status == SUCCESSFUL:
            tables = [t for ts in conn.tables.values() for t in ts]
            for index, table in enumerate(tables):
                at = run.started_at + timedelta(seconds=span * (index + 1) / (len(tables) + 1))
                count = self._rng.randint(1, 500) * (20 if run.historical else 1)
                self.logbook.add(at, conn.id, "INFO", "write_to_table_start", {"table": table}, run.sync_id)
                self.logbook.add(
                    at,
                    conn.id,
                    "INFO",
                    "records_modified",
                    {"schema": conn.schema, "count": count, "operationType": "REPLACED_OR_INSERTED", "table": table},
                    run.sync_id,
                )
                self.logbook.add(at, conn.id, "INFO", "write_to_table_end", {"table": table}, run.sync_id)
        elif outcome.status == RESCHEDULED:
            self.logbook.add(
                now, conn.id, "WARNING", "warning", {"type": "retry_api_call", "message": outcome.reason}, run.sync_id
            )
        data: dict[str, Any] = {"status": outcome.status}
        if outcome.reason:
            data["reason"] = outcome.reason
        if outcome.task_type:
            data["taskType"] = outcome.task_type
        level = {SUCCESSFUL: "INFO", RESCHEDULED: "WARNING", CANCELED: "WARNING"}.get(outcome.status, "SEVERE")
        self.logbook.add(now, conn.id, level, "sync_end", data, run.sync_id)

    def _schedule_next(self, conn: SimConnection) -> None:
        now = self.now()
        if conn.paused or conn.schedule_type == "manual":
            conn.next_sync_at = None
        elif conn.rescheduled_for is not None:
            conn.next_sync_at = max(now, conn.rescheduled_for)
        elif conn.sync_frequency == 1440 and conn.daily_sync_time:
            hour, minute = (int(p) for p in conn.daily_sync_time.split(":"))
            candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            conn.next_sync_at = candidate if candidate > now else candidate + timedelta(days=1)
        else:
            base = conn.last_started_at or now
            conn.next_sync_at = max(now, base + timedelta(minutes=conn.sync_frequency))

    def _cancel_now(self, conn: SimConnection) -> None:
        if conn.current is not None:
            conn.current.cancel_reason = USER_CANCELED.text
            conn.current.ends_at = self.now()
            self._finish_sync(conn)

    def _refresh_update_state(self, conn: SimConnection) -> None:
        """`update_state` from the delay threshold, not from the last sync's outcome (FACTS.md 5: driven by
        `data_delay_sensitivity` / `data_delay_threshold`). How many minutes LOW/NORMAL/HIGH allow is not
        documented: here 2x, 1x and 0.5x the sync frequency beyond one interval; CUSTOM uses the threshold."""
        if conn.paused or conn.schedule_type == "manual" or conn.succeeded_at is None:
            conn.update_state = "on_schedule"
            return
        factor = {"LOW": 2.0, "HIGH": 0.5, "SYNC_FREQUENCY": 1.0}.get(conn.data_delay_sensitivity, 1.0)
        custom = conn.data_delay_sensitivity == "CUSTOM"
        threshold = conn.data_delay_threshold if custom else factor * conn.sync_frequency
        allowed = timedelta(minutes=conn.sync_frequency + threshold)
        conn.update_state = "delayed" if self.now() - conn.succeeded_at > allowed else "on_schedule"

    # -- webhooks -------------------------------------------------------------------------------------------
    def _emit(
        self, conn: SimConnection, event: str, *, sync_id: str | None = None, data: dict[str, Any] | None = None
    ) -> None:
        payload = {
            "event": event,
            "created": webhook_time(self.now()),
            "connector_type": conn.service,
            "connector_id": conn.id,
            "connector_name": conn.schema,
            "sync_id": sync_id,
            "destination_group_id": conn.group_id,
            "data": data,
        }
        self.webhooks.send(event, conn.group_id, encode_envelope(payload), conn.id)
