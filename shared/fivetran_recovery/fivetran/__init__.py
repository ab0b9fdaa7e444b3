"""The Fivetran REST API client: `FivetranClient`, its typed models and errors.

The client module (and httpx under it) is imported on first use of `FivetranClient`, `DEFAULT_BASE_URL` or
`credentials_from_secret`, not with this package: the handlers import the errors at cold start."""

from typing import Any

from fivetran_recovery.fivetran.errors import (
    BadRequestError,
    ConflictError,
    FivetranConnectionError,
    FivetranError,
    FivetranTimeoutError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from fivetran_recovery.fivetran.models import (
    ActionResult,
    Alert,
    ColumnConfig,
    ConnectCard,
    Connection,
    ConnectionStatus,
    SchemaConfig,
    SchemaEntry,
    SetupTest,
    TableConfig,
    Webhook,
    WebhookTestResult,
)
from fivetran_recovery.fivetran.retry import Idempotency, RetryPolicy, parse_retry_after

_CLIENT_NAMES = frozenset({"DEFAULT_BASE_URL", "FivetranClient", "credentials_from_secret"})


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from fivetran_recovery.fivetran import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_URL",
    "ActionResult",
    "Alert",
    "BadRequestError",
    "ColumnConfig",
    "ConflictError",
    "ConnectCard",
    "Connection",
    "ConnectionStatus",
    "FivetranClient",
    "FivetranConnectionError",
    "FivetranError",
    "FivetranTimeoutError",
    "ForbiddenError",
    "Idempotency",
    "NotFoundError",
    "RateLimitedError",
    "RetryPolicy",
    "SchemaConfig",
    "SchemaEntry",
    "ServerError",
    "SetupTest",
    "TableConfig",
    "UnauthorizedError",
    "Webhook",
    "WebhookTestResult",
    "credentials_from_secret",
    "parse_retry_after",
]
