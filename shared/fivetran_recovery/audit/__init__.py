"""The append-only, hash-chained audit trail: one chain per connection, linked across chains by incident id."""

from fivetran_recovery.audit.chain import GENESIS_HASH, AuditRecord, ChainCheck, canonical_json, verify_records
from fivetran_recovery.audit.store import AuditError, AuditLog, record_from_item

__all__ = [
    "GENESIS_HASH",
    "AuditError",
    "AuditLog",
    "AuditRecord",
    "ChainCheck",
    "canonical_json",
    "record_from_item",
    "verify_records",
]
