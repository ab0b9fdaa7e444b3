"""Per-connection sync history (template.yaml ConnectionHistoryTable: connection_id + sk, TTL expires_at).

sk = `<at>#<event key>`: newest-first queries by time, and a redelivered event overwrites its own item.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fivetran_recovery.stores.base import HistoryRecord, time_key
from fivetran_recovery.stores.dynamodb_incidents import query_all, to_item

HISTORY_TTL_DAYS = 90


class DynamoHistoryStore:
    def __init__(self, *, client: Any, table_name: str, ttl_days: int = HISTORY_TTL_DAYS) -> None:
        self._client = client
        self._table = table_name
        self._ttl_days = ttl_days

    def record(self, record: HistoryRecord) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "connection_id": record.connection_id,
                    "sk": f"{time_key(record.at)}#{record.event_key}",
                    "doc": record.model_dump_json(),
                    "event": record.event,
                    "status": record.status,
                    "expires_at": int((record.at + timedelta(days=self._ttl_days)).timestamp()),
                }
            ),
        )

    def recent(self, connection_id: str, *, limit: int = 20, since: datetime | None = None) -> list[HistoryRecord]:
        condition = "connection_id = :c"
        values: dict[str, Any] = {":c": connection_id}
        if since is not None:
            condition += " AND sk >= :since"
            values[":since"] = time_key(since)
        items = query_all(
            self._client,
            self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=to_item(values),
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
        return [HistoryRecord.model_validate_json(item["doc"]) for item in items]
