"""ApprovalsTable (key approval_id, TTL expires_at): one pending approval per workflow wait.

The Step Functions task token is stored here and nowhere else: `get` never returns it, and it is removed
once the decision has been delivered. One decision per approval: the decision is a conditional update that only
succeeds while the approval is pending and not expired.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

TOKEN_FIELD = "task_token"
PUBLIC_FIELDS = (
    "approval_id",
    "incident_id",
    "connection_id",
    "status",
    "created_at",
    "expires_at_iso",
    "playbook_id",
    "planned_actions",
    "rca",
    "reasons",
    "decided_by",
    "decided_at",
    "decision_source",
    "comment",
    "delivery",
)


class ApprovalConflict(RuntimeError):
    """The approval is no longer pending (already decided, or expired)."""

    def __init__(self, message: str, current: dict[str, Any] | None):
        super().__init__(message)
        self.current = current


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ApprovalStore:
    def __init__(self, table: Any, *, clock: Callable[[], datetime]):
        self._table = table
        self._clock = clock

    def create(
        self,
        *,
        incident_id: str,
        connection_id: str,
        task_token: str,
        timeout_seconds: int,
        playbook_id: str,
        planned_actions: list[str],
        rca: dict[str, Any],
        reasons: list[str],
        unresolved_steps: list[int] | None = None,
        policy: dict[str, Any] | None = None,
        start_input: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """`policy`: what decides who may approve (owning team, risk, criticality, affected objects).
        `start_input`: for an approval no workflow waits on (a preemptive plan, task_token ""), the workflow input
        that approving starts."""
        now = self._clock()
        expires = now + timedelta(seconds=timeout_seconds)
        approval_id = f"apr-{uuid.uuid4().hex}"
        item = {
            "approval_id": approval_id,
            "incident_id": incident_id,
            "connection_id": connection_id,
            TOKEN_FIELD: task_token,
            "status": "pending",
            "created_at": _iso(now),
            "expires_at_iso": _iso(expires),
            # TTL deletes the item a week after expiry; the audit trail keeps the decision for good.
            "expires_at": int(expires.timestamp()) + 7 * 24 * 3600,
            "expires_epoch": int(expires.timestamp()),
            "playbook_id": playbook_id,
            "planned_actions": planned_actions,
            "rca_json": json.dumps(rca, sort_keys=True),
            "reasons": reasons,
            "refs_json": "{}",
            "unresolved_steps": list(unresolved_steps or []),
            "policy_json": json.dumps(policy or {}, sort_keys=True),
            **({"start_json": json.dumps(start_input, sort_keys=True, default=str)} if start_input else {}),
        }
        self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(approval_id)")
        return self._public(item)

    def _raw(self, approval_id: str) -> dict[str, Any] | None:
        return self._table.get_item(Key={"approval_id": approval_id}, ConsistentRead=True).get("Item")

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        view = {k: item[k] for k in PUBLIC_FIELDS if k in item}
        view["rca"] = json.loads(item.get("rca_json") or "{}")
        view["planned_actions"] = list(item.get("planned_actions") or [])
        view["reasons"] = list(item.get("reasons") or [])
        view["unresolved_steps"] = [int(i) for i in item.get("unresolved_steps") or []]
        view["resolution"] = json.loads(item["resolution_json"]) if item.get("resolution_json") else None
        view["policy"] = json.loads(item.get("policy_json") or "{}")
        view["first_approver"] = item.get("first_approver")
        view["starts_workflow"] = bool(item.get("start_json"))
        return view

    def get(self, approval_id: str) -> dict[str, Any] | None:
        """The approval as shown to people and the workflow: never the task token."""
        item = self._raw(approval_id)
        return self._public(item) if item else None

    def start_input(self, approval_id: str) -> dict[str, Any] | None:
        """The workflow input approving starts (None: a workflow waits on this approval's task token)."""
        item = self._raw(approval_id) or {}
        return json.loads(item["start_json"]) if item.get("start_json") else None

    def channel_refs(self, approval_id: str) -> dict[str, Any]:
        """Where the request was posted ({"refs": {...}, "notice": {...}}), to update it after the decision."""
        item = self._raw(approval_id) or {}
        return json.loads(item.get("refs_json") or "{}")

    def set_refs(self, approval_id: str, refs: dict[str, Any]) -> None:
        self._table.update_item(
            Key={"approval_id": approval_id},
            UpdateExpression="SET refs_json = :r",
            ExpressionAttributeValues={":r": json.dumps(refs, sort_keys=True, default=str)},
        )

    def decide(
        self,
        approval_id: str,
        *,
        decision: str,
        approver: str,
        source: str,
        comment: str,
        resolution: dict[str, Any] | None = None,
    ) -> tuple[dict, str]:
        """Record the one decision (with the approver's resolution of unresolved steps, if any); returns
        (public view, task token). Raises ApprovalConflict if not pending."""
        if decision not in ("approved", "rejected"):
            raise ValueError("decision must be approved or rejected")
        now = self._clock()
        try:
            answer = self._table.update_item(
                Key={"approval_id": approval_id},
                UpdateExpression="SET #s = :d, decided_by = :by, decided_at = :at, decision_source = :src, "
                "#c = :comment, resolution_json = :res",
                ConditionExpression="attribute_exists(approval_id) AND #s = :pending AND expires_epoch > :now",
                ExpressionAttributeNames={"#s": "status", "#c": "comment"},
                ExpressionAttributeValues={
                    ":d": decision,
                    ":by": approver,
                    ":at": _iso(now),
                    ":src": source,
                    ":comment": comment[:1000],
                    ":pending": "pending",
                    ":now": int(now.timestamp()),
                    ":res": json.dumps(resolution, sort_keys=True) if resolution else "",
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            current = self.get(approval_id)
            if current is None:
                raise KeyError(approval_id) from None
            if current["status"] == "pending":
                raise ApprovalConflict("the approval has expired", current) from None
            raise ApprovalConflict(f"the approval was already {current['status']}", current) from None
        item = answer["Attributes"]
        return self._public(item), str(item.get(TOKEN_FIELD, ""))

    def add_first_approval(self, approval_id: str, approver: str) -> bool:
        """Two-person rule: note the first approver of a pending approval (False when one is noted already)."""
        try:
            self._table.update_item(
                Key={"approval_id": approval_id},
                UpdateExpression="SET first_approver = :by",
                ConditionExpression="#s = :pending AND attribute_not_exists(first_approver)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":by": approver, ":pending": "pending"},
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise

    def mark_delivered(self, approval_id: str, delivery: str) -> None:
        """After SendTask*: drop the token and note whether the workflow received the decision."""
        self._table.update_item(
            Key={"approval_id": approval_id},
            UpdateExpression="SET delivery = :d REMOVE task_token",
            ExpressionAttributeValues={":d": delivery},
        )

    def undelivered(self, approval_id: str) -> tuple[dict[str, Any], str] | None:
        """A decision taken whose delivery was never marked (the deciding invocation stopped): (view, token)."""
        item = self._raw(approval_id)
        if not item or item.get("status") not in ("approved", "rejected") or item.get("delivery"):
            return None
        return self._public(item), str(item.get(TOKEN_FIELD, ""))

    def expire(self, approval_id: str) -> bool:
        """The workflow timed out: pending -> expired (no decision can be taken any more)."""
        try:
            self._table.update_item(
                Key={"approval_id": approval_id},
                UpdateExpression="SET #s = :e REMOVE task_token",
                ConditionExpression="#s = :pending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":e": "expired", ":pending": "pending"},
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
