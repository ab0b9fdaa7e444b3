"""The simulated Fivetran account: connections whose syncs run on a virtual clock, the API operations that act
on them, failure scenarios, webhooks, LOG rows and write-call accounting.

Everything is deterministic for a given seed and sequence of calls: `advance(seconds)` runs every due event
(sync starts and ends, in time order, ties by connection id). One re-entrant lock guards the state; webhook
deliveries are only queued under it and sent by a worker thread or `flush_webhooks()`, never while it is held.

Behaviour chosen where Fivetran's is not documented (FACTS.md notes the gaps):
- pausing a syncing connection stops the sync after PAUSE_STOP_SECONDS (sync_state stays "syncing" until then);
- resuming schedules the next sync at once (`next_sync_at = now`), or at `rescheduled_for` if still ahead;
- a PATCH of anything but `paused` while a sync runs cancels it (CANCELED, the real "user action" text), unless
  the connection is in `faults.sync_stop_failure`, where it fails with the documented 60-second error as 409;
- `/sync` on a paused connection is accepted and runs on resume (as the docs say of `/resync`).
"""

from __future__ import annotations

import copy
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local.simulator.faults import FaultPlan
from local.simulator.fleet import (
    Group,
    SimConnection,
    SyncRun,
    default_fleet,
    iso,
    passing_setup_tests,
    render_connection,
)
from local.simulator.hooks import WebhookRegistry
from local.simulator.logrows import LogBook
from local.simulator.rules import (
    PATCHABLE,
    SimApiError,
    bad_request,
    cursor_offset,
    make_cursor,
    merge_schemas,
    not_found,
    validate_schedule_fields,
    validate_tables,
    webhook_time,
)
from local.simulator.scenarios import (
    CANCELED,
    FAILURE,
    FAILURE_WITH_TASK,
    RESCHEDULED,
    SUCCESSFUL,
    SYNC_STOP_TIMEOUT,
    USER_CANCELED,
    ScenarioError,
    SyncOutcome,
    build_scenario,
)
from local.simulator.status_feed import StatusFeed
from local.simulator.webhooks import Delivery, Target, WebhookSender, encode_envelope

DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
PAUSE_STOP_SECONDS = 5.0
TASK_LABELS = {"reconnect": "Reconnect", "reconnect_warehouse": "Reconnect Warehouse"}


@dataclass
class WriteCall:
    method: str
    path: str
    body: Any
    time: str
    connection_id: str | None
    status: int | None = None
    wall_time: float = field(default_factory=time.time)  # real time, for the drill's time-to-remediation


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulator clock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError("virtual time cannot go backwards")
        self._now = when


class FivetranSimulator:
    """An in-process Fivetran. Drive it in Python (advance, inject, ...) or over HTTP (`start()`)."""

    def __init__(
        self,
        *,
        groups: list[Group] | None = None,
        connections: list[SimConnection] | None = None,
        start: datetime | None = None,
        seed: int = 0,
        api_key: str = "sim-api-key",
        api_secret: str = "sim-api-secret",
        webhook_url: Target | None = None,
        webhook_secret: str | None = None,
        webhook_events: list[str] | None = None,
        require_https_webhooks: bool = False,
        verify_webhooks_on_create: bool = False,
    ) -> None:
        self.clock = VirtualClock(start or DEFAULT_START)
        if connections is None:
            groups, connections = default_fleet(self.clock.now())
        self.api_key = api_key
        self.api_secret = api_secret
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._groups = {g.id: g for g in (groups or [])}
        self._connections = {c.id: c for c in sorted(connections, key=lambda c: c.id)}
        unknown_groups = {c.group_id for c in connections} - set(self._groups)
        if unknown_groups:
            raise ValueError(f"connections reference unknown groups {sorted(unknown_groups)}")
        self._write_calls: list[WriteCall] = []
        self.logbook = LogBook()
        self.sender = WebhookSender()
        self.webhooks = WebhookRegistry(
            self.sender, self.now, require_https=require_https_webhooks, verify_on_create=verify_webhooks_on_create
        )
        self.faults = FaultPlan()
        self.status = StatusFeed(self.now)
        self._server: Any = None
        self._ticker: Any = None
        if webhook_url is not None:
            self.configure_webhook(webhook_url, webhook_secret, webhook_events)

    # -- time -----------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

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

    def _apply_outcome(self, conn: SimConnection, outcome: SyncOutcome) -> None:
        now = self.now()
        if outcome.status == SUCCESSFUL:
            conn.succeeded_at = now
            conn.update_state = "on_schedule"
            if conn.scenario is None or conn.scenario.done:
                conn.scenario = None
                conn.tasks = []
                if conn.setup_state == "broken":
                    conn.setup_state = "connected"
                conn.setup_tests = passing_setup_tests(conn.service)
        elif outcome.status in (FAILURE, FAILURE_WITH_TASK):
            conn.failed_at = now
            conn.update_state = "delayed"
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

    # -- webhooks -------------------------------------------------------------------------------------------
    def configure_webhook(self, target: Target, secret: str | None = None, events: list[str] | None = None) -> None:
        """Send webhooks to `target` (a URL or an in-process callable) signed with `secret`."""
        self.webhooks.configure(target, secret, events)

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
        self.webhooks.send(event, conn.group_id, encode_envelope(payload))

    def flush_webhooks(self) -> list[Delivery]:
        """Deliver every queued webhook now (call without holding any simulator lock)."""
        return self.sender.flush()

    @property
    def deliveries(self) -> list[Delivery]:
        return self.sender.deliveries

    # -- inspection -----------------------------------------------------------------------------------------
    @property
    def connection_ids(self) -> list[str]:
        return list(self._connections)

    @property
    def group_ids(self) -> list[str]:
        return list(self._groups)

    def connection(self, connection_id: str) -> dict[str, Any]:
        with self._lock:
            return render_connection(self._get(connection_id))

    def scenario_of(self, connection_id: str) -> dict[str, Any] | None:
        with self._lock:
            scenario = self._get(connection_id).scenario
            return scenario.describe() if scenario else None

    def log_rows(self, connection_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self.logbook.select(connection_id)]

    def write_calls(self, connection_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                vars(c).copy() for c in self._write_calls if connection_id is None or c.connection_id == connection_id
            ]

    def record_write(self, method: str, path: str, body: Any, status: int | None, connection_id: str | None) -> None:
        with self._lock:
            self._write_calls.append(WriteCall(method, path, body, iso(self.now()) or "", connection_id, status))

    def _get(self, connection_id: str) -> SimConnection:
        try:
            return self._connections[connection_id]
        except KeyError:
            raise not_found(connection_id) from None

    # -- scenarios (control plane) --------------------------------------------------------------------------
    def inject(self, connection_id: str, scenario: str, **options: Any) -> list[dict[str, Any]]:
        """Attach a failure scenario; `warehouse_suspended` with group=True hits every connection of the group."""
        with self._lock:
            conn = self._get(connection_id)
            first = build_scenario(scenario, **options)
            targets = [conn]
            if getattr(first, "group", False):
                targets = [c for c in self._connections.values() if c.group_id == conn.group_id]
            described = []
            for index, target in enumerate(targets):
                instance = first if index == 0 else build_scenario(scenario, **options)
                target.scenario = instance
                instance.on_inject(target)
                described.append({"connection_id": target.id, **instance.describe()})
            return described

    def complete_reauth(self, connection_id: str) -> dict[str, Any]:
        """The user completed the connect card: the credentials are valid again."""
        with self._lock:
            conn = self._get(connection_id)
            if conn.connect_card is None:
                raise ScenarioError(f"no connect card was created for connection {connection_id!r}")
            if conn.scenario:
                conn.scenario.on_action("complete_reauth", {})
            conn.tasks = [t for t in conn.tasks if t.get("code") != "reconnect"]
            if conn.setup_state == "broken" and not conn.tasks:
                conn.setup_state = "connected"
            conn.setup_tests = passing_setup_tests(conn.service)
            conn.connect_card = None
            return render_connection(conn)

    def clear(self, connection_id: str) -> dict[str, Any]:
        """Remove the connection's scenario (e.g. the recovery SQL removed the duplicate rows)."""
        with self._lock:
            conn = self._get(connection_id)
            conn.scenario = None
            conn.tasks = []
            if conn.setup_state == "broken":
                conn.setup_state = "connected"
            conn.setup_tests = passing_setup_tests(conn.service)
            return render_connection(conn)

    def _notify(self, conn: SimConnection, action: str, detail: dict[str, Any]) -> None:
        if conn.scenario:
            conn.scenario.on_action(action, detail)

    # -- API operations -------------------------------------------------------------------------------------
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
            return [render_connection(c) for c in page], next_cursor

    def patch_connection(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict) or not body:
            raise bad_request("request body must be a non-empty JSON object")
        unknown = set(body) - PATCHABLE
        if unknown:
            raise bad_request(f"unknown field(s): {', '.join(sorted(unknown))}")
        validate_schedule_fields(body)
        with self._lock:
            conn = self._get(connection_id)
            changes = {k: v for k, v in body.items() if k != "paused"}
            if changes and conn.current is not None:
                if conn.id in self.faults.sync_stop_failure:
                    raise SimApiError(409, "Conflict", SYNC_STOP_TIMEOUT.text)
                self._cancel_now(conn)
            if "paused" in body:
                self._set_paused(conn, body["paused"])
            if changes:
                self._apply_changes(conn, changes)
                self._emit(conn, "edit_connector")
            return render_connection(conn)

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

    def _set_paused(self, conn: SimConnection, paused: bool) -> None:
        if paused == conn.paused:
            return
        conn.paused = paused
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
        elif conn.schedule_type == "auto":
            conn.next_sync_at = conn.rescheduled_for if ahead else self.now()

    def sync(self, connection_id: str, *, force: bool = False) -> str:
        with self._lock:
            conn = self._get(connection_id)
            self._emit(conn, "force_update_connector")
            if conn.paused:
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
                self._check_tables_exist(conn, scope)
            self._queue_resync(conn)
            self._notify(conn, "resync", {"scope": scope})
            self._emit(conn, "resync_connector")
            return "Re-sync has been triggered successfully"

    def resync_tables(self, connection_id: str, tables: dict[str, list[str]]) -> str:
        validate_tables(tables, "body")
        with self._lock:
            conn = self._get(connection_id)
            self._check_tables_exist(conn, tables)
            self._queue_resync(conn)
            self._notify(conn, "resync_tables", {"tables": tables})
            self._emit(conn, "resync_table")
            return "Re-sync has been triggered successfully"

    def _queue_resync(self, conn: SimConnection) -> None:
        if conn.paused:
            conn.pending = "resync"
        elif conn.current is not None:
            if conn.id in self.faults.sync_stop_failure:
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
            return render_connection(conn)

    def _run_setup_tests(self, conn: SimConnection) -> None:
        tests = (conn.scenario.setup_tests() if conn.scenario else None) or passing_setup_tests(conn.service)
        conn.setup_tests = tests
        if all(t["status"] == "PASSED" for t in tests):
            if conn.setup_state == "incomplete":
                conn.setup_state = "connected"
            self._notify(conn, "setup_tests", {"passed": True})

    def schema_config(self, connection_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._get(connection_id).schema_config)

    def patch_schema_config(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict) or not body:
            raise bad_request("request body must be a non-empty JSON object")
        unknown = set(body) - {"schema_change_handling", "schemas"}
        if unknown:
            raise bad_request(f"unknown field(s): {', '.join(sorted(unknown))}")
        handling = body.get("schema_change_handling")
        if handling is not None and handling not in ("ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL"):
            raise bad_request("schema_change_handling must be ALLOW_ALL, ALLOW_COLUMNS or BLOCK_ALL")
        with self._lock:
            conn = self._get(connection_id)
            merged = copy.deepcopy(conn.schema_config)
            if handling is not None:
                merged["schema_change_handling"] = handling
                merged["enable_new_by_default"] = handling == "ALLOW_ALL"
            merge_schemas(merged["schemas"], body.get("schemas") or {})
            conn.schema_config = merged
            self.logbook.add(self.now(), conn.id, "INFO", "change_schema_config", body, None)
            self._notify(conn, "schema_patch", body)
            self._emit(conn, "edit_connector")
            return copy.deepcopy(merged)

    def reload_schema(self, connection_id: str, *, exclude_mode: str = "PRESERVE") -> dict[str, Any]:
        if exclude_mode not in ("PRESERVE", "EXCLUDE", "INCLUDE"):
            raise bad_request("exclude_mode must be PRESERVE, EXCLUDE or INCLUDE")
        with self._lock:
            conn = self._get(connection_id)
            if conn.scenario:
                conn.scenario.reload(conn.schema_config)
            self._notify(conn, "reload_schema", {"exclude_mode": exclude_mode})
            return copy.deepcopy(conn.schema_config)

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

    # -- webhook API (delegated to the registry; the group must exist) ------------------------------------------
    def create_webhook(self, body: dict[str, Any], *, group_id: str | None = None) -> dict[str, Any]:
        if group_id is not None and group_id not in self._groups:
            raise SimApiError(404, "NotFound_Group", f"Group with id '{group_id}' does not exist.")
        return self.webhooks.create(body, group_id=group_id, test_body=self._test_body("sync_start"))

    def _test_body(self, event: str) -> bytes:
        """The test delivery Fivetran sends for its dummy connection (FACTS.md 1.1: no data, no sync_id)."""
        return encode_envelope(
            {
                "event": event,
                "created": webhook_time(self.now()),
                "connector_type": "_connector_type",
                "connector_id": "_connector_1",
                "destination_group_id": "_destination_1",
            }
        )

    def test_webhook(self, webhook_id: str, event: str) -> dict[str, Any]:
        """Deliver a test event synchronously, like Fivetran does, for the dummy connection `_connector_1`."""
        return self.webhooks.test(webhook_id, event, self._test_body(event))

    # -- server ---------------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, *, deliver_in_background: bool = True) -> str:
        """Serve /v1 (and /__sim) on a background thread; returns the base URL, e.g. http://127.0.0.1:PORT/v1."""
        from local.simulator.server import SimulatorServer

        if self._server is not None:
            raise RuntimeError("simulator already started")
        self._server = SimulatorServer(self, host, port)
        self._server.start()
        if deliver_in_background:
            self.sender.start_worker()
        return self.base_url

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator is not started")
        return f"{self._server.url}/v1"

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator is not started")
        return self._server.url

    def start_ticker(self, scale: float = 60.0, interval: float = 0.25) -> None:
        """Advance virtual time in the background: `scale` simulated seconds per real second."""
        from local.simulator.server import Ticker

        if self._ticker is not None:
            raise RuntimeError("ticker already running")
        self._ticker = Ticker(self, scale=scale, interval=interval)
        self._ticker.start()

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.sender.close()

    def transport(self) -> Any:
        """An httpx transport answering in-process (no socket): `httpx.Client(transport=sim.transport())`."""
        from local.simulator.api import mock_transport

        return mock_transport(self)

    def __enter__(self) -> FivetranSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
