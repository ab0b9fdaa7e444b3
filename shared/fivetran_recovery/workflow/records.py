"""The workflow's own items in IncidentsTable, beside the incident store's (see stores/dynamodb_incidents.py):

- per-connection workflow lock: `WFLOCK#<connection>` / `LOCK` — one recovery workflow per connection at a time.
  Taken by remediate's `begin` with a conditional write (free, ours already, or expired), released on close.
- post-incident summary: `INC#<incident>` / `SUMMARY`.
- approval pointer: `INC#<incident>` / `APPROVAL#<approval id>` — which approvals an incident asked for (the
  timeout path expires them without scanning ApprovalsTable).
- playbook track record: `PLAYBOOK#<id>` / `TRACK#v<version>` — counters by outcome (ADD, so concurrent
  workflows never lose a count); `COUNTED#<run>` / `TRACK#<id>` marks a run as counted (a retried verify
  counts once).
Incident status changes go through the incident store (optimistic versioning) when the incident exists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from fivetran_recovery.settings import Settings

logger = logging.getLogger(__name__)


class WorkflowRecords:
    def __init__(self, table: Any, *, client: Any, settings: Settings, clock: Callable[[], datetime]):
        self._table = table
        self._client = client
        self._settings = settings
        self._clock = clock

    # -- lock ---------------------------------------------------------------------------------------------
    def acquire_lock(self, connection_id: str, incident_id: str, ttl_seconds: int) -> tuple[bool, str | None]:
        """(acquired, holder). Re-acquiring our own lock succeeds (a retried `begin`)."""
        now = int(self._clock().timestamp())
        try:
            self._table.put_item(
                Item={
                    "pk": f"WFLOCK#{connection_id}",
                    "sk": "LOCK",
                    "incident_id": incident_id,
                    "acquired_at": now,
                    "expires_at": now + ttl_seconds,
                },
                ConditionExpression="attribute_not_exists(pk) OR incident_id = :me OR expires_at < :now",
                ExpressionAttributeValues={":me": incident_id, ":now": now},
            )
            return True, incident_id
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        item = self._table.get_item(Key={"pk": f"WFLOCK#{connection_id}", "sk": "LOCK"}, ConsistentRead=True)
        return False, (item.get("Item") or {}).get("incident_id")

    def release_lock(self, connection_id: str, incident_id: str) -> bool:
        try:
            self._table.delete_item(
                Key={"pk": f"WFLOCK#{connection_id}", "sk": "LOCK"},
                ConditionExpression="incident_id = :me",
                ExpressionAttributeValues={":me": incident_id},
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise

    def lock_holder(self, connection_id: str) -> str | None:
        item = self._table.get_item(Key={"pk": f"WFLOCK#{connection_id}", "sk": "LOCK"}, ConsistentRead=True)
        return (item.get("Item") or {}).get("incident_id")

    # -- incident status ------------------------------------------------------------------------------------
    def set_status(self, incident_id: str, status: str, note: str) -> bool:
        """Move the incident (if the incident store has it) to `status` with a timeline note."""
        from fivetran_recovery.models.incident import IncidentStatus
        from fivetran_recovery.stores.base import StoreError
        from fivetran_recovery.stores.dynamodb_incidents import DynamoIncidentStore

        store = DynamoIncidentStore(client=self._client, table_name=self._settings.incidents_table)
        now = self._clock()

        def mutate(incident: Any) -> Any:
            incident.status = IncidentStatus(status)
            incident.note(now, "workflow", note[:500], status=IncidentStatus(status))
            if not incident.is_open and incident.closed_at is None:
                incident.closed_at = now
            return incident

        try:
            store.update(incident_id, mutate)
            return True
        except StoreError as exc:  # IncidentNotFoundError included: the workflow can run without one
            logger.info("incident status not updated", extra={"incident_id": incident_id, "reason": str(exc)})
            return False

    # -- summary --------------------------------------------------------------------------------------------
    def write_summary(self, incident_id: str, summary: dict[str, Any]) -> None:
        self._table.put_item(
            Item={
                "pk": f"INC#{incident_id}",
                "sk": "SUMMARY",
                "incident_id": incident_id,
                "written_at": self._clock().astimezone(UTC).isoformat(),
                "doc": json.dumps(summary, sort_keys=True, default=str),
            }
        )

    def get_summary(self, incident_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"pk": f"INC#{incident_id}", "sk": "SUMMARY"}, ConsistentRead=True).get("Item")
        return json.loads(item["doc"]) if item else None

    # -- approvals of an incident ----------------------------------------------------------------------------
    def add_approval(self, incident_id: str, approval_id: str) -> None:
        self._table.put_item(
            Item={"pk": f"INC#{incident_id}", "sk": f"APPROVAL#{approval_id}", "approval_id": approval_id}
        )

    def approval_ids(self, incident_id: str) -> list[str]:
        from boto3.dynamodb.conditions import Key

        answer = self._table.query(
            KeyConditionExpression=Key("pk").eq(f"INC#{incident_id}") & Key("sk").begins_with("APPROVAL#"),
            ConsistentRead=True,
        )
        return [item["approval_id"] for item in answer.get("Items", [])]

    # -- track record ---------------------------------------------------------------------------------------
    def record_outcome(self, playbook_id: str, version: int, outcome: str, *, once_for: str | None = None) -> bool:
        """Count one outcome. With `once_for` (a run's key) it is counted once however often it is retried: the
        run's marker item and the counter are written in one transaction. False: already counted."""
        count = {
            "Key": {"pk": f"PLAYBOOK#{playbook_id}", "sk": f"TRACK#v{version}"},
            "UpdateExpression": "ADD #o :one, runs :one SET last_outcome = :o, last_at = :at",
            "ExpressionAttributeNames": {"#o": f"outcome_{outcome}"},
            "ExpressionAttributeValues": {":one": 1, ":o": outcome,
                                          ":at": self._clock().astimezone(UTC).isoformat()},
        }
        if once_for is None:
            self._table.update_item(**count)
            return True
        marker = {"pk": f"COUNTED#{once_for}", "sk": f"TRACK#{playbook_id}",
                  "expires_at": int(self._clock().timestamp()) + 30 * 24 * 3600}
        try:  # the resource's own client takes Python values
            self._table.meta.client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table.name, "Item": marker,
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": self._table.name, **count}},
            ])
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if "ConditionalCheckFailed" not in reasons:  # a conflict or an outage: not "already counted"
                raise
            return False
        return True

    def track_record(self, playbook_id: str) -> dict[str, dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        answer = self._table.query(KeyConditionExpression=Key("pk").eq(f"PLAYBOOK#{playbook_id}"))
        return {
            item["sk"]: {k: (int(v) if k.startswith("outcome_") or k == "runs" else v) for k, v in item.items()}
            for item in answer.get("Items", [])
        }
