"""Reconciliation: no failure missed when a webhook is.

On its own schedule, the diagnose function lists every connection (all pages) and reads its recent sync history
(`GET /v1/connections/{id}/sync-history`). A finished sync that no webhook reported (the history store holds
every `sync_end` the webhook path saw) is fed to the same use case as a webhook, as the `sync_end` Fivetran
would have sent: same connection, sync id, `created` (the sync's end, in the webhook's millisecond form) and
status, so the same event key. A webhook that arrives later is then a redelivery to the idempotency layer, not
a second incident. A connection Fivetran marks `delayed` with no failure on record is reported (there is no
event to feed: it is logged and counted, so an alarm can page on it), and so is every account or group webhook
that is not active (Fivetran disables one after 24 h of failed deliveries).

A sync that ended less than `settle` ago (five minutes by default, RECONCILE_SETTLE_SECONDS) is left for the next
run: its webhook is most likely still on its way. "Ago" is on Fivetran's clock (`now`: the Date of its answers),
the clock its sync times are on; the local simulator's runs faster than ours.

What cannot be known from the API is said so: the history's status FAILURE does not say FAILURE_WITH_TASK; the
connection's open tasks do (Fivetran sets them with the task failure), so a failure on a connection with a task
is fed as FAILURE_WITH_TASK with that task type. The sync's failure `reason` is the history's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fivetran_recovery.models.webhook import WebhookEvent

logger = logging.getLogger(__name__)
FED = {"COMPLETED": "SUCCESSFUL", "FAILURE": "FAILURE"}  # history status -> the sync_end status a webhook carries


def webhook_time(value: datetime) -> str:
    """The webhook's `created` form: UTC, milliseconds, Z (FACTS.md 1.3)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class ReconcileReport:
    connections: int = 0
    syncs_read: int = 0
    fed: list[dict[str, Any]] = field(default_factory=list)  # {connection_id, sync_id, status, action}
    settling: list[dict[str, Any]] = field(default_factory=list)  # ended within the settle window: next run
    delayed: list[str] = field(default_factory=list)
    inactive_webhooks: list[str] = field(default_factory=list)  # Fivetran disables one after 24 h of failures
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"connections": self.connections, "syncs_read": self.syncs_read, "fed": self.fed,
                "settling": self.settling,
                "delayed": self.delayed, "inactive_webhooks": self.inactive_webhooks, "errors": self.errors}


@dataclass
class Reconciler:
    fivetran: Any  # iter_connections(), iter_sync_history(id)
    history: Any  # HistoryStore: recent(connection_id, limit=)
    handle: Callable[[WebhookEvent], Any]  # the webhook path (idempotent on the event key)
    history_limit: int = 100
    settle: timedelta = timedelta(minutes=5)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)  # Fivetran's clock (its syncs' times are on it)

    def run(self) -> ReconcileReport:
        report = ReconcileReport()
        try:  # a webhook Fivetran disabled is why failures go unreported: say so (re-enabling is a human's call)
            report.inactive_webhooks = [w.id for w in self.fivetran.list_webhooks() if w.active is False]
        except Exception as exc:
            report.errors.append(f"webhooks: {type(exc).__name__}")
        for connection in self.fivetran.iter_connections():
            report.connections += 1
            try:
                self._reconcile(connection, report)
            except Exception as exc:  # one connection's failure must not hide the others'
                logger.exception("reconciling a connection failed", extra={"connection_id": connection.id})
                report.errors.append(f"{connection.id}: {type(exc).__name__}")
        return report

    def _reconcile(self, connection: Any, report: ReconcileReport) -> None:
        seen = {r.sync_id for r in self.history.recent(connection.id, limit=self.history_limit)
                if r.event == "sync_end" and r.sync_id}
        records = [r for r in self.fivetran.iter_sync_history(connection.id) if r.status in FED and r.end]
        report.syncs_read += len(records)
        missed = [r for r in records if r.sync_id not in seen]
        now = self.now()
        for record in sorted(missed, key=lambda r: r.end):  # oldest first, as the webhooks would have come
            age = (now - record.end).total_seconds()
            if age < self.settle.total_seconds():  # its webhook may still be on its way: the next run decides
                report.settling.append({"connection_id": connection.id, "sync_id": record.sync_id,
                                        "ended_seconds_ago": round(age, 1)})
                continue
            event = self._event(connection, record)
            outcome = self.handle(event)
            action = getattr(outcome, "action", None) or (outcome or {}).get("action")
            report.fed.append({"connection_id": connection.id, "sync_id": record.sync_id,
                               "status": event.status, "event_key": event.event_key, "action": action})
        failed_on_record = any(r.status == "FAILURE" for r in records)
        if connection.status.update_state == "delayed" and not failed_on_record and not connection.paused:
            report.delayed.append(connection.id)

    @staticmethod
    def _event(connection: Any, record: Any) -> WebhookEvent:
        status = FED[record.status]
        data: dict[str, Any] = {"status": status}
        tasks = connection.task_codes
        if status == "FAILURE" and tasks:
            data.update(status="FAILURE_WITH_TASK", taskType=tasks[0])
        if record.reason and status != "SUCCESSFUL":
            data["reason"] = record.reason
        return WebhookEvent.model_validate({
            "event": "sync_end",
            "created": webhook_time(record.end),
            "connector_type": connection.service,
            "connector_id": connection.id,
            "connector_name": connection.schema_,
            "sync_id": record.sync_id,
            "destination_group_id": connection.group_id,
            "data": data,
        })
