"""Incident identity: what makes two failures "the same problem"."""

from __future__ import annotations

import hashlib

from fivetran_recovery.models.diagnosis import Category, Diagnosis

MAX_FINGERPRINT_CHARS = 200  # PagerDuty dedup_key allows 255


def _bounded(value: str) -> str:
    if len(value) <= MAX_FINGERPRINT_CHARS:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:20]
    return f"{value[: MAX_FINGERPRINT_CHARS - 21]}~{digest}"


def incident_fingerprint(connection_id: str, category: Category | str, pattern: str, table: str | None = None) -> str:
    """connection, category, pattern and (where the failure names one) table: stable across retries."""
    parts = [connection_id, str(category), pattern]
    if table:
        parts.append(table.strip().lower())
    return _bounded(":".join(parts))


def signature(category: Category | str, pattern: str) -> str:
    """What similar incidents on any connection share."""
    return f"{category}:{pattern}"


def destination_key(destination_group_id: str, category: Category | str, pattern: str) -> str:
    """Correlation key: the same failure on many connections writing to one destination."""
    return _bounded(f"dest:{destination_group_id}:{category}:{pattern}")


def pattern_key(category: Category | str, pattern: str) -> str:
    """Correlation key: the same failure across destinations (a vendor or network outage)."""
    return _bounded(f"pattern:{category}:{pattern}")


def table_of(diagnosis: Diagnosis) -> str | None:
    """The table a diagnosis names: a `table` attribute if the model has one, else evidence sourced `*table`."""
    explicit = getattr(diagnosis, "table", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    for item in diagnosis.evidence:
        if item.source == "table" or item.source.endswith(".table"):
            return item.detail
    return None
