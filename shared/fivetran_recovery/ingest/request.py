"""From an API Gateway HTTP API (payload v2.0) event to the exact bytes and headers Fivetran sent."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fivetran_recovery.ingest.errors import InvalidBodyEncoding, PayloadTooLarge


@dataclass(frozen=True)
class WebhookRequest:
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup (API Gateway v2 lower-cases names; be tolerant anyway)."""
        value = self.headers.get(name)
        if value is None:
            lowered = name.lower()
            value = next((v for k, v in self.headers.items() if isinstance(k, str) and k.lower() == lowered), None)
        return value if isinstance(value, str) else None


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body exceeds {max_bytes} bytes")


def request_from_api_gateway(event: Mapping[str, Any], *, max_bytes: int) -> WebhookRequest:
    """Decode the body (base64 when `isBase64Encoded`), refusing oversized bodies before decoding them."""
    if not isinstance(event, dict | Mapping):
        raise InvalidBodyEncoding("the request is not an API Gateway event")
    headers = event.get("headers")
    if not isinstance(headers, dict | Mapping):
        headers = {}
    body = event.get("body")
    if body is None:
        return WebhookRequest(b"", headers)
    if not isinstance(body, str):
        raise InvalidBodyEncoding("the request body is not a string")
    if event.get("isBase64Encoded") is True:
        if len(body) > (max_bytes + 2) // 3 * 4 + 4:
            raise _too_large(max_bytes)
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII characters
            raise InvalidBodyEncoding("the body is marked base64 but is not valid base64") from None
    else:
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidBodyEncoding("the body is not valid UTF-8 text") from None
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    return WebhookRequest(raw, headers)
