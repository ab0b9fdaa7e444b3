"""JSON secrets from Secrets Manager (through Powertools, cached), or fixed ones for tests and the local stack.
Secret values never leave these objects except into the request that needs them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class SecretMissing(RuntimeError):
    """A secret could not be read or lacks a field (the message names the secret id, never a value)."""


class SecretSource(Protocol):
    def get(self, secret_id: str) -> Mapping[str, Any]: ...


class PowertoolsSecrets:
    def __init__(self, max_age_seconds: int = 300):
        self.max_age = max_age_seconds

    def get(self, secret_id: str) -> Mapping[str, Any]:
        from aws_lambda_powertools.utilities.parameters import get_secret

        try:
            value = get_secret(secret_id, transform="json", max_age=self.max_age)
        except Exception as exc:  # SDK, permission or transform errors
            raise SecretMissing(f"secret {secret_id!r} could not be read ({type(exc).__name__})") from None
        if not isinstance(value, Mapping):
            raise SecretMissing(f"secret {secret_id!r} is not a JSON object")
        return value


class StaticSecrets:
    def __init__(self, values: Mapping[str, Mapping[str, Any]]):
        self._values = dict(values)

    def get(self, secret_id: str) -> Mapping[str, Any]:
        try:
            return self._values[secret_id]
        except KeyError:
            raise SecretMissing(f"secret {secret_id!r} is not configured") from None


def field(secrets: SecretSource, secret_id: str, name: str) -> Any:
    value = secrets.get(secret_id).get(name)
    if value in (None, ""):
        raise SecretMissing(f"secret {secret_id!r} has no {name!r}")
    return value
