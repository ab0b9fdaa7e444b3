"""DynamoDB item plumbing shared by the stores: (de)serialisation, paged queries, transaction failures."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from fivetran_recovery.stores.base import StoreError

_SER = TypeSerializer()
_DESER = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _SER.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESER.deserialize(v) for k, v in item.items()}


def parse_time_key(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def query_all(client: Any, table: str, *, max_items: int | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """Query with pagination, items deserialised."""
    out: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = client.query(TableName=table, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        out.extend(from_item(item) for item in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start or (max_items is not None and len(out) >= max_items):
            return out[:max_items] if max_items is not None else out


def failed_indexes(error: ClientError) -> set[int]:
    """Indexes of the transaction's items whose condition failed."""
    reasons = error.response.get("CancellationReasons") or []
    return {i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"}


def is_conflict(error: ClientError) -> bool:
    """Another transaction held an item (DynamoDB's TransactionConflict): worth another try."""
    reasons = error.response.get("CancellationReasons") or []
    return any(r.get("Code") == "TransactionConflict" for r in reasons)


def batch_get_all(client: Any, table: str, keys: list[dict[str, Any]], *, tries: int = 8) -> list[dict[str, Any]]:
    """BatchGetItem (strongly consistent, at most 100 keys) until nothing is left unprocessed, items deserialised."""
    out: list[dict[str, Any]] = []
    request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
    for attempt in range(tries):
        answer = client.batch_get_item(RequestItems=request)
        out.extend(from_item(item) for item in answer.get("Responses", {}).get(table, []))
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return out
        time.sleep(min(0.05 * 2**attempt, 1.0))  # throttled: back off before the rest
    raise StoreError(f"BatchGetItem on {table} left keys unprocessed after {tries} tries")


def is_conditional_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons) or not reasons
    return False
