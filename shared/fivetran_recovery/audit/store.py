"""The append-only audit trail in DynamoDB (AuditTable: chain_id + seq; GSI by_incident: incident_id +
recorded_at). Only PutItem (conditional: attribute_not_exists), GetItem and Query are used, matching the IAM
in template.yaml, which grants no UpdateItem or DeleteItem on this table."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from fivetran_recovery.audit.chain import GENESIS_HASH, AuditRecord, ChainCheck, canonical_json, verify_records

Clock = Callable[[], datetime]
INCIDENT_INDEX = "by_incident"
MAX_APPEND_ATTEMPTS = 8


class AuditError(RuntimeError):
    """The audit record could not be written (the action it describes must not be reported as audited)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _to_item(record: AuditRecord) -> dict[str, Any]:
    return {
        "chain_id": record.chain_id,
        "seq": record.seq,
        "incident_id": record.incident_id,
        "recorded_at": record.recorded_at,
        "kind": record.kind,
        "actor": record.actor,
        "detail_json": canonical_json(record.detail),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        **({"signature": record.signature} if record.signature else {}),
    }


def record_from_item(item: dict[str, Any]) -> AuditRecord:
    """A record from a table item (detail as `detail_json`) or from an exported record (detail as an object)."""
    if "detail_json" not in item and isinstance(item.get("detail"), dict):
        return AuditRecord.model_validate(item)
    return _from_item(item)


def _from_item(item: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        chain_id=item["chain_id"],
        seq=int(item["seq"]),
        incident_id=item["incident_id"],
        recorded_at=item["recorded_at"],
        kind=item["kind"],
        actor=item["actor"],
        detail=json.loads(item.get("detail_json") or "{}"),
        prev_hash=item["prev_hash"],
        hash=item.get("hash", ""),
        signature=item.get("signature", ""),
    )


class AuditLog:
    """`table` is a boto3 DynamoDB Table resource (built lazily by the caller). With a `signer` (KmsMac) every
    record carries a MAC of its hash; with `anchors` (S3Anchors) each new chain head is copied to the locked bucket,
    and verify checks both."""

    def __init__(self, table: Any, *, clock: Clock = _now, signer: Any = None, anchors: Any = None):
        self._table = table
        self._clock = clock
        self._signer = signer
        self._anchors = anchors

    def _tail(self, chain_id: str) -> AuditRecord | None:
        from boto3.dynamodb.conditions import Key

        answer = self._table.query(
            KeyConditionExpression=Key("chain_id").eq(chain_id), ScanIndexForward=False, Limit=1, ConsistentRead=True
        )
        items = answer.get("Items", [])
        return _from_item(items[0]) if items else None

    def append(
        self, *, chain_id: str, incident_id: str, kind: str, actor: str, detail: dict[str, Any] | None = None
    ) -> AuditRecord:
        """Append one record at the end of the connection's chain; a concurrent writer makes us retry."""
        from botocore.exceptions import ClientError

        detail = json.loads(canonical_json(detail or {}))  # JSON-safe and stable before hashing
        for _ in range(MAX_APPEND_ATTEMPTS):
            tail = self._tail(chain_id)
            record = AuditRecord(
                chain_id=chain_id,
                seq=(tail.seq + 1) if tail else 1,
                incident_id=incident_id,
                recorded_at=self._clock().astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                kind=kind,
                actor=actor,
                detail=detail,
                prev_hash=tail.hash if tail else GENESIS_HASH,
            ).sealed()
            if self._signer is not None:
                record = record.model_copy(update={"signature": self._signer.sign(record.hash)})
            try:
                self._table.put_item(Item=_to_item(record), ConditionExpression="attribute_not_exists(chain_id)")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise AuditError(f"audit write failed: {exc.response.get('Error', {}).get('Code')}") from None
                continue
            self._anchor(record)
            return record
        raise AuditError(f"audit chain {chain_id} is too contended; record not written")

    def recent(self, chain_id: str, limit: int = 50) -> list[AuditRecord]:
        """The last `limit` records of a chain, newest first."""
        from boto3.dynamodb.conditions import Key

        answer = self._table.query(
            KeyConditionExpression=Key("chain_id").eq(chain_id), ScanIndexForward=False, Limit=limit
        )
        return [_from_item(i) for i in answer.get("Items", [])]

    def chain(self, chain_id: str) -> list[AuditRecord]:
        from boto3.dynamodb.conditions import Key

        return [_from_item(i) for i in _paged(self._table.query, KeyConditionExpression=Key("chain_id").eq(chain_id))]

    def for_incident(self, incident_id: str) -> list[AuditRecord]:
        from boto3.dynamodb.conditions import Key

        items = _paged(
            self._table.query, IndexName=INCIDENT_INDEX, KeyConditionExpression=Key("incident_id").eq(incident_id)
        )
        return sorted((_from_item(i) for i in items), key=lambda r: (r.recorded_at, r.seq))

    def _anchor(self, record: AuditRecord) -> None:
        if self._anchors is None:
            return
        try:
            self._anchors.put(chain_id=record.chain_id, seq=record.seq, digest=record.hash, signature=record.signature)
        except Exception as exc:  # the record is written; an unanchored head is caught by the next append's anchor
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
            raise AuditError(f"audit anchor write failed: {code or type(exc).__name__}") from None

    def verify_chain(self, chain_id: str) -> ChainCheck:
        records = self.chain(chain_id)
        check = verify_records(chain_id, records)
        if not check.ok:
            return check
        return check_seals(check, records, signer=self._signer, anchors=self._anchors)

    def verify_all(self) -> list[ChainCheck]:
        return [self.verify_chain(chain_id) for chain_id in self.chain_ids()]

    def chain_ids(self) -> list[str]:
        """Every chain in the table (a Scan: for the operator CLI, not for the functions' IAM)."""
        ids = {i["chain_id"] for i in _paged(self._table.scan, ProjectionExpression="chain_id")}
        return sorted(ids)


def check_seals(check: ChainCheck, records: list[AuditRecord], *, signer: Any, anchors: Any) -> ChainCheck:
    """After the links hold: every record's MAC (a re-hash without the key fails here), then the newest anchor
    (a truncation leaves it past the end; a rewrite leaves its hash different)."""

    def broken(seq: int | None, reason: str) -> ChainCheck:
        return check.model_copy(update={"ok": False, "broken_seq": seq, "reason": reason})

    if signer is not None:
        for record in records:
            if not record.signature:
                return broken(record.seq, "record is not signed (signature missing)")
            if not signer.verify(record.hash, record.signature):
                return broken(record.seq, "signature does not match the hash (re-hashed or forged without the key)")
    if anchors is not None:
        anchor = anchors.latest(check.chain_id)
        if anchor is None:
            return broken(None, "no anchor for this chain in the anchor bucket") if records else check
        seq = int(anchor["seq"])
        if seq > len(records):
            return broken(seq, f"truncated: anchored head is seq {seq} but the chain ends at seq {len(records)}")
        if records[seq - 1].hash != anchor["hash"]:
            return broken(seq, "record does not match its anchored head (the chain was rewritten)")
    return check


def _paged(call: Callable[..., dict[str, Any]], **kwargs: Any) -> Iterator[dict[str, Any]]:
    while True:
        answer = call(**kwargs)
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
