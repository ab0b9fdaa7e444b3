"""Where known-good schema snapshots live: one item per connection in the incidents table (`SCHEMA#<id>`).

Schema configs of wide connections are large, so the JSON is stored zlib-compressed (DynamoDB items are capped
at 400 KB).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

SNAPSHOT_SK = "SNAPSHOT"


@dataclass(frozen=True)
class Snapshot:
    connection_id: str
    config: dict[str, Any]
    taken_at: datetime
    reason: str = ""


class SnapshotStore(Protocol):
    def get(self, connection_id: str) -> Snapshot | None: ...

    def put(self, snapshot: Snapshot) -> None: ...


class MemorySnapshotStore:
    def __init__(self) -> None:
        self.items: dict[str, Snapshot] = {}

    def get(self, connection_id: str) -> Snapshot | None:
        return self.items.get(connection_id)

    def put(self, snapshot: Snapshot) -> None:
        self.items[snapshot.connection_id] = snapshot


class DynamoSnapshotStore:
    def __init__(self, *, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def _key(connection_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"SCHEMA#{connection_id}"}, "sk": {"S": SNAPSHOT_SK}}

    def get(self, connection_id: str) -> Snapshot | None:
        item = self._client.get_item(TableName=self._table, Key=self._key(connection_id),
                                     ConsistentRead=True).get("Item")
        if not item:
            return None
        config = json.loads(zlib.decompress(item["config"]["B"]))
        return Snapshot(connection_id=connection_id, config=config, reason=item.get("reason", {}).get("S", ""),
                        taken_at=datetime.fromisoformat(item["taken_at"]["S"]))

    def put(self, snapshot: Snapshot) -> None:
        blob = zlib.compress(json.dumps(snapshot.config, sort_keys=True, default=str).encode())
        self._client.put_item(TableName=self._table, Item={
            **self._key(snapshot.connection_id),
            "config": {"B": blob},
            "taken_at": {"S": snapshot.taken_at.astimezone(UTC).isoformat()},
            "reason": {"S": snapshot.reason or "-"},
        })
