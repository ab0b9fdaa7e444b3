"""Exactly-once steps: a step is claimed (conditional write) before it acts and marked done, with its result,
after. A retried invocation of a finished step returns the stored result without acting again.

IdempotencyTable item: id = `<incident>#step#<index>`, status in_progress|completed, result_json, expiration
(TTL). A claim left in_progress by a crashed invocation is only re-run for actions that are safe to repeat;
otherwise the step's outcome is unknown and a human must look (StepOutcomeUnknown).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

TTL_SECONDS = 14 * 24 * 3600


class StepInProgress(RuntimeError):
    """Another invocation is running this step right now (Step Functions retries us later)."""


class StepOutcomeUnknown(RuntimeError):
    """An earlier attempt may or may not have acted; the step is not repeated blindly."""


def step_key(incident_id: str, index: int, phase: str = "step") -> str:
    return f"{incident_id}#{phase}#{index}"


class StepLedger:
    def __init__(self, table: Any, *, clock: Callable[[], datetime], stale_after_seconds: int = 180):
        self._table = table
        self._clock = clock
        self._stale_after = stale_after_seconds

    def claim(self, key: str, *, repeatable: bool) -> dict[str, Any] | None:
        """None when this caller may act now; the stored result when the step already completed."""
        now = int(self._clock().timestamp())
        try:
            self._table.put_item(
                Item={"id": key, "status": "in_progress", "started_at": now, "expiration": now + TTL_SECONDS},
                ConditionExpression="attribute_not_exists(id)",
            )
            return None
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        item = self._table.get_item(Key={"id": key}, ConsistentRead=True).get("Item") or {}
        if item.get("status") == "completed":
            return json.loads(item.get("result_json") or "{}")
        started = int(item.get("started_at", now))
        if now - started < self._stale_after:
            raise StepInProgress(f"step {key} is being run by another invocation")
        if not repeatable:
            raise StepOutcomeUnknown(f"step {key} was interrupted; its action is not safe to repeat blindly")
        self._table.put_item(
            Item={"id": key, "status": "in_progress", "started_at": now, "expiration": now + TTL_SECONDS},
            ConditionExpression="started_at = :old",
            ExpressionAttributeValues={":old": started},
        )
        return None

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
