"""URL path segments from ids: non-empty, percent-encoded (an id can never add a path segment)."""

from __future__ import annotations

from urllib.parse import quote


def segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")
    return quote(value, safe="")
