"""The incidents table (template.yaml IncidentsTable: pk, sk, GSI gsi1 on gsi1pk/gsi1sk, TTL expires_at).

Item layout (one table, several item kinds; pk / sk / purpose):

- counts: `INC#<parent>` / `COUNTS`: what the parent's children add to it (events, failures, successes, last_seen,
  child_count, closed_child_count), updated with ADD in each child's own transaction; read with META.
- child: `INC#<parent>` / `CHILD#<child id>`: one per child (connection_id, closed); the parent's document does
  not list them, so it is not rewritten per child; `children()` pages through them, `get()` reads a few.
- incident: `INC#<id>` / `META`, gsi1 = `CONN#<conn>` (or `DEST#<group>` for a parent) / `<first_seen>#<id>`:
  get by id; list by connection or destination.
- open lock: `OPEN#<scope>` / `FP#<fingerprint>`: find open by fingerprint; its conditional create allows one
  open incident per fingerprint; querying the scope lists a connection's open incidents.
- pending: `PENDING` / `<hold_until>#<id>`: the sweep finds pending incidents whose hold has passed.
- awaiting workflow: `NOWORKFLOW` / `<confirmed_at>#<id>`: confirmed, no workflow known yet (the sweep resumes).
- closed: `CLOSED#<signature>` / `<closed_at>#<id>`: similar incidents, newest first (TTL).
- signal: `SIGNAL#<correlation key>` / `<at>#<conn>`: who failed the same way within a window (TTL).
- digest: `DIGEST#<yyyy-mm-dd>` / `<at>#<kind>#<event key>`: suppressed and self-healed events (TTL).
- llm cache: `LLM#<signature>` / `RESULT`: RCA results by signature (TTL).

An incident, its lock, its pending marker and its closed marker change in one TransactWriteItems guarded by the
incident's `version`, so concurrent consumers can neither double-open a fingerprint nor lose an update. A child's
transaction also carries its parent's share (the CHILD item, the COUNTS update, a check that the parent is open);
a parent's closing transaction checks that its child count is still the one it decided on.
"""

from __future__ import annotations

import importlib
import json
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from fivetran_recovery.models.incident import (
    MAX_CHILD_SAMPLE,
    ChildRef,
    Incident,
    IncidentCounts,
    IncidentKind,
)
from fivetran_recovery.stores.base import (
    AlreadyOpenError,
    ClosedIncidentSummary,
    ConcurrentUpdateError,
    CorrelationSignal,
    DigestEntry,
    IncidentNotFoundError,
    Mutation,
    ParentClosedError,
    StoreError,
    child_change,
    lock_scope,
    time_key,
)
from fivetran_recovery.stores.dynamodb_children import ParentShare, child_ref, children_unchanged
from fivetran_recovery.stores.dynamodb_items import (
    batch_get_all,
    failed_indexes,
    from_item,
    is_conditional_failure,
    is_conflict,
    parse_time_key,
    query_all,
    to_item,
)
from fivetran_recovery.stores.memory import closed_summary

CLOSED_TTL_DAYS = 180
DIGEST_TTL_DAYS = 90
MAX_UPDATE_ATTEMPTS = 12


def _epoch(at: datetime, days: int) -> int:
    return int((at + timedelta(days=days)).timestamp())


class DynamoIncidentStore:
    """IncidentStore on the incidents table. `client` is a low-level boto3 DynamoDB client (built by the caller)."""

    def __init__(self, *, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ------------------------------------------------------------------ reads
    def get(self, incident_id: str) -> Incident | None:
        # META, COUNTS and the newest few CHILD# items, in one bounded request however many children there are
        page = self._client.query(
            TableName=self._table, KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :meta",
            ExpressionAttributeValues=to_item({":pk": f"INC#{incident_id}", ":first": "CHILD#", ":meta": "META"}),
            ScanIndexForward=False, Limit=2 + MAX_CHILD_SAMPLE, ConsistentRead=True,
        )
        items = [from_item(item) for item in page.get("Items", [])]
        by_sk = {item["sk"]: item for item in items}
        if "META" not in by_sk:
            return None
        sample = [item for item in items if item["sk"].startswith("CHILD#")]
        return self._incident(by_sk["META"], by_sk.get("COUNTS"), sample)

    def children(self, parent_id: str) -> list[ChildRef]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :child)",
            ExpressionAttributeValues=to_item({":pk": f"INC#{parent_id}", ":child": "CHILD#"}), ConsistentRead=True,
        )
        return [child_ref(item) for item in items]

    def find_open(self, scope: str, fingerprint: str) -> Incident | None:
        response = self._client.get_item(
            TableName=self._table, Key=to_item(_lock_key(scope, fingerprint)), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        return self.get(from_item(item)["incident_id"])

    def open_ids(self, locks: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        wanted = list(dict.fromkeys(locks))  # BatchGetItem refuses a key twice
        found: dict[tuple[str, str], str] = {}
        for start in range(0, len(wanted), 100):
            keys = [to_item(_lock_key(scope, fingerprint)) for scope, fingerprint in wanted[start:start + 100]]
            for item in batch_get_all(self._client, self._table, keys):
                found[(item["pk"].removeprefix("OPEN#"), item["sk"].removeprefix("FP#"))] = item["incident_id"]
        return found

    def open_in_scope(self, scope: str) -> list[Incident]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :fp)",
            ExpressionAttributeValues=to_item({":pk": f"OPEN#{scope}", ":fp": "FP#"}),
            ConsistentRead=True,
        )
        found = (self.get(item["incident_id"]) for item in items)
        return [i for i in found if i is not None and i.is_open]

    def list_by_connection(self, connection_id: str, limit: int = 50) -> list[Incident]:
        return self._by_gsi(f"CONN#{connection_id}", limit)

    def list_by_destination(self, destination_group_id: str, limit: int = 50) -> list[Incident]:
        return self._by_gsi(f"DEST#{destination_group_id}", limit)

    def list_similar_closed(self, signature: str, limit: int = 10) -> list[ClosedIncidentSummary]:
        items = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"CLOSED#{signature}"}),
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
        return [ClosedIncidentSummary.model_validate_json(item["doc"]) for item in items]

    def due_for_confirmation(self, now: datetime) -> list[str]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND sk <= :now",
            ExpressionAttributeValues=to_item({":pk": "PENDING", ":now": f"{time_key(now)}#~"}),
            ConsistentRead=True,
        )
        return [item["incident_id"] for item in items]

    def awaiting_workflow(self, confirmed_before: datetime) -> list[str]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND sk <= :before",
            ExpressionAttributeValues=to_item({":pk": "NOWORKFLOW", ":before": f"{time_key(confirmed_before)}#~"}),
            ConsistentRead=True,
        )
        return [item["incident_id"] for item in items]

    # ------------------------------------------------------------------ writes
    def create(self, incident: Incident) -> Incident:
        stored = incident.model_copy(deep=True)
        stored.version = 1
        scope = lock_scope(stored)
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(self._meta(stored)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        if stored.is_open:
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item({**_lock_key(scope, stored.fingerprint), "incident_id": stored.id}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        for marker in (_pending_key(stored), _awaiting_key(stored)):
            if marker is not None:
                item = to_item({**marker, "incident_id": stored.id})
                writes.append({"Put": {"TableName": self._table, "Item": item}})
        share = ParentShare(self._table, child_change(None, stored)).bind(stored)
        advance = True
        for _ in range(2):
            try:
                self._client.transact_write_items(TransactItems=writes + share.writes(advance=advance))
                return stored
            except ClientError as error:
                if not is_conditional_failure(error):
                    raise StoreError(f"could not create incident {stored.id}: {error}") from None
                failed = failed_indexes(error)
                if share.parent_closed(failed, offset=len(writes)):
                    raise ParentClosedError(share.parent_id) from None
                if not (advance and share.only_last_seen(failed, offset=len(writes))):
                    break
                advance = False  # the parent has seen a later failure already: count, do not move last_seen
        existing = self.find_open(scope, stored.fingerprint)
        raise AlreadyOpenError(scope, stored.fingerprint, existing.id if existing else None)

    def update(self, incident_id: str, mutate: Mutation, *, current: Incident | None = None) -> Incident:
        given = current is not None  # a first try on the caller's read: losing it is no contention
        for attempt in range(MAX_UPDATE_ATTEMPTS):
            if current is None or attempt:
                current = self.get(incident_id)
            if current is None:
                raise IncidentNotFoundError(incident_id)
            changed = mutate(current.model_copy(deep=True))
            if changed is None:
                return current
            changed.version = current.version + 1
            writes = self._transition(current, changed)
            share = ParentShare(self._table, child_change(current, changed)).bind(changed)
            try:
                self._client.transact_write_items(TransactItems=writes + share.writes(advance=True))
                return changed
            except ClientError as error:
                if not (is_conditional_failure(error) or is_conflict(error)):
                    raise StoreError(f"could not update incident {incident_id}: {error}") from None
                failed = failed_indexes(error)
                if share.parent_closed(failed, offset=len(writes)):
                    raise ParentClosedError(share.parent_id) from None
                if share.only_last_seen(failed, offset=len(writes)) and self._write(writes + share.writes()):
                    return changed  # the parent had seen a later event: counted, its last_seen kept
            if not (given and attempt == 0):  # full jitter: writers that lost a race must not retry in lockstep
                time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.2)))
        raise ConcurrentUpdateError(f"incident {incident_id} kept changing; gave up after {MAX_UPDATE_ATTEMPTS} tries")

    def _write(self, writes: list[dict[str, Any]]) -> bool:
        """One transaction; False when a condition failed (the caller reads again)."""
        try:
            self._client.transact_write_items(TransactItems=writes)
            return True
        except ClientError as error:
            if not (is_conditional_failure(error) or is_conflict(error)):
                raise StoreError(f"could not write incident: {error}") from None
            return False

    def _transition(self, before: Incident, after: Incident) -> list[dict[str, Any]]:
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(self._meta(after)),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": to_item({":v": before.version}),
                }
            }
        ]
        for marker in (_pending_key, _awaiting_key):
            old_marker, new_marker = marker(before), marker(after)
            if old_marker == new_marker:
                continue
            if old_marker is not None:
                writes.append({"Delete": {"TableName": self._table, "Key": to_item(old_marker)}})
            if new_marker is not None:
                writes.append(
                    {"Put": {"TableName": self._table, "Item": to_item({**new_marker, "incident_id": after.id})}}
                )
        if before.kind is IncidentKind.PARENT and before.is_open and not after.is_open:
            writes.append(children_unchanged(self._table, before))  # no child joined since we decided
        if before.is_open and not after.is_open:
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_item(_lock_key(lock_scope(before), before.fingerprint)),
                        "ConditionExpression": "attribute_not_exists(pk) OR incident_id = :id",
                        "ExpressionAttributeValues": to_item({":id": before.id}),
                    }
                }
            )
            if after.is_top_level:
                summary = closed_summary(after)
                writes.append(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": f"CLOSED#{after.signature}",
                                    "sk": f"{time_key(summary.closed_at)}#{after.id}",
                                    "doc": summary.model_dump_json(),
                                    "expires_at": _epoch(summary.closed_at, CLOSED_TTL_DAYS),
                                }
                            ),
                        }
                    }
                )
        return writes

    # ------------------------------------------------------------------ helpers
    def _meta(self, incident: Incident) -> dict[str, Any]:
        added = incident._added_counts
        if added is not None:  # the document keeps its own part; the COUNTS item keeps the rest
            own = incident.counts.model_copy(update={"events": incident.counts.events - added.events,
                                                     "failures": incident.counts.failures - added.failures,
                                                     "successes": incident.counts.successes - added.successes})
            incident = incident.model_copy(update={"counts": own})
        if incident.kind is IncidentKind.PARENT:
            index_pk = f"DEST#{incident.destination_group_id}" if incident.destination_group_id else "DEST#-"
        else:
            index_pk = f"CONN#{incident.connection_id}"
        return {
            "pk": f"INC#{incident.id}",
            "sk": "META",
            "gsi1pk": index_pk,
            "gsi1sk": f"{time_key(incident.first_seen)}#{incident.id}",
            "version": incident.version,
            "status": incident.status.value,
            "kind": incident.kind.value,
            "fingerprint": incident.fingerprint,
            "doc": incident.document(),
        }

    @staticmethod
    def _incident(values: dict[str, Any], counts: dict[str, Any] | None = None,
                  sample: list[dict[str, Any]] | None = None) -> Incident:
        incident = Incident.model_validate_json(values["doc"])
        incident.version = int(values["version"])
        incident.child_sample = [child_ref(item) for item in sample or []]
        if counts:
            incident.child_count = int(counts.get("child_count", 0))
            incident.closed_child_count = int(counts.get("closed_child_count", 0))
            added = IncidentCounts(events=int(counts.get("events", 0)), failures=int(counts.get("failures", 0)),
                                   successes=int(counts.get("successes", 0)))
            incident.counts = IncidentCounts(events=incident.counts.events + added.events,
                                             failures=incident.counts.failures + added.failures,
                                             successes=incident.counts.successes + added.successes)
            if counts.get("last_seen") and counts["last_seen"] > time_key(incident.last_seen):
                incident.last_seen = parse_time_key(counts["last_seen"])
            incident._added_counts = added
        return incident

    def _by_gsi(self, index_pk: str, limit: int) -> list[Incident]:
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=to_item({":pk": index_pk}),
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
        return [self.get(i.id) or i if i.kind is IncidentKind.PARENT else i  # a parent's counts are apart
                for i in (self._incident(item) for item in items)]

    def _query(self, *, max_items: int | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        return query_all(self._client, self._table, max_items=max_items, **kwargs)


def _lock_key(scope: str, fingerprint: str) -> dict[str, str]:
    return {"pk": f"OPEN#{scope}", "sk": f"FP#{fingerprint}"}


def _awaiting_key(incident: Incident) -> dict[str, str] | None:
    if not incident.awaits_workflow or incident.confirmed_at is None:
        return None
    return {"pk": "NOWORKFLOW", "sk": f"{time_key(incident.confirmed_at)}#{incident.id}"}


def _pending_key(incident: Incident) -> dict[str, str] | None:
    if not incident.is_pending or incident.hold_until is None:
        return None
    return {"pk": "PENDING", "sk": f"{time_key(incident.hold_until)}#{incident.id}"}


class DynamoCorrelationStore:
    def __init__(self, *, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, signal: CorrelationSignal, *, ttl_seconds: int) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": f"SIGNAL#{signal.key}",
                    "sk": f"{time_key(signal.at)}#{signal.connection_id}",
                    "connection_id": signal.connection_id,
                    "incident_id": signal.incident_id,
                    "expires_at": int(signal.at.timestamp()) + ttl_seconds,
                }
            ),
        )

    def connections_since(self, key: str, since: datetime) -> dict[str, str | None]:
        items = query_all(
            self._client,
            self._table,
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues=to_item({":pk": f"SIGNAL#{key}", ":since": time_key(since)}),
            ConsistentRead=True,
        )
        return {item["connection_id"]: item.get("incident_id") for item in items}


class DynamoDigestStore:
    def __init__(self, *, client: Any, table_name: str, ttl_days: int = DIGEST_TTL_DAYS) -> None:
        self._client = client
        self._table = table_name
        self._ttl_days = ttl_days

    def add(self, entry: DigestEntry) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": f"DIGEST#{entry.at.astimezone(UTC).date().isoformat()}",
                    "sk": f"{time_key(entry.at)}#{entry.kind.value}#{entry.event_key}",
                    "doc": entry.model_dump_json(),
                    "expires_at": _epoch(entry.at, self._ttl_days),
                }
            ),
        )

    def between(self, since: datetime, until: datetime) -> list[DigestEntry]:
        if until < since:
            raise ValueError("until must not be before since")
        day, last = since.astimezone(UTC).date(), until.astimezone(UTC).date()
        out: list[DigestEntry] = []
        while day <= last:
            items = query_all(
                self._client,
                self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues=to_item(
                    {
                        ":pk": f"DIGEST#{day.isoformat()}",
                        ":a": time_key(since),
                        ":b": f"{time_key(until)}#~",
                    }
                ),
            )
            out.extend(DigestEntry.model_validate_json(item["doc"]) for item in items)
            day += timedelta(days=1)
        return out


class DynamoLlmCache:
    """LLM results by incident signature, expiring after `ttl_seconds` (checked on read: TTL deletion is lazy).

    A pydantic model put in (e.g. the RCA's `LlmResult`) comes back as the same model: its class path is stored
    beside its JSON, and only classes of this package are ever re-imported.
    """

    def __init__(self, *, client: Any, table_name: str, ttl_seconds: int = 7 * 24 * 3600, clock: Any = None) -> None:
        self._client = client
        self._table = table_name
        self._ttl = ttl_seconds
        self._clock = clock or (lambda: datetime.now(UTC))

    def get(self, signature: str) -> Any | None:
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": f"LLM#{signature}", "sk": "RESULT"}), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        values = from_item(item)
        if int(values.get("expires_at", 0)) <= int(self._clock().timestamp()):
            return None
        value = json.loads(values["value"])
        model = _model_class(values.get("model"))
        return model.model_validate(value) if model is not None else value

    def put(self, signature: str, value: Any) -> None:
        model_path = None
        if hasattr(value, "model_dump"):
            model_path = f"{type(value).__module__}:{type(value).__qualname__}"
            value = value.model_dump(mode="json")
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": f"LLM#{signature}",
                    "sk": "RESULT",
                    "value": json.dumps(value, default=str),
                    "model": model_path,
                    "expires_at": int(self._clock().timestamp()) + self._ttl,
                }
            ),
        )


def _model_class(path: str | None) -> Any:
    if not path or not path.startswith("fivetran_recovery."):
        return None
    module_name, _, qualname = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target if hasattr(target, "model_validate") else None


def incident_from_items(meta: dict[str, Any], counts: dict[str, Any] | None = None,
                        sample: list[dict[str, Any]] | None = None) -> Incident:
    """An incident from its META item, its COUNTS item and CHILD# items (deserialised), as `get` reads them."""
    return DynamoIncidentStore._incident(meta, counts, sample)
