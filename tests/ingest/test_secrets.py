from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from fivetran_recovery.ingest import (
    SecretsManagerWebhookSecretProvider,
    SecretUnavailable,
    StaticWebhookSecretProvider,
    WebhookSecrets,
)

NOW = datetime(2026, 5, 22, 12, 0, tzinfo=UTC)


def test_given_previous_within_grace_when_keys_read_then_both_accepted_and_after_only_current() -> None:
    secrets = WebhookSecrets.from_document(
        {"current": "new", "previous": "old", "previous_valid_until": "2026-05-22T13:00:00Z"}
    )
    assert secrets.keys_at(NOW) == (b"new", b"old")
    assert secrets.keys_at(NOW + timedelta(hours=1)) == (b"new",)


def test_given_previous_without_end_date_when_keys_read_then_previous_ignored() -> None:
    assert WebhookSecrets.from_document({"current": "new", "previous": "old"}).keys_at(NOW) == (b"new",)


def test_given_naive_end_date_when_parsed_then_read_as_utc() -> None:
    secrets = WebhookSecrets.from_document(
        {"current": "new", "previous": "old", "previous_valid_until": "2026-05-22T12:30:00"}
    )
    assert secrets.keys_at(NOW) == (b"new", b"old")


@pytest.mark.parametrize(
    "document", [{}, {"current": ""}, {"current": 5}, {"current": "x", "previous_valid_until": "?"}]
)
def test_given_malformed_document_when_parsed_then_secret_unavailable_naming_fields_not_values(document) -> None:
    with pytest.raises(SecretUnavailable) as caught:
        WebhookSecrets.from_document(document)
    assert "webhook secret is malformed" in caught.value.detail


def test_given_secrets_when_printed_then_values_hidden() -> None:
    secrets = WebhookSecrets(SecretStr("hunter2"), SecretStr("hunter1"), NOW)
    assert "hunter" not in repr(secrets) and "hunter" not in str(secrets)


class FakeFetch:
    def __init__(self, *values) -> None:
        self.values = list(values)
        self.calls: list[tuple[str, int]] = []

    def __call__(self, secret_id: str, max_age: int):
        self.calls.append((secret_id, max_age))
        value = self.values.pop(0) if len(self.values) > 1 else self.values[0]
        if isinstance(value, Exception):
            raise value
        return value


def test_given_cached_secret_when_read_within_max_age_then_fetched_once_and_refreshed_after() -> None:
    clock = [100.0]
    fetch = FakeFetch({"current": "one"}, {"current": "two"})
    provider = SecretsManagerWebhookSecretProvider("id", max_age_seconds=300, fetch=fetch, monotonic=lambda: clock[0])
    assert provider.get().keys_at(NOW) == (b"one",)
    clock[0] += 299
    assert provider.get().keys_at(NOW) == (b"one",)
    assert fetch.calls == [("id", 300)]
    clock[0] += 2
    assert provider.get().keys_at(NOW) == (b"two",)


def test_given_fetch_fails_when_read_then_secret_unavailable_without_details() -> None:
    provider = SecretsManagerWebhookSecretProvider("id", fetch=FakeFetch(RuntimeError("token=abc123")))
    with pytest.raises(SecretUnavailable) as caught:
        provider.get()
    assert "abc123" not in caught.value.detail and "RuntimeError" in caught.value.detail


def test_given_non_object_secret_when_read_then_secret_unavailable() -> None:
    with pytest.raises(SecretUnavailable):
        SecretsManagerWebhookSecretProvider("id", fetch=FakeFetch("plain-string")).get()


def test_given_static_provider_when_read_then_same_secrets() -> None:
    provider = StaticWebhookSecretProvider("cur", previous="prev", previous_valid_until=NOW + timedelta(minutes=1))
    assert provider.get().keys_at(NOW) == (b"cur", b"prev")


def test_given_secret_in_emulated_secrets_manager_when_read_through_powertools_then_parsed() -> None:
    import boto3
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    with mock_aws():
        parameters.clear_caches()
        arn = boto3.client("secretsmanager").create_secret(
            Name="fivetran-recovery/webhook",
            SecretString=json.dumps(
                {"current": "new", "previous": "old", "previous_valid_until": "2999-01-01T00:00:00Z"}
            ),
        )["ARN"]
        provider = SecretsManagerWebhookSecretProvider(arn, max_age_seconds=5)
        assert provider.get().keys_at(NOW) == (b"new", b"old")
        missing = SecretsManagerWebhookSecretProvider("does-not-exist", max_age_seconds=5)
        with pytest.raises(SecretUnavailable):
            missing.get()
    parameters.clear_caches()
