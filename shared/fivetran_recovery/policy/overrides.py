"""An operator's override: stop automation on one connection (and resume it).

Stored as one item in IncidentsTable (`OVERRIDE#<connection>` / `AUTOMATION`) so the policy gate reads it with
one GetItem, and every change is appended to the connection's audit chain (kind `automation_stopped` /
`automation_resumed`, actor = the named human). While stopped, the policy gate sends every new incident of that
connection down the monitor path: diagnosed and notified, no write call to Fivetran.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

OVERRIDE_INCIDENT = "operator-override"  # audit records of overrides belong to no incident


def _now() -> datetime:
    return datetime.now(UTC)


class AutomationOverrides:
    """`table` is the IncidentsTable resource; `audit` an AuditLog (None: reading only, as the gate does)."""

    def __init__(self, table: Any, *, audit: Any = None, clock: Callable[[], datetime] = _now):
        self._table = table
        self._audit = audit
        self._clock = clock

    @staticmethod
    def _key(connection_id: str) -> dict[str, str]:
        return {"pk": f"OVERRIDE#{connection_id}", "sk": "AUTOMATION"}

    def get(self, connection_id: str) -> dict[str, Any] | None:
        """The override in force ({stopped_by, reason, stopped_at}), or None when automation runs."""
        item = self._table.get_item(Key=self._key(connection_id), ConsistentRead=True).get("Item")
        if not item or not item.get("stopped"):
            return None
        return {k: item.get(k) for k in ("stopped_by", "reason", "stopped_at")}

    def stopped_reason(self, connection_id: str) -> str | None:
        """What the policy gate says when automation is stopped on the connection."""
        override = self.get(connection_id)
        if override is None:
            return None
        reason = f": {override['reason']}" if override.get("reason") else ""
        return f"automation stopped on {connection_id} by {override['stopped_by']} at {override['stopped_at']}{reason}"

    def stop(self, connection_id: str, *, by: str, reason: str) -> dict[str, Any]:
        at = self._clock().astimezone(UTC).isoformat()
        self._record(connection_id, "automation_stopped", by, {"reason": reason[:500], "at": at})  # audit first
        self._table.put_item(Item={**self._key(connection_id), "stopped": True, "stopped_by": by,
                                   "reason": reason[:500], "stopped_at": at})
        return {"connection_id": connection_id, "automation": "stopped", "stopped_by": by, "stopped_at": at}

    def resume(self, connection_id: str, *, by: str, reason: str = "") -> dict[str, Any]:
        at = self._clock().astimezone(UTC).isoformat()
        self._record(connection_id, "automation_resumed", by, {"reason": reason[:500], "at": at})
        self._table.put_item(Item={**self._key(connection_id), "stopped": False, "resumed_by": by, "resumed_at": at})
        return {"connection_id": connection_id, "automation": "running", "resumed_by": by, "resumed_at": at}

    def _record(self, connection_id: str, kind: str, by: str, detail: dict[str, Any]) -> None:
        if self._audit is None:
            raise RuntimeError("overrides need the audit log to change")
        self._audit.append(chain_id=connection_id, incident_id=OVERRIDE_INCIDENT, kind=kind, actor=by, detail=detail)
