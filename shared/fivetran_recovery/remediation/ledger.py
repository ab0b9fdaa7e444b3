"""Exactly-once steps: a step is claimed (conditional write) before it acts and marked done, with its result,
after. A retried invocation of a finished step returns the stored result without acting again.

IdempotencyTable item: id = `<incident>#step#<index>`, status in_progress|completed|unknown, started_at,
lease_until, result_json, expiration (TTL). A claim is held for a lease as long as the remediate function's own
timeout (plus a margin): no invocation can still be acting after it. The state machine retries StepInProgress for
longer than the lease, so a claim left by a crashed or timed-out invocation is always seen again once stale; the
caller then reads Fivetran's state back (reconcile) before deciding to repeat (`acquire` / `take_over`). A step
whose outcome could not be read back is marked unknown: a human must look (StepOutcomeUnknown).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

TTL_SECONDS = 14 * 24 * 3600
DEFAULT_LEASE_SECONDS = 180


class StepInProgress(RuntimeError):
    """Another invocation is running this step right now (Step Functions retries us later)."""


class StepOutcomeUnknown(RuntimeError):
    """An earlier attempt may or may not have acted; the step is not repeated blindly."""


def step_key(incident_id: str, index: int, phase: str = "step") -> str:
    return f"{incident_id}#{phase}#{index}"


@dataclass(frozen=True)
class Claim:
    """What `acquire` found: `new` (act now), `completed` (its stored result), or `stale` (an earlier invocation
    claimed it and is gone: read the state back before acting)."""

    state: str
    result: dict[str, Any] | None = None
    started_at: int | None = None


class StepLedger:
    def __init__(self, table: Any, *, clock: Callable[[], datetime],
                 lease_seconds: int = DEFAULT_LEASE_SECONDS):
        self._table = table
        self._clock = clock
        self.lease_seconds = lease_seconds

    def _put_claim(self, key: str, now: int, **condition: Any) -> None:
        self._table.put_item(
            Item={"id": key, "status": "in_progress", "started_at": now, "lease_until": now + self.lease_seconds,
                  "expiration": now + TTL_SECONDS},
            **condition,
        )

    def acquire(self, key: str) -> Claim:
        """Claim the step; raises StepInProgress while another invocation's lease runs."""
        now = int(self._clock().timestamp())
        try:
            self._put_claim(key, now, ConditionExpression="attribute_not_exists(id)")
            return Claim("new")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        item = self._table.get_item(Key={"id": key}, ConsistentRead=True).get("Item") or {}
        if item.get("status") == "completed":
            return Claim("completed", json.loads(item.get("result_json") or "{}"))
        if item.get("status") == "unknown":
            raise StepOutcomeUnknown(f"step {key}: {item.get('detail') or 'its outcome could not be read back'}")
        started = int(item.get("started_at", now))
        if now < int(item.get("lease_until", started + self.lease_seconds)):
            raise StepInProgress(f"step {key} is being run by another invocation")
        return Claim("stale", started_at=started)

    def take_over(self, key: str, stale: Claim) -> None:
        """Claim a stale step for this invocation (exactly one taker wins)."""
        now = int(self._clock().timestamp())
        try:
            self._put_claim(key, now, ConditionExpression="started_at = :old",
                            ExpressionAttributeValues={":old": stale.started_at})
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise StepInProgress(f"step {key} was taken over by another invocation") from None

    def claim(self, key: str, *, repeatable: bool) -> dict[str, Any] | None:
        """None when this caller may act now; the stored result when the step already completed (no read-back:
        a stale claim is re-run only for actions safe to repeat)."""
        found = self.acquire(key)
        if found.state == "completed":
            return found.result
        if found.state == "stale":
            if not repeatable:
                raise StepOutcomeUnknown(f"step {key} was interrupted; its action is not safe to repeat blindly")
            self.take_over(key, found)
        return None

    def mark_unknown(self, key: str, detail: str) -> None:
        """The action may or may not have happened and Fivetran's state cannot tell: never repeat it."""
        now = int(self._clock().timestamp())
        self._table.put_item(Item={"id": key, "status": "unknown", "detail": detail[:500], "started_at": now,
                                   "expiration": now + TTL_SECONDS})

    def complete(self, key: str, result: dict[str, Any]) -> None:
        now = int(self._clock().timestamp())
        self._table.put_item(
            Item={
                "id": key,
                "status": "completed",
                "completed_at": now,
                "result_json": json.dumps(result, sort_keys=True, default=str),
                "expiration": now + TTL_SECONDS,
            }
        )

    def is_complete(self, key: str) -> bool:
        item = self._table.get_item(Key={"id": key}, ConsistentRead=True).get("Item") or {}
        return item.get("status") == "completed"

    def release(self, key: str) -> None:
        """Forget a claim whose action failed before acting (so a retry may act); a completed step stays."""
        try:
            self._table.delete_item(
                Key={"id": key},
                ConditionExpression="#s = :p",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":p": "in_progress"},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
