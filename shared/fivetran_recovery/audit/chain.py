"""Hash-chained audit records: each record's hash covers the previous hash and its own canonical JSON, so editing,
re-ordering or removing a record in the middle of a chain breaks every link after it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    chain_id: str = Field(min_length=1, description="the connection id: one chain per connection")
    seq: int = Field(ge=1)
    incident_id: str = Field(min_length=1)
    recorded_at: str
    kind: str = Field(min_length=1, description="diagnosis | decision | approval | action | verification | ...")
    actor: str = Field(min_length=1, description="the component or the named human who did it")
    detail: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str
    hash: str = ""
    signature: str = Field("", description="KMS HMAC of `hash` (base64); empty when the trail is not signed")

    def hashed_content(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"hash", "signature"})

    def compute_hash(self) -> str:
        payload = self.prev_hash + canonical_json(self.hashed_content())
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def sealed(self) -> AuditRecord:
        return self.model_copy(update={"hash": self.compute_hash()})


class ChainCheck(BaseModel):
    chain_id: str
    records: int
    ok: bool
    broken_seq: int | None = None
    reason: str | None = None


def verify_records(chain_id: str, records: list[AuditRecord]) -> ChainCheck:
    """Check one chain, in seq order: contiguous seqs from 1, links and hashes. Reports the first broken link."""
    previous = GENESIS_HASH
    for expected_seq, record in enumerate(records, start=1):
        if record.seq != expected_seq:
            return ChainCheck(
                chain_id=chain_id,
                records=len(records),
                ok=False,
                broken_seq=record.seq,
                reason=f"sequence gap: expected seq {expected_seq}, found {record.seq}",
            )
        if record.prev_hash != previous:
            return ChainCheck(
                chain_id=chain_id,
                records=len(records),
                ok=False,
                broken_seq=record.seq,
                reason="prev_hash does not match the previous record's hash",
            )
        if record.compute_hash() != record.hash:
            return ChainCheck(
                chain_id=chain_id,
                records=len(records),
                ok=False,
                broken_seq=record.seq,
                reason="content does not match its hash (the record was edited)",
            )
        previous = record.hash
    return ChainCheck(chain_id=chain_id, records=len(records), ok=True)
