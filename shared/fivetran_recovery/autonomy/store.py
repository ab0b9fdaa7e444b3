"""Where standings live: `PLAYBOOK#<id>` / `STAGE` in the incidents table, written with a version condition so two
verifications finishing at once cannot lose an outcome."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from fivetran_recovery.autonomy.ladder import Standing


class StaleStanding(RuntimeError):
    """Someone else wrote the standing first: read it again and re-apply."""


class StandingStore(Protocol):
    def get(self, playbook_id: str) -> Standing | None: ...

    def put(self, standing: Standing) -> Standing: ...

    def all(self) -> list[Standing]: ...


class MemoryStandingStore:
    def __init__(self) -> None:
        self.items: dict[str, Standing] = {}

    def get(self, playbook_id: str) -> Standing | None:
        return self.items.get(playbook_id)

    def put(self, standing: Standing) -> Standing:
        current = self.items.get(standing.playbook_id)
        if (current.version if current else 0) != standing.version:
            raise StaleStanding(standing.playbook_id)
        stored = replace(standing, version=standing.version + 1)
        self.items[standing.playbook_id] = stored
        return stored

    def all(self) -> list[Standing]:
        return list(self.items.values())


def _to_item(standing: Standing) -> dict[str, Any]:
    doc = {k: v for k, v in standing.__dict__.items() if k not in ("version", "changed_at")}
    doc["changed_at"] = standing.changed_at.isoformat() if standing.changed_at else None
    return {"pk": {"S": f"PLAYBOOK#{standing.playbook_id}"}, "sk": {"S": "STAGE"},
            "doc": {"S": json.dumps(doc, sort_keys=True)}, "version": {"N": str(standing.version + 1)},
            "stage": {"S": standing.stage}, "gsi1pk": {"S": "PLAYBOOK_STAGES"}, "gsi1sk": {"S": standing.playbook_id}}


def _from_item(item: dict[str, Any]) -> Standing:
    doc = json.loads(item["doc"]["S"])
    changed = doc.pop("changed_at", None)
    return Standing(**doc, changed_at=datetime.fromisoformat(changed) if changed else None,
                    version=int(item["version"]["N"]))


class DynamoStandingStore:
    def __init__(self, *, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, playbook_id: str) -> Standing | None:
        item = self._client.get_item(TableName=self._table, ConsistentRead=True, Key={
            "pk": {"S": f"PLAYBOOK#{playbook_id}"}, "sk": {"S": "STAGE"}}).get("Item")
        return _from_item(item) if item else None

    def put(self, standing: Standing) -> Standing:
        condition = ("attribute_not_exists(pk)" if standing.version == 0 else "version = :v")
        values = {} if standing.version == 0 else {"ExpressionAttributeValues": {":v": {"N": str(standing.version)}}}
        try:
            self._client.put_item(TableName=self._table, Item=_to_item(standing), ConditionExpression=condition,
                                  **values)
        except self._client.exceptions.ConditionalCheckFailedException:
            raise StaleStanding(standing.playbook_id) from None
        return replace(standing, version=standing.version + 1)

    def all(self) -> list[Standing]:
        items, kwargs = [], {}
        while True:
            page = self._client.query(TableName=self._table, IndexName="gsi1",
                                      KeyConditionExpression="gsi1pk = :p",
                                      ExpressionAttributeValues={":p": {"S": "PLAYBOOK_STAGES"}}, **kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return [_from_item(i) for i in items]
            kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
