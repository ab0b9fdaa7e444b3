"""`FivetranClient.from_settings`: key and secret read lazily from Secrets Manager (moto), URL from settings."""

from __future__ import annotations

import json

import boto3
import httpx
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from fivetran_recovery.fivetran import FivetranClient, FivetranError
from fivetran_recovery.settings import Settings
from local.simulator import FivetranSimulator
from local.simulator.options import FAST


@pytest.fixture
def secrets():
    parameters.clear_caches()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
    parameters.clear_caches()


def test_given_settings_when_built_then_no_aws_call_until_first_request(secrets, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(parameters, "get_secret", lambda *a, **k: calls.append((a, k)) or {})
    FivetranClient.from_settings(Settings.from_env({}))
    assert calls == []


def test_given_secret_in_secrets_manager_when_calling_simulator_then_authenticated(secrets) -> None:
    sim = FivetranSimulator(api_key="rk", api_secret="rs", fidelity=FAST)
    secrets.create_secret(Name="ft/api", SecretString=json.dumps({"api_key": "rk", "api_secret": "rs"}))
    settings = Settings.from_env({"FIVETRAN_SECRET_ID": "ft/api", "FIVETRAN_API_URL": "http://sim.invalid/v1"})
    client = FivetranClient.from_settings(settings, http_client=httpx.Client(transport=sim.transport()))
    assert client.base_url == "http://sim.invalid/v1"
    assert len(client.list_connections()) == len(sim.connection_ids)


@pytest.mark.parametrize(
    "value", [{"api_key": "only-key"}, ["not", "an", "object"], {"api_key": "", "api_secret": "x"}]
)
def test_given_malformed_secret_when_calling_then_error_names_secret_not_values(secrets, value) -> None:
    secrets.create_secret(Name="ft/bad", SecretString=json.dumps(value))
    client = FivetranClient.from_settings(Settings.from_env({"FIVETRAN_SECRET_ID": "ft/bad"}))
    with pytest.raises(FivetranError) as caught:
        client.get_connection("c")
    assert "ft/bad" in str(caught.value) and "only-key" not in str(caught.value)


def test_given_missing_secret_when_calling_then_fivetran_error_naming_it(secrets) -> None:
    client = FivetranClient.from_settings(Settings.from_env({"FIVETRAN_SECRET_ID": "ft/absent"}))
    with pytest.raises(FivetranError, match="ft/absent"):
        client.list_connections()
