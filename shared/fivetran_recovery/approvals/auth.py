"""Who may decide: API approvers by bearer token (only its SHA-256 is stored), Slack users by id on an allow-list
after Slack's v0 request signature (HMAC-SHA256 over "v0:{timestamp}:{body}") checks out within the replay window.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

MIN_TOKEN_LENGTH = 16


class AuthError(Exception):
    """Refused: `status` is 401 (who are you?) or 403 (not allowed)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class ApproverDirectory:
    """Approvers (name -> token digest), Slack user ids allowed to click, and the teams each belongs to.

    `teams` maps an approver name (or `slack:<user id>`) to the owners.yaml teams whose connections it may decide;
    `admins` may decide any. With no `teams` at all (an older secret) every approver decides for every team."""

    def __init__(self, approvers: Mapping[str, str], slack_user_ids: list[str] | tuple[str, ...] = (), *,
                 teams: Mapping[str, list[str]] | None = None, admins: list[str] | tuple[str, ...] = ()):
        self._approvers = {name: digest.lower() for name, digest in approvers.items() if isinstance(digest, str)}
        self._slack = frozenset(slack_user_ids)
        self._teams = {name: frozenset(map(str, t)) for name, t in (teams or {}).items()} if teams else None
        self._admins = frozenset(admins)

    @classmethod
    def from_secret(cls, document: Mapping[str, Any]) -> ApproverDirectory:
        approvers = document.get("approvers") or {}
        slack = document.get("slack_user_ids") or []
        teams = document.get("teams")
        admins = document.get("admins") or []
        if not isinstance(approvers, Mapping) or not isinstance(slack, list):
            raise ValueError("approver secret must hold approvers (object) and slack_user_ids (list)")
        if (teams is not None and not isinstance(teams, Mapping)) or not isinstance(admins, list):
            raise ValueError("approver secret: teams must be an object of lists, admins a list")
        return cls(approvers, [str(s) for s in slack], teams=teams, admins=[str(a) for a in admins])

    def may_decide_for(self, approver: str, team: str | None) -> str | None:
        """Why `approver` may not decide for `team` (None when allowed)."""
        key = approver.split(" (", 1)[0]  # "slack:U1 (ana)" -> "slack:U1"
        if self._teams is None or key in self._admins:
            return None
        mine = self._teams.get(key, frozenset())
        if team in mine:
            return None
        return (f"{key} approves for {', '.join(sorted(mine)) or 'no team'}; this connection belongs to "
                f"{team or 'no team'} (ask one of its approvers or an admin)")

    def authenticate_bearer(self, authorization: str | None) -> str:
        """The approver's name for `Authorization: Bearer <token>`, else AuthError(401)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthError(401, "missing bearer token")
        token = authorization[7:].strip()
        if len(token) < MIN_TOKEN_LENGTH:
            raise AuthError(401, "invalid token")
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        match = None
        for name, expected in self._approvers.items():  # compare against all: no early exit timing signal
            if hmac.compare_digest(digest, expected):
                match = name
        if match is None:
            raise AuthError(401, "invalid token")
        return match

    def slack_user_allowed(self, user_id: str | None) -> bool:
        return bool(user_id) and user_id in self._slack


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify_slack_request(
    *, signing_secret: str, headers: Mapping[str, str], body: bytes, now: datetime, window_seconds: int = 300
) -> None:
    """Raise AuthError(401) unless the request is Slack's, signed within the replay window."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("x-slack-request-timestamp", "")
    signature = lowered.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise AuthError(401, "missing Slack signature headers")
    if not (timestamp.isascii() and timestamp.isdigit()):  # int() would take other scripts' digits
        raise AuthError(401, "bad Slack timestamp")
    if abs(now.timestamp() - int(timestamp)) > window_seconds:
        raise AuthError(401, "stale Slack request (outside the replay window)")
    expected = slack_signature(signing_secret, timestamp, body)
    # compared as bytes: compare_digest refuses non-ASCII str (a TypeError, a 500), bytes of any content are fine
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise AuthError(401, "bad Slack signature")
