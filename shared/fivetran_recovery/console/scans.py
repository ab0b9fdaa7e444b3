"""The console's two list reads on DynamoDB: every incident (the `INC#…`/`META` items of IncidentsTable) and the
approvals of ApprovalsTable. Scans, bounded: the console's lists are for people, newest first, at most a few
hundred rows (a status index is the next step when a fleet outgrows that)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_SCANNED = 5000


def scan_incidents(client: Any, table_name: str) -> list[Any]:
    from fivetran_recovery.stores.dynamodb_incidents import from_item, incident_from_items

    metas, counts = [], {}
    for item in _scan(client, TableName=table_name,
                      FilterExpression="(sk = :meta OR sk = :counts) AND begins_with(pk, :inc)",
                      ExpressionAttributeValues={":meta": {"S": "META"}, ":counts": {"S": "COUNTS"},
                                                 ":inc": {"S": "INC#"}}):
        values = from_item(item)
        if values["sk"] == "META":
            metas.append(values)
        else:  # a parent's children's share: its counts and how many children it has
            counts[values["pk"]] = values
    return [incident_from_items(meta, counts.get(meta["pk"])) for meta in metas]


def scan_approvals(client: Any, table_name: str, store: Any) -> list[dict[str, Any]]:
    """Approvals as the store shows them (never the task token)."""
    ids = [item["approval_id"]["S"] for item in
           _scan(client, TableName=table_name, ProjectionExpression="approval_id")]
    return [a for a in (store.get(i) for i in ids) if a]


def _scan(client: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    start, seen = None, 0
    while seen < MAX_SCANNED:
        page = client.scan(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        for item in page.get("Items", []):
            seen += 1
            yield item
        start = page.get("LastEvaluatedKey")
        if not start:
            return
