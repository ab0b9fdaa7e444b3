"""When known-good schema snapshots are taken: after a success that follows a schema event (or the first success
we see), and by the scheduled sweep for connections that have none. Each is one GET of the schema config."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fivetran_recovery.snapshots.store import Snapshot, SnapshotStore

logger = logging.getLogger(__name__)
SCHEMA_EVENTS = frozenset({"edit_connector"})


@dataclass(kw_only=True)
class SnapshotKeeper:
    store: SnapshotStore
    fivetran: Any  # get_schema_config(id), iter_connections()
    clock: Callable[[], datetime]
    sweep_seconds: float = 3600.0
    sweep_limit: int = 50
    _last_sweep: float = field(default=float("-inf"), repr=False)

    def latest(self, connection_id: str) -> Snapshot | None:
        return self.store.get(connection_id) if connection_id else None

    def take(self, connection_id: str, reason: str) -> bool:
        """Store the connection's current schema config as known-good (False when Fivetran cannot be read)."""
        from fivetran_recovery.fivetran import FivetranError

        try:
            # Every column, not only edited ones (GET /schemas omits unedited columns): the diff needs them.
            read = getattr(self.fivetran, "full_schema_config", None) or self.fivetran.get_schema_config
            config = read(connection_id)
        except FivetranError as exc:
            logger.warning("schema snapshot skipped", extra={"connection_id": connection_id, "reason": str(exc)})
            return False
        config = config.model_dump(mode="json") if hasattr(config, "model_dump") else dict(config)
        self.store.put(Snapshot(connection_id=connection_id, config=config, taken_at=self.clock(), reason=reason))
        return True

    def after_success(self, connection_id: str, recent: Iterable[Any]) -> bool:
        """A sync succeeded: snapshot when there is none yet, or a schema event (a schema-drift failure, an edit)
        came since the last one. `recent` are the connection's history records."""
        current = self.store.get(connection_id)
        if current is not None and not any(
            (getattr(r, "category", None) == "schema_drift" or getattr(r, "event", None) in SCHEMA_EVENTS)
            and r.at > current.taken_at for r in recent
        ):
            return False
        return self.take(connection_id, "success after a schema event" if current else "first success")

    def sweep(self) -> int:
        """Snapshot connections that have none: at most `sweep_limit` per run, once per `sweep_seconds`."""
        from fivetran_recovery.fivetran import FivetranError

        now = self.clock().timestamp()
        if now - self._last_sweep < self.sweep_seconds:
            return 0
        self._last_sweep = now
        taken = 0
        try:
            for connection in self.fivetran.iter_connections():
                if taken >= self.sweep_limit:
                    break
                connection_id = connection.id if hasattr(connection, "id") else connection["id"]
                if self.store.get(connection_id) is None:
                    taken += self.take(connection_id, "scheduled sweep")
        except FivetranError as exc:
            logger.warning("schema snapshot sweep stopped", extra={"reason": str(exc)})
        return taken
