"""Typed errors of the Fivetran REST API, one class per HTTP status family.

The API answers errors as `{"code": "...", "message": "..."}` (FACTS.md 2.1). An error carries the request's
method and path (which hold ids, never credentials), the status, Fivetran's code and message.
"""

from __future__ import annotations

from typing import Any

# The documented text of the in-progress-sync gotcha (https://fivetran.com/docs/rest-api/troubleshooting/
# stop-in-progress-sync-error): a PATCH while a sync runs may fail with it.
SYNC_STOP_TIMEOUT_TEXT = "Failed to stop in-progress sync"


class FivetranError(Exception):
    """Any failure talking to the Fivetran API. `status` is None when no HTTP answer was received."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else "Fivetran API"
        status = f" -> HTTP {self.status}" if self.status is not None else ""
        code = f" {self.code}" if self.code else ""
        return f"{where}{status}{code}: {self.message}"

    @property
    def is_sync_stop_timeout(self) -> bool:
        """True for "Failed to stop in-progress sync after trying for 60 seconds" (fix: pause, change, resume)."""
        return SYNC_STOP_TIMEOUT_TEXT.lower() in (self.message or "").lower()


class BadRequestError(FivetranError):
    """400: the request is invalid (bad field, empty scope, unsupported table-level re-sync...)."""


class UnauthorizedError(FivetranError):
    """401: the API key/secret pair is wrong, revoked or replaced by a newer key."""


class ForbiddenError(FivetranError):
    """403: authenticated, but the key's role may not do this."""


class NotFoundError(FivetranError):
    """404: no such connection, group or webhook (or not visible to this key)."""


class ConflictError(FivetranError):
    """409: the resource's state forbids the call now (e.g. a re-sync while a sync cannot be completed)."""


class RateLimitedError(FivetranError):
    """429: the account's API rate limit; `retry_after` is the server's Retry-After in seconds, if sent."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(FivetranError):
    """5xx: a fault on Fivetran's side."""


class FivetranConnectionError(FivetranError):
    """No HTTP answer: DNS, connect, TLS, read timeout or a dropped connection."""


class FivetranTimeoutError(FivetranError):
    """A client-side wait (e.g. for `sync_state == "paused"`) ran past its deadline."""


_BY_STATUS: dict[int, type[FivetranError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def error_class_for(status: int) -> type[FivetranError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return FivetranError


def error_from_response(
    status: int,
    body: Any,
    *,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> FivetranError:
    """Build the typed error for an HTTP error answer; `body` is the parsed JSON (or raw text, or None)."""
    code: str | None = None
    message = f"HTTP {status}"
    if isinstance(body, dict):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        if isinstance(body.get("message"), str) and body["message"]:
            message = body["message"]
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:300]
    cls = error_class_for(status)
    if cls is RateLimitedError:
        return RateLimitedError(message, retry_after=retry_after, status=status, code=code, method=method, path=path)
    return cls(message, status=status, code=code, method=method, path=path)
