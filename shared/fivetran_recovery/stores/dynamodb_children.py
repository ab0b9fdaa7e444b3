"""A parent's children as their own items of the incidents table (see dynamodb_incidents.py's layout).

A child's transaction carries its parent's share: the `CHILD#<id>` item (put when it joins, marked closed when it
closes), an ADD on the parent's `COUNTS` item (its counts' change, one child, one closed child, last_seen moved
forward only), and, when it joins, a check that the parent is still open. So the parent's document is never
rewritten for a child, and its counters cannot drift from the children's.
"""

from __future__ import annotations

from typing import Any

from fivetran_recovery.models.incident import TERMINAL_STATUSES, ChildRef, Incident
from fivetran_recovery.stores.base import ChildChange, time_key
from fivetran_recovery.stores.dynamodb_items import to_item


def child_ref(item: dict[str, Any]) -> ChildRef:
    return ChildRef(incident_id=item["sk"].removeprefix("CHILD#"), connection_id=item.get("connection_id"),
                    closed=bool(item.get("closed")))


def children_unchanged(table: str, parent: Incident) -> dict[str, Any]:
    return {"ConditionCheck": {
        "TableName": table, "Key": to_item({"pk": f"INC#{parent.id}", "sk": "COUNTS"}),
        "ConditionExpression": "attribute_not_exists(#n) OR #n = :n", "ExpressionAttributeNames": {"#n": "child_count"},
        "ExpressionAttributeValues": to_item({":n": parent.child_count}),
    }}


class ParentShare:
    """The parent's part of a child's transaction: its CHILD item, its COUNTS update, the check it is open.

    `writes()` come after the child's own writes; `offset` (their number) maps a failed index back to a role."""

    def __init__(self, table: str, change: ChildChange | None) -> None:
        self.table = table
        self.change = change if change is not None and not change.is_empty else None
        self.parent_id = change.parent_id if change is not None else ""
        self._roles: list[str] = []

    def writes(self, *, advance: bool = False) -> list[dict[str, Any]]:
        change, self._roles = self.change, []
        if change is None:
            return []
        pk, out = f"INC#{change.parent_id}", []
        if change.joined:
            item = {"pk": pk, "sk": f"CHILD#{self._child_id}", "connection_id": self._connection,
                    "closed": change.closed}
            out.append(("child", {"Put": {"TableName": self.table, "Item": to_item(item)}}))
            terminal = {f":t{i}": status.value for i, status in enumerate(sorted(TERMINAL_STATUSES))}
            out.append(("parent_open", {"ConditionCheck": {
                "TableName": self.table, "Key": to_item({"pk": pk, "sk": "META"}),
                "ConditionExpression": f"attribute_exists(pk) AND NOT (#s IN ({', '.join(terminal)}))",
                "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": to_item(terminal)}}))
        elif change.closed:
            out.append(("child", {"Update": {
                "TableName": self.table, "Key": to_item({"pk": pk, "sk": f"CHILD#{self._child_id}"}),
                "UpdateExpression": "SET #c = :c", "ExpressionAttributeNames": {"#c": "closed"},
                "ExpressionAttributeValues": to_item({":c": True})}}))
        out += [("counts", update) for update in [self._counts(pk, change, advance)] if update]
        self._roles = [role for role, _ in out]
        return [write for _, write in out]

    def bind(self, child: Incident) -> ParentShare:
        self._child_id, self._connection = child.id, child.connection_id
        return self

    def _counts(self, pk: str, change: ChildChange, advance: bool) -> dict[str, Any] | None:
        adds = {"events": change.events, "failures": change.failures, "successes": change.successes,
                "child_count": int(change.joined), "closed_child_count": int(change.closed)}
        adds = {k: v for k, v in adds.items() if v}
        names = {f"#{k}": k for k in adds}
        values: dict[str, Any] = {f":{k}": v for k, v in adds.items()}
        parts = [f"ADD {', '.join(f'#{k} :{k}' for k in adds)}"] if adds else []
        update: dict[str, Any] = {"TableName": self.table, "Key": to_item({"pk": pk, "sk": "COUNTS"})}
        if advance and change.last_seen is not None:
            parts.append("SET #ls = :ls")
            names["#ls"], values[":ls"] = "last_seen", time_key(change.last_seen)
            update["ConditionExpression"] = "attribute_not_exists(#ls) OR #ls < :ls"
        if not parts:
            return None
        return {"Update": {**update, "UpdateExpression": " ".join(parts), "ExpressionAttributeNames": names,
                           "ExpressionAttributeValues": to_item(values)}}

    def _role_failed(self, failed: set[int], offset: int, role: str) -> bool:
        return any(0 <= i - offset < len(self._roles) and self._roles[i - offset] == role for i in failed)

    def parent_closed(self, failed: set[int], *, offset: int) -> bool:
        return self._role_failed(failed, offset, "parent_open")

    def only_last_seen(self, failed: set[int], *, offset: int) -> bool:
        """Only the COUNTS update's last_seen condition failed: the rest may be written without it."""
        return bool(failed) and all(0 <= i - offset < len(self._roles) and self._roles[i - offset] == "counts"
                                    for i in failed)
