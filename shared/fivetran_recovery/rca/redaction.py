"""Redaction of secrets and personal data from untrusted text before it is logged, stored or sent to an LLM.

Ordered rules: structured secrets first (key blocks, URLs with credentials, JWTs, vendor token formats), then
key=value pairs whose key names a secret, then e-mail addresses, then long opaque tokens.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"
EMAIL = "[EMAIL]"

_SECRET_KEYS = (
    r"password|passwd|pwd|pass|secret|client_secret|api[_-]?key|apikey|api[_-]?secret|access[_-]?token"
    r"|refresh[_-]?token|id[_-]?token|auth[_-]?token|session[_-]?token|token|private[_-]?key|passphrase"
    r"|accountkey|sharedaccesskey|sharedaccesssignature|sig|signature|aws_secret_access_key"
    r"|aws_session_token|credentials?|authorization|x-api-key|cookie|set-cookie"
)

_RULES: list[tuple[re.Pattern[str], str]] = [
    # PEM blocks (private keys, certificates with keys).
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), REDACTED),
    # scheme://user:password@host -> keep scheme and host.
    (re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s/@:]+:[^\s/@]+@", re.I), r"\1" + REDACTED + "@"),
    # JSON Web Tokens.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # Vendor token formats: AWS access keys, GitHub, Slack, Stripe, Google API keys, Anthropic/OpenAI keys.
    (re.compile(r"\b(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b"), REDACTED),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}\b"), REDACTED),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), REDACTED),
    (re.compile(r"\b[sr]k_(live|test)_[A-Za-z0-9]{10,}\b"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}\b"), REDACTED),
    (re.compile(r"\bsk-(ant-)?[A-Za-z0-9_-]{20,}\b"), REDACTED),
    (re.compile(r"\bya29\.[A-Za-z0-9_-]{20,}\b"), REDACTED),
    # Authorization headers.
    (re.compile(r"\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.I), r"\1 " + REDACTED),
    # key=value, key: value, "key": "value" where the key names a secret (JSON, query strings, JDBC, DSNs).
    (
        re.compile(
            r"([\"']?\b(?:" + _SECRET_KEYS + r")\b[\"']?\s*[:=]\s*)"
            r"(?!(?:YES|NO|true|false|null|none)\b)"
            r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s;&,}\])\"']+)",
            re.I,
        ),
        r"\1" + REDACTED,
    ),
    # E-mail addresses (personal data).
    (re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"), EMAIL),
    # Long opaque tokens: 32+ characters of base64/hex with both letters and digits (UUIDs are kept).
    (
        re.compile(
            r"(?<![A-Za-z0-9/+_-])(?=[A-Za-z0-9/+_=-]*\d)(?=[A-Za-z0-9/+_=-]*[A-Za-z])"
            r"(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
            r"[A-Za-z0-9/+_=-]{32,}"
        ),
        REDACTED,
    ),
]


def redact(text: str) -> str:
    """Return `text` with secrets, tokens, keys, passwords, connection-string credentials and e-mail addresses
    replaced by placeholders. Idempotent; never raises on odd input."""
    if not text:
        return text or ""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
