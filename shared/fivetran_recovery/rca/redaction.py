"""Kept for the RCA's callers: redaction lives on the ground floor (`fivetran_recovery.redaction`), so models and
stores can redact before anything is kept."""

from fivetran_recovery.redaction import CARD, EMAIL, PHONE, REDACTED, SSN, clip, redact, redact_value

__all__ = ["CARD", "EMAIL", "PHONE", "REDACTED", "SSN", "clip", "redact", "redact_value"]
