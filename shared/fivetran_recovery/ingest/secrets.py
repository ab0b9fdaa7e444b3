"""The webhook signing secret, read from Secrets Manager, cached, with rotation.

The secret is a JSON document `{"current": "...", "previous": "...", "previous_valid_until": "ISO-8601"}`:
`previous` is accepted until `previous_valid_until` (a grace period while Fivetran switches to the new secret);
a `previous` with no end date is ignored, so an old secret cannot stay valid by accident.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from fivetran_recovery.ingest.errors import SecretUnavailable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _SecretDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    current: SecretStr = Field(min_length=1)
    previous: SecretStr | None = None
    previous_valid_until: datetime | None = None


@dataclass(frozen=True)
class WebhookSecrets:
    """The secrets that may have signed a delivery; `keys_at(now)` is what verification uses."""

    current: SecretStr
    previous: SecretStr | None = None
    previous_valid_until: datetime | None = None
    _current_key: bytes = field(init=False, repr=False, compare=False)
    _previous_key: bytes | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        until = self.previous_valid_until
        if until is not None and until.tzinfo is None:  # a naive end date is read as UTC
            object.__setattr__(self, "previous_valid_until", until.replace(tzinfo=UTC))
        object.__setattr__(self, "_current_key", self.current.get_secret_value().encode())
        previous = self.previous.get_secret_value().encode() if self.previous else None
        object.__setattr__(self, "_previous_key", previous)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> WebhookSecrets:
        """Parse the Secrets Manager JSON; errors name the field, never its value."""
        try:
            parsed = _SecretDocument.model_validate(document)
        except ValidationError as exc:
            fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            named = ", ".join(fields) or "document"
            raise SecretUnavailable(f"webhook secret is malformed (fields: {named})") from None
        return cls(parsed.current, parsed.previous, parsed.previous_valid_until)

    def keys_at(self, now: datetime) -> tuple[bytes, ...]:
        """Current key, plus the previous one while its grace period lasts."""
        until = self.previous_valid_until
        if self._previous_key and until is not None and now < until:
            return (self._current_key, self._previous_key)
        return (self._current_key,)


class WebhookSecretProvider(Protocol):
    def get(self) -> WebhookSecrets: ...


class StaticWebhookSecretProvider:
    """Fixed secrets (tests, benchmarks, the local stack when no Secrets Manager is wanted)."""

    def __init__(
        self, current: str, *, previous: str | None = None, previous_valid_until: datetime | None = None
    ) -> None:
        self._secrets = WebhookSecrets(
            SecretStr(current), SecretStr(previous) if previous else None, previous_valid_until
        )

    def get(self) -> WebhookSecrets:
        return self._secrets


def _powertools_get_secret(secret_id: str, max_age: int) -> Any:
    from aws_lambda_powertools.utilities.parameters import get_secret  # lazy: boto3 only on first use

    return get_secret(secret_id, transform="json", max_age=max_age)


class SecretsManagerWebhookSecretProvider:
    """Reads `secret_id` through Powertools Parameters (itself cached for `max_age_seconds`).

    The parsed value is cached here too, so a warm invocation costs one clock read.
    """

    def __init__(
        self,
        secret_id: str,
        *,
        max_age_seconds: int = 300,
        fetch: Callable[[str, int], Any] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret_id:
            raise ValueError("secret_id is required (WEBHOOK_SECRET_ID)")
        self._secret_id = secret_id
        self._max_age = max_age_seconds
        self._fetch = fetch or _powertools_get_secret
        self._monotonic = monotonic
        self._cached: WebhookSecrets | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> WebhookSecrets:
        cached = self._cached
        if cached is not None and self._monotonic() - self._fetched_at < self._max_age:
            return cached
        with self._lock:
            if self._cached is not None and self._monotonic() - self._fetched_at < self._max_age:
                return self._cached
            try:
                document = self._fetch(self._secret_id, self._max_age)
            except Exception as exc:  # SDK, network, permission or transform errors: all mean "cannot verify"
                raise SecretUnavailable(f"webhook secret could not be read ({type(exc).__name__})") from None
            if not isinstance(document, Mapping):
                raise SecretUnavailable("webhook secret is not a JSON object")
            self._cached = WebhookSecrets.from_document(document)
            self._fetched_at = self._monotonic()
            return self._cached
