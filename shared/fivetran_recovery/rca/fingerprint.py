"""Incident signatures: the same failure seen twice gets the same key, whatever ids, numbers or names vary."""

from __future__ import annotations

import hashlib
import re

_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I), "<uuid>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?\b"), "<ts>"),
    (re.compile(r"'[^']{1,200}'|\"[^\"]{1,200}\"|`[^`]{1,200}`"), "<q>"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"(?<![A-Za-z0-9-])\d+(\.\d+)?(?![A-Za-z0-9])"), "<n>"),
    (re.compile(r"\s+"), " "),
]


def normalise_message(message: str, *, max_chars: int = 2000) -> str:
    """The message with ids, quoted names, timestamps and numbers replaced, lower-cased, whitespace folded.
    Vendor codes that mix letters and digits (ORA-01017, 28P01) keep their digits."""
    text = (message or "")[:max_chars]
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.strip().lower()


def incident_signature(message: str, *, category: str = "", pattern: str = "", connector_type: str = "") -> str:
    """A short stable key for 'this kind of failure': used to call the LLM once per distinct incident."""
    basis = "|".join([connector_type or "", category or "", pattern or "", normalise_message(message)])
    return hashlib.sha256(basis.encode()).hexdigest()[:24]
