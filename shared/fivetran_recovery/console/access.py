"""Who is asking, for the console's routes: a session cookie (pages and the browser's API calls, CSRF token on
every POST) or a bearer token (scripts and the CLI; not ambient, so no CSRF). Headers every answer carries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from fivetran_recovery.approvals.auth import AuthError
from fivetran_recovery.console.service import ConsoleService
from fivetran_recovery.console.session import Session, cookie_value
from fivetran_recovery.httpapi import remember, request_value

CSRF_HEADER = "x-csrf-token"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Caller:
    approver: str
    session: Session | None  # None: authenticated by bearer token


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def console_of(router: Router) -> ConsoleService:
    return request_value("console")


def headers_of(router: Router) -> dict[str, str]:
    return {k.lower(): v for k, v in (router.current_event.headers or {}).items()}


def current_session(router: Router) -> Session | None:
    cookies = router.current_event.get("cookies") or []
    return console_of(router).session(cookie_value(cookies))


def caller(router: Router, *, csrf: str | None = None, allow_bearer: bool = True) -> Caller:
    """The authenticated caller, or Refused(401/403). POSTs with a session need the CSRF token (`csrf`, or the
    X-CSRF-Token header)."""
    headers = headers_of(router)
    authorization = headers.get("authorization")
    if allow_bearer and authorization:
        try:
            return Caller(console_of(router).bearer(authorization), None)
        except AuthError as exc:
            raise Refused(exc.status, str(exc)) from None
    session = current_session(router)
    if session is None:
        raise Refused(401, "sign in first (no valid session)")
    if router.current_event.http_method.upper() == "POST":
        token = csrf if csrf is not None else headers.get(CSRF_HEADER)
        if not console_of(router).signer().csrf_ok(session, token):
            raise Refused(403, "missing or wrong CSRF token")
    return Caller(session.approver, session)


def secure_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def guarded(router: Router, refuse: Callable[[Refused], Response], *,
            csrf_from: Callable[[], str | None] | None = None, **caller_options: Any) -> Callable:
    """A route decorator: authenticate first (`caller`), answer `refuse(...)` when refused; the route reads the
    caller with `who()`. `csrf_from` reads the CSRF token of the request (a form field) instead of the header.
    Signatures pass through (functools.wraps), so Powertools still validates the route's own parameters."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def checked(*args: Any, **kwargs: Any) -> Response:
            try:
                csrf = {"csrf": csrf_from()} if csrf_from is not None else {}
                remember("caller", caller(router, **caller_options, **csrf))
            except Refused as exc:
                return refuse(exc)
            return handler(*args, **kwargs)

        return checked

    return decorate


def who() -> Caller:
    """The caller a `guarded` route was let in for."""
    return request_value("caller")
