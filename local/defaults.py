"""Local-stack defaults: what `make run` uses when nothing is configured (named in the README)."""

from __future__ import annotations

import os

DEFAULT_PORT = 3000
DEFAULT_WEBHOOK_SECRET = "local-webhook-secret"
LOCAL_FIVETRAN_KEY = "local-api-key"
LOCAL_FIVETRAN_SECRET = "local-api-secret"
LOCAL_APPROVER = "local-approver"
LOCAL_APPROVER_TOKEN = "local-approver-token"
LOCAL_SLACK_SIGNING_SECRET = "local-slack-signing-secret"


def webhook_secret() -> str:
    return os.environ.get("FIVETRAN_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET


def port() -> int:
    raw = os.environ.get("PORT") or str(DEFAULT_PORT)
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"PORT must be a number, got {raw!r}") from None
    if not 0 <= value <= 65535:
        raise SystemExit(f"PORT must be between 0 and 65535, got {value}")
    return value


def local_secrets(*, webhook: str | None = None, fivetran_key: str = LOCAL_FIVETRAN_KEY,
                  fivetran_secret: str = LOCAL_FIVETRAN_SECRET) -> dict[str, dict]:
    """Secret values for the template's secrets, by logical id."""
    import hashlib
    import secrets

    return {
        "WebhookSecret": {"current": webhook or webhook_secret()},
        "FivetranApiSecret": {"api_key": fivetran_key, "api_secret": fivetran_secret},
        "ApproverSecret": {
            "approvers": {LOCAL_APPROVER: hashlib.sha256(LOCAL_APPROVER_TOKEN.encode()).hexdigest()},
            "slack_user_ids": ["U0LOCALAPPROVER"],
        },
        "SlackSecret": {"signing_secret": LOCAL_SLACK_SIGNING_SECRET},
        "ConsoleSessionSecret": {"session_key": secrets.token_urlsafe(32)},
        "AnthropicSecret": {},
        "PagerDutySecret": {},
    }
