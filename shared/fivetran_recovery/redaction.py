"""Redaction of secrets and personal data from untrusted text before it is logged, stored, prompted or sent.

Ordered rules: structured secrets first (key blocks, URLs with credentials, JWTs, vendor and cloud token formats),
then key=value pairs whose key names a secret (also as a suffix: `db_password`, `userPassword`), phrases ("the
password is ...", `IDENTIFIED BY ...`), e-mail addresses, card numbers (Luhn-checked), SSNs, phone numbers, then
long opaque tokens. Placeholders never match a rule, so redaction is idempotent. Redact before truncating: a cut
secret no longer matches its rule.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[REDACTED]"
EMAIL = "[EMAIL]"
CARD = "[CARD]"
SSN = "[SSN]"
PHONE = "[PHONE]"

# Key names that mark a secret, also as the end of a longer name (db_password, userPassword, X-Api-Key).
_SECRET_SUFFIXES = (
    r"password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key|token|private[_-]?key"
    r"|credentials?|signature|accountkey|sharedaccesskey|sharedaccesssignature"
)
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
    # MySQL/Oracle/Snowflake DDL: IDENTIFIED BY 'secret' (also IDENTIFIED WITH plugin BY 'secret').
    (
        re.compile(r"(\bIDENTIFIED\s+(?:WITH\s+\S+\s+)?BY\s+(?:PASSWORD\s+)?)(\"[^\"]*\"|'[^']*'|[^\s;,)]+)", re.I),
        r"\1" + REDACTED,
    ),
    # Phrases: "the password is hunter2", "secret was: x", "password for user x is y".
    (
        re.compile(
            r"(\b(?:password|passwd|passphrase|secret|token|api key|pin)(?:\s+for\s+\S+)?\s+(?:is|was|=|:)\s*:?\s*)"
            r"(?!\[REDACTED\])(?![:=\s])(\"[^\"]*\"|'[^']*'|[^\s,;]+)",
            re.I,
        ),
        r"\1" + REDACTED,
    ),
    # key=value, key: value, "key": "value" where the key names a secret (JSON, query strings, JDBC, DSNs).
    (
        re.compile(
            r"([\"']?\b[A-Za-z0-9_.-]*(?:" + _SECRET_SUFFIXES + r")[\"']?\s*[:=]\s*)"
            r"(?!(?:YES|NO|true|false|null|none)\b)(?!\[REDACTED\])"
            r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s;&,}\])\"']+)",
            re.I,
        ),
        r"\1" + REDACTED,
    ),
    # key=value, key: value, "key": "value" where the key names a secret (JSON, query strings, JDBC, DSNs).
    (
        re.compile(
            r"([\"']?\b(?:" + _SECRET_KEYS + r")\b[\"']?\s*[:=]\s*)"
            r"(?!(?:YES|NO|true|false|null|none)\b)(?!\[REDACTED\])"
            r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s;&,}\])\"']+)",
            re.I,
        ),
        r"\1" + REDACTED,
    ),
    # E-mail addresses (personal data).
    (re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"), EMAIL),
    # US Social Security numbers (area 000, 666 and 9xx are never issued).
    (re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])"), SSN),
    # Phone numbers: +CC groups, or (area) / 3-3-4 groups with separators (dates and versions do not fit).
    (
        re.compile(
            r"(?<![\w+.-])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,3}"
            r"|(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4})(?![\w.-])"
        ),
        PHONE,
    ),
]


# Long opaque tokens: 32+ characters of base64/hex with both letters and digits (UUIDs are kept).
_OPAQUE = re.compile(
    r"(?<![A-Za-z0-9/+_-])(?=[A-Za-z0-9/+_=-]*\d)(?=[A-Za-z0-9/+_=-]*[A-Za-z])"
    r"(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
    r"[A-Za-z0-9/+_=-]{32,}"
)
_PATH_LIKE = re.compile(r"^[a-z0-9_/-]*[_/][a-z0-9_/-]*$")


def _opaque(match: re.Match[str]) -> str:
    """An API path or a snake_case name (lower case with `/` or `_`) is not a token; base64 and hex are."""
    return match.group(0) if _PATH_LIKE.match(match.group(0)) else REDACTED


_CARD_CANDIDATE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _cards(text: str) -> str:
    """Card numbers: 13-19 digits (spaces or dashes allowed) passing the Luhn check."""

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return CARD if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)

    return _CARD_CANDIDATE.sub(replace, text)


def redact(text: str) -> str:
    """Return `text` with secrets, tokens, keys, passwords, connection-string credentials and e-mail addresses
    replaced by placeholders. Idempotent; never raises on odd input."""
    if not text:
        return text or ""
    text = _cards(text)  # before the phone rule, which would take a grouped card number for a phone
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _OPAQUE.sub(_opaque, text)


def redact_value(value: object) -> object:
    """`value` with every string in it redacted (dicts and lists walked); other values as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def clip(text: str | None, limit: int) -> str:
    """Redact, then truncate (never the other way round)."""
    return redact(text or "")[:limit]


_STANDARD_RECORD_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Redacts a log record's message, arguments and extra fields (what structured loggers print as keys)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_value(a) if isinstance(a, str | dict | list) else a for a in record.args)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_RECORD_KEYS and isinstance(value, str | dict | list):
                setattr(record, key, redact_value(value))
        return True


def install_log_redaction(*loggers: object) -> RedactingFilter:
    """Put one RedactingFilter on the root logger's handlers and on each given logger's handlers (a Powertools
    Logger's `registered_handler` included): every record that reaches a handler is redacted first."""
    found = RedactingFilter()
    handlers = list(logging.getLogger().handlers)
    for item in loggers:
        registered = getattr(item, "registered_handler", None)
        handlers += [registered] if registered is not None else list(getattr(item, "handlers", []) or [])
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(found)
    return found
