"""Console sessions: an approver token (checked against the hashed allow-list) is exchanged once for a signed,
short-lived session cookie; every POST also carries a CSRF token bound to that session.

Cookie value: `v1.<approver, base64url>.<expires epoch>.<nonce>.<HMAC-SHA256 of the rest>`. The key is the
console's own secret (`ConsoleSessionSecret.session_key`), never an approver's token or hash, so knowing a token
does not let anyone mint a session for another approver. The CSRF token is HMAC(key, "csrf:" + nonce): a page
gets it from the server and sends it back in the form (or the `X-CSRF-Token` header); a cross-site request has
the cookie (SameSite=Strict already withholds it) but can never read the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

COOKIE_NAME = "fr_session"
DEFAULT_TTL_SECONDS = 3600
MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class Session:
    approver: str
    expires_at: int
    csrf_token: str


def _b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class SessionSigner:
    def __init__(self, key: bytes | str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS, secure: bool = True,
                 clock: Callable[[], float] = time.time):
        key = key.encode("utf-8") if isinstance(key, str) else key
        if len(key) < MIN_KEY_BYTES:
            raise ValueError("the console session key must be at least 16 bytes")
        self._key = key
        self.ttl_seconds = ttl_seconds
        self.secure = secure
        self._clock = clock

    def _mac(self, message: str) -> str:
        return _b64(hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).digest())

    def issue(self, approver: str) -> tuple[str, Session]:
        expires = int(self._clock()) + self.ttl_seconds
        nonce = secrets.token_urlsafe(18)
        body = f"v1.{_b64(approver.encode('utf-8'))}.{expires}.{nonce}"
        return f"{body}.{self._mac(body)}", Session(approver, expires, self._mac(f"csrf:{nonce}"))

    def verify(self, value: str | None) -> Session | None:
        """The session of a cookie value, or None if it is missing, forged, malformed or expired."""
        if not value or value.count(".") != 4:
            return None
        body, _, mac = value.rpartition(".")
        if not hmac.compare_digest(self._mac(body), mac):
            return None
        version, approver, expires, nonce = body.split(".")
        try:
            expires_at = int(expires)
            name = _unb64(approver).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        if version != "v1" or expires_at <= int(self._clock()):
            return None
        return Session(name, expires_at, self._mac(f"csrf:{nonce}"))

    def login_token(self) -> str:
        """The CSRF token of the sign-in form (no session yet): valid for 10 to 20 minutes."""
        return self._mac(f"login:{int(self._clock()) // 600}")

    def login_token_ok(self, token: str | None) -> bool:
        window = int(self._clock()) // 600
        return bool(token) and any(hmac.compare_digest(self._mac(f"login:{w}"), token or "")
                                   for w in (window, window - 1))

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(session.csrf_token, token or "")

    def cookie(self, value: str) -> Cookie:
        """The Set-Cookie of a new session: HttpOnly, SameSite=Strict, Secure when deployed."""
        return Cookie(name=COOKIE_NAME, value=value, path="/", max_age=self.ttl_seconds, http_only=True,
                      secure=self.secure, same_site=SameSite.STRICT_MODE)

    def clearing_cookie(self) -> Cookie:
        return Cookie(name=COOKIE_NAME, value="", path="/", max_age=0, http_only=True, secure=self.secure,
                      same_site=SameSite.STRICT_MODE)


def cookie_value(cookies: list[str] | None, name: str = COOKIE_NAME) -> str | None:
    """The named cookie from API Gateway's `cookies` list (["a=1", "b=2"])."""
    for cookie in cookies or []:
        key, sep, value = cookie.strip().partition("=")
        if sep and key == name:
            return value
    return None
