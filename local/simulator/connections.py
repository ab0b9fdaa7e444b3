"""The connection operations of the simulated API: list, PATCH (pause/resume, schedule), sync, re-sync, setup
tests, connect card. A mixin of `SimulatorCore`; plain Python in and out, no HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import local.simulator.history as history
from local.simulator.fleet import SimConnection, features, passing_setup_tests
from local.simulator.rules import (
    PATCHABLE,
    SimApiError,
    bad_request,
    cursor_offset,
    make_cursor,
    validate_schedule_fields,
    validate_tables,
)
from local.simulator.scenarios import SYNC_STOP_TIMEOUT, USER_CANCELED

PAUSE_STOP_SECONDS = 5.0
TEST_CONTROL = {"trust_certificates", "trust_fingerprints", "run_setup_tests"}


class ConnectionOps:
    def list_connections(
        self, *, group_id: str | None = None, cursor: str | None = None, limit: int = 100, schema: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        if not 1 <= limit <= 1000:
            raise bad_request("limit must be in the range 1..1000")
        with self._lock:
            if group_id is not None and group_id not in self._groups:
                raise SimApiError(404, "NotFound_Group", f"Group with id '{group_id}' does not exist.")
            rows = [
                c
                for c in self._connections.values()
                if (group_id is None or c.group_id == group_id) and (schema is None or c.schema == schema)
            ]
            start = cursor_offset(cursor)
            page = rows[start : start + limit]
            next_cursor = make_cursor(start + limit) if start + limit < len(rows) else None
            return [self._render(c) for c in page], next_cursor

    def patch_connection(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict) or not body:
            raise bad_request("request body must be a non-empty JSON object")
        unknown = set(body) - PATCHABLE
        if unknown:
            raise bad_request(f"unknown field(s): {', '.join(sorted(unknown))}")
        validate_schedule_fields(body)
        if not set(body) - TEST_CONTROL:
            # modify_connection: test-control parameters "cannot be used on their own".
            raise bad_request("at least one persistent parameter is required (e.g. paused, sync_frequency, config)")
        with self._lock:
            conn = self._get(connection_id)
            self._check_daily_sync_time(conn, body)
            changes = {k: v for k, v in body.items() if k != "paused"}
            if changes and conn.current is not None:
                self._stop_running_sync(conn)
            if "paused" in body:
                self._set_paused(conn, body["paused"], by="user")
            if changes:
                self._apply_changes(conn, changes)
                self._emit(conn, "edit_connector")
            return self._render(conn)

    def _stop_running_sync(self, conn: SimConnection) -> None:
        """A change that must stop the running sync first; the documented error when it cannot (the status is
        not documented: `Fidelity.sync_stop_failure_status`)."""
        if conn.id in self.faults.sync_stop_failure:
            raise SimApiError(self.fidelity.sync_stop_failure_status, "Conflict", SYNC_STOP_TIMEOUT.text)
        self._cancel_now(conn)

    def _check_daily_sync_time(self, conn: SimConnection, body: dict[str, Any]) -> None:
        """`daily_sync_time` only with a 1440-minute frequency, at a whole hour (FACTS.md 2.2)."""
        if "daily_sync_time" not in body or body["daily_sync_time"] is None or self.fidelity.any_daily_sync_time:
            return
        frequency = body.get("sync_frequency", conn.sync_frequency)
        if frequency != 1440:
            raise bad_request("daily_sync_time can only be set when sync_frequency is 1440")
        if not str(body["daily_sync_time"]).endswith(":00"):
            raise bad_request("daily_sync_time must be a whole hour, HH:00")

    def _apply_changes(self, conn: SimConnection, changes: dict[str, Any]) -> None:
        if "sync_frequency" in changes:
            conn.sync_frequency = changes["sync_frequency"]
            if conn.sync_frequency != 1440:
                conn.daily_sync_time = None
        if "schedule_type" in changes:
            conn.schedule_type = changes["schedule_type"]
        if "daily_sync_time" in changes:
            conn.daily_sync_time = changes["daily_sync_time"]
        if changes.get("is_historical_sync"):
            conn.historical_next = True
        if changes.get("run_setup_tests"):
            self._run_setup_tests(conn)
        if {"sync_frequency", "schedule_type", "daily_sync_time"} & set(changes) and conn.current is None:
            self._schedule_next(conn)

    def _set_paused(self, conn: SimConnection, paused: bool, *, by: str) -> None:
        if paused == conn.paused:
            return
        conn.paused = paused
        conn.paused_by = by if paused else None
        if paused:
            conn.next_sync_at = None
            if conn.current is not None:
                conn.current.cancel_reason = USER_CANCELED.text
                conn.current.ends_at = min(conn.current.ends_at, self.now() + timedelta(seconds=PAUSE_STOP_SECONDS))
            else:
                conn.sync_state = "paused"
            self._emit(conn, "pause_connector")
            return
        self._emit(conn, "resume_connector")
        if conn.current is not None:
            return  # still stopping; it schedules itself when it ends
        ahead = conn.rescheduled_for is not None and conn.rescheduled_for > self.now()
        conn.sync_state = "rescheduled" if ahead else "scheduled"
        if conn.pending:
            pending, conn.pending = conn.pending, None
            self._start_sync(conn, "resync" if pending == "resync" else "manual", historical=pending == "resync")
        elif conn.schedule_type == "auto" and self.fidelity.sync_on_resume:
            conn.next_sync_at = conn.rescheduled_for if ahead else self.now()
        else:
            self._schedule_next(conn)  # strict: the schedule continues (undocumented whether resume syncs at once)

    def sync(self, connection_id: str, *, force: bool = False) -> str:
        with self._lock:
            conn = self._get(connection_id)
            self._emit(conn, "force_update_connector")
            if conn.paused:
                if self.fidelity.queue_sync_while_paused:  # undocumented; strict: nothing runs, nothing queued
                    conn.pending = conn.pending or "sync"
            elif conn.current is not None:
                if force:
                    self._cancel_now(conn)
                    self._start_sync(conn, "force")
            else:
                self._start_sync(conn, "force" if force else "manual")
            return f"Sync has been successfully triggered for connection with id '{connection_id}'"

    def resync(self, connection_id: str, *, scope: dict[str, list[str]] | None = None) -> str:
        if scope is not None:
            validate_tables(scope, "scope")
        with self._lock:
            conn = self._get(connection_id)
            if scope is not None:
                self._check_table_resync(conn)
                self._check_tables_exist(conn, scope)
            self._queue_resync(conn)
            self._notify(conn, "resync", {"scope": scope})
            self._emit(conn, "resync_connector")
            return "Re-sync has been triggered successfully"

    def resync_tables(self, connection_id: str, tables: dict[str, list[str]]) -> str:
        validate_tables(tables, "body")
        with self._lock:
            conn = self._get(connection_id)
            self._check_table_resync(conn)
            self._check_tables_exist(conn, tables)
            self._queue_resync(conn)
            self._notify(conn, "resync_tables", {"tables": tables})
            self._emit(conn, "resync_table")
            return "Re-sync has been triggered successfully"

    def _check_table_resync(self, conn: SimConnection) -> None:
        """Table-level re-sync exists per connector; the others answer 400 (resync_connection, FACTS.md 2.2)."""
        if not (features(conn.service)["table_resync"] or self.fidelity.every_feature_everywhere):
            raise bad_request(f"The '{conn.service}' connector does not support table-level re-sync")

    def _queue_resync(self, conn: SimConnection) -> None:
        if conn.paused:
            conn.pending = "resync"
        elif conn.current is not None:
            if conn.id in self.faults.sync_stop_failure:  # documented: "declined ... HTTP 409 Conflict"
                raise SimApiError(409, "Conflict", "A sync is in progress and could not be completed")
            conn.pending = "resync"
        else:
            self._start_sync(conn, "resync", historical=True)

    def _check_tables_exist(self, conn: SimConnection, tables: dict[str, list[str]]) -> None:
        for schema, names in tables.items():
            known = conn.tables.get(schema)
            if known is None:
                raise bad_request(f"schema '{schema}' is not part of connection '{conn.id}'")
            missing = [n for n in names if n not in known]
            if missing:
                raise bad_request(f"table(s) {', '.join(missing)} not found in schema '{schema}'")

    def run_setup_tests(self, connection_id: str) -> dict[str, Any]:
        with self._lock:
            conn = self._get(connection_id)
            self._run_setup_tests(conn)
            return self._render(conn)

    def _run_setup_tests(self, conn: SimConnection) -> None:
        tests = (conn.scenario.setup_tests() if conn.scenario else None) or passing_setup_tests(conn.service)
        conn.setup_tests = tests
        passed = all(t["status"] in ("PASSED", "WARNING", "SKIPPED") for t in tests)
        # GSECOPS / FACTS.md 1.2: connection_successful = "Connection test succeeded", connection_failure = failed.
        self._emit(conn, "connection_successful" if passed else "connection_failure")
        if passed:
            if conn.setup_state == "incomplete":
                conn.setup_state = "connected"
            self._notify(conn, "setup_tests", {"passed": True})

    def sync_history(
        self,
        connection_id: str,
        *,
        start_time: str | None = None,
        end_time: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> tuple[list[dict[str, Any]], str | None]:
        with self._lock:
            conn = self._get(connection_id)
            start, end = history.window(self.now(), start_time, end_time)
            return history.page(conn.history, start, end, cursor, limit)

    def sync_running(self, connection_id: str) -> bool:
        with self._lock:
            conn = self._connections.get(connection_id)
            return conn is not None and conn.current is not None

    def create_connect_card(self, connection_id: str, config: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            conn = self._get(connection_id)
            token = f"{self._rng.getrandbits(128):032x}"
            conn.connect_card = {"token": token, "uri": f"https://fivetran.com/connect-card/setup?auth={token}"}
            conn.connect_card_config = {
                "redirect_uri": config.get("redirect_uri"),
                "hide_setup_guide": config.get("hide_setup_guide"),
            }
            return {
                "connector_id": conn.id,
                "connect_card": dict(conn.connect_card),
                "connect_card_config": dict(conn.connect_card_config),
            }
