"""Latest risk per connection, kept in the incidents table (`RISK#<connection>` / `LATEST`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fivetran_recovery.prediction.risk import RiskAssessment


class DynamoRiskStore:
    def __init__(self, table: Any):
        self._table = table  # a boto3 Table resource, built by the caller

    def put(self, assessment: RiskAssessment, *, at: datetime) -> None:
        self._table.put_item(Item={
            "pk": f"RISK#{assessment.connection_id}", "sk": "LATEST", "assessed_at": at.isoformat(),
            "risk": str(assessment.risk), "level": assessment.level, "doc": assessment.model_dump_json(),
        })

    def get(self, connection_id: str) -> RiskAssessment | None:
        item = self._table.get_item(Key={"pk": f"RISK#{connection_id}", "sk": "LATEST"}).get("Item")
        return RiskAssessment.model_validate(json.loads(item["doc"])) if item else None


class DynamoScheduleMemo:
    """The schedule recommendation last put through the gate per connection (`RISK#<connection>` / `SCHEDULE`), so
    an unchanged one is not proposed (or asked for approval) again on every run, with its approval, if any."""

    def __init__(self, table: Any):
        self._table = table

    def last(self, connection_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"pk": f"RISK#{connection_id}", "sk": "SCHEDULE"}).get("Item")
        if not item:
            return None
        return {"minutes": int(item["minutes"]), "at": datetime.fromisoformat(item["at"]),
                "approval_id": item.get("approval_id")}

    def note(self, connection_id: str, minutes: int, *, at: datetime, approval_id: str | None = None) -> None:
        self._table.put_item(Item={"pk": f"RISK#{connection_id}", "sk": "SCHEDULE", "minutes": minutes,
                                   "at": at.isoformat(), **({"approval_id": approval_id} if approval_id else {})})


class InMemoryScheduleMemo:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def last(self, connection_id: str) -> dict[str, Any] | None:
        return self.items.get(connection_id)

    def note(self, connection_id: str, minutes: int, *, at: datetime, approval_id: str | None = None) -> None:
        self.items[connection_id] = {"minutes": minutes, "at": at, "approval_id": approval_id}
