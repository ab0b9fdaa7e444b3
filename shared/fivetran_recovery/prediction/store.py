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
    an unchanged one is not proposed (or asked for approval) again on every run."""

    def __init__(self, table: Any):
        self._table = table

    def seen(self, connection_id: str, minutes: int, *, since: datetime) -> bool:
        item = self._table.get_item(Key={"pk": f"RISK#{connection_id}", "sk": "SCHEDULE"}).get("Item")
        return bool(item) and int(item["minutes"]) == minutes and datetime.fromisoformat(item["at"]) >= since

    def note(self, connection_id: str, minutes: int, *, at: datetime) -> None:
        self._table.put_item(Item={"pk": f"RISK#{connection_id}", "sk": "SCHEDULE", "minutes": minutes,
                                   "at": at.isoformat()})


class InMemoryScheduleMemo:
    def __init__(self) -> None:
        self.items: dict[str, tuple[int, datetime]] = {}

    def seen(self, connection_id: str, minutes: int, *, since: datetime) -> bool:
        item = self.items.get(connection_id)
        return item is not None and item[0] == minutes and item[1] >= since

    def note(self, connection_id: str, minutes: int, *, at: datetime) -> None:
        self.items[connection_id] = (minutes, at)
