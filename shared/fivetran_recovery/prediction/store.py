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
