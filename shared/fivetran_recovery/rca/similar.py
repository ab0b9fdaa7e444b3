"""Similar past incidents: the closest earlier incidents, with how they were resolved. A pure function over
incident records (dicts with connection_id, category, pattern, signature, resolution, closed_at)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

# How close a candidate is, most specific first.
SAME_SIGNATURE_SAME_CONNECTION = 5.0
SAME_SIGNATURE = 4.0
SAME_PATTERN_SAME_CONNECTION = 3.0
SAME_CATEGORY_SAME_CONNECTION = 2.0
SAME_PATTERN = 1.5
RESOLVED_BONUS = 0.25
GENERIC_PATTERNS = frozenset({"", "unknown"})


def _get(record: Any, key: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(key)
    return getattr(record, key, None)


def _closed_at(record: Any) -> float:
    value = _get(record, "closed_at")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0
    return 0.0


def similarity(current: Any, candidate: Any) -> tuple[float, str]:
    """(score, why) for one candidate; score 0 means not similar."""
    same_connection = bool(_get(current, "connection_id")) and _get(current, "connection_id") == _get(
        candidate, "connection_id"
    )
    signature = _get(current, "signature")
    pattern = str(_get(current, "pattern") or "")
    category = str(_get(current, "category") or "")
    if signature and signature == _get(candidate, "signature"):
        if same_connection:
            return SAME_SIGNATURE_SAME_CONNECTION, "same failure on this connection"
        return SAME_SIGNATURE, "same failure on another connection"
    same_pattern = pattern not in GENERIC_PATTERNS and pattern == str(_get(candidate, "pattern") or "")
    if same_connection and same_pattern:
        return SAME_PATTERN_SAME_CONNECTION, "same kind of failure on this connection"
    if same_connection and category and category != "unknown" and category == str(_get(candidate, "category") or ""):
        return SAME_CATEGORY_SAME_CONNECTION, "same category on this connection"
    if same_pattern:
        return SAME_PATTERN, "same kind of failure on another connection"
    return 0.0, ""


def rank_similar(current: Any, candidates: list[dict[str, Any]], limit: int = 3) -> list[dict[str, Any]]:
    """The `limit` closest candidates, each a copy with `similarity` and `why` added; resolved ones first on
    ties, then the most recently closed. The current incident itself (same `id`) is never returned."""
    if limit <= 0:
        return []
    current_id = _get(current, "id")
    scored = []
    for candidate in candidates:
        if current_id is not None and _get(candidate, "id") == current_id:
            continue
        score, why = similarity(current, candidate)
        if score <= 0:
            continue
        if _get(candidate, "resolution"):
            score += RESOLVED_BONUS
        scored.append((score, _closed_at(candidate), why, candidate))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [
        {**dict(candidate), "similarity": round(score, 2), "why": why} for score, _, why, candidate in scored[:limit]
    ]
