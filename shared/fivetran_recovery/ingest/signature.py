"""`X-Fivetran-Signature-256`: HMAC-SHA256 of the exact raw body, hex, no prefix (FACTS.md 1.4).

Sources disagree on the case of the hex digits, so the comparison is case-insensitive; it is constant-time in
the digest and checks every accepted secret (current and, during rotation, previous) without short-circuiting.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

SIGNATURE_HEADER = "x-fivetran-signature-256"
_HEX_DIGITS = frozenset(b"0123456789abcdef")


def sign(secret: bytes | str, body: bytes) -> str:
    """The signature Fivetran sends for `body` (lower-case hex)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, provided: str, keys: Iterable[bytes]) -> bool:
    """True when `provided` is the signature of `body` under any of `keys`."""
    candidate = provided.strip().lower().encode("ascii", "replace")
    if len(candidate) != 64 or not _HEX_DIGITS.issuperset(candidate):
        return False
    matched = False
    for key in keys:
        expected = hmac.digest(key, body, "sha256").hex().encode()
        matched |= hmac.compare_digest(expected, candidate)
    return matched
