"""The simulated Fivetran account: connections whose syncs run on a virtual clock, the API operations that act
on them, failure scenarios, webhooks, LOG rows and write-call accounting. The state machine only: it knows
nothing of HTTP (api.py dispatches requests to it, server.py serves them, simulator.py puts the three together).

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

import random
import threading
from datetime import datetime
from typing import Any

from local.simulator.clock import DEFAULT_START, VirtualClock, WriteCall
from local.simulator.connections import ConnectionOps
from local.simulator.engine import SyncEngine
from local.simulator.faults import FaultPlan
from local.simulator.fleet import Group, SimConnection, default_fleet, iso, passing_setup_tests, render_connection
from local.simulator.hooks import WebhookRegistry
from local.simulator.logrows import LogBook
from local.simulator.options import STRICT, Fidelity
from local.simulator.quotas import AccountQuota
from local.simulator.rules import SimApiError, not_found, webhook_time
from local.simulator.scenarios import ScenarioError, build_scenario
from local.simulator.schemas import SchemaOps
from local.simulator.status_feed import StatusFeed
from local.simulator.webhooks import Delivery, Target, WebhookSender, encode_envelope

__all__ = ["DEFAULT_START", "SimulatorCore"]


class SimulatorCore(SyncEngine, ConnectionOps, SchemaOps):
    """An in-process Fivetran account, driven in Python (advance, inject, the API operations)."""

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
        fidelity: Fidelity | None = None,
    ) -> None:
        """`fidelity` is strict by default (options.py); a lenient behaviour is an option a test names."""
        self.fidelity = fidelity or STRICT
        self.clock = VirtualClock(start or DEFAULT_START)
        if connections is None:
            groups, connections = default_fleet(self.clock.now())
        self.api_key = api_key
        self.api_secret = api_secret
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._volume_rng = random.Random(seed + 1)  # sync-history volumes, apart so sync ids stay as they were
        self._groups = {g.id: g for g in (groups or [])}
        self._connections = {c.id: c for c in sorted(connections, key=lambda c: c.id)}
        unknown_groups = {c.group_id for c in connections} - set(self._groups)
        if unknown_groups:
            raise ValueError(f"connections reference unknown groups {sorted(unknown_groups)}")
        self._write_calls: list[WriteCall] = []
        self.logbook = LogBook()
        self.sender = WebhookSender()
        f = self.fidelity
        self.webhooks = WebhookRegistry(
            self.sender,
            self.now,
            require_https=not f.webhooks_http_allowed,
            verify_on_create=not f.webhooks_untested,
            retry=not f.webhooks_no_retry,
            retry_step=f.webhook_retry_step,
            retry_for=f.webhook_retry_for,
        )
        self.quota = AccountQuota(f.quota)
        self.faults = FaultPlan()
        self.status = StatusFeed(self.now)
        if webhook_url is not None:
            self.configure_webhook(webhook_url, webhook_secret, webhook_events)

    def now(self) -> datetime:
        return self.clock.now()

    # -- webhooks -------------------------------------------------------------------------------------------
    def configure_webhook(self, target: Target, secret: str | None = None, events: list[str] | None = None) -> None:
        """Send webhooks to `target` (a URL or an in-process callable) signed with `secret`."""
        self.webhooks.configure(target, secret, events)

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
            return self._render(self._get(connection_id))

    def _render(self, conn: SimConnection) -> dict[str, Any]:
        self._refresh_update_state(conn)
        return render_connection(conn)

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
                if instance.auto_pause_due() and not target.paused:
                    self._auto_pause(target, instance.auto_pause_reason)
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
            return self._render(conn)

    def clear(self, connection_id: str) -> dict[str, Any]:
        """Remove the connection's scenario (e.g. the recovery SQL removed the duplicate rows)."""
        with self._lock:
            conn = self._get(connection_id)
            conn.scenario = None
            conn.tasks = []
            if conn.setup_state == "broken":
                conn.setup_state = "connected"
            conn.setup_tests = passing_setup_tests(conn.service)
            return self._render(conn)

    def _notify(self, conn: SimConnection, action: str, detail: dict[str, Any]) -> None:
        if conn.scenario:
            conn.scenario.on_action(action, detail)

    # -- webhook API (delegated to the registry; the group must exist) ------------------------------------------
    def create_webhook(self, body: dict[str, Any], *, group_id: str | None = None) -> dict[str, Any]:
        if group_id is not None and group_id not in self._groups:
            raise SimApiError(404, "NotFound_Group", f"Group with id '{group_id}' does not exist.")
        return self.webhooks.create(body, group_id=group_id, test_body=self._test_body("sync_start"))

    def patch_webhook(self, webhook_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.webhooks.patch(webhook_id, body, test_body=self._test_body("sync_start"))

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
