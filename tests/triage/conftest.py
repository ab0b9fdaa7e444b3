"""Triage fixtures: a Triage on in-memory stores or on moto DynamoDB tables made from template.yaml."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fivetran_recovery.stores.dynamodb_incidents import DynamoCorrelationStore, DynamoDigestStore, DynamoIncidentStore
from fivetran_recovery.stores.memory import InMemoryCorrelationStore, InMemoryDigestStore, InMemoryIncidentStore
from fivetran_recovery.triage.calendar import MaintenanceCalendar, MaintenanceConfig
from fivetran_recovery.triage.engine import Triage
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import OwnersConfig, Routing
from local.template import load_template

sys.path.insert(0, str(Path(__file__).parent))  # triage_helpers.py (importlib mode does not add test dirs)

OWNERS: dict[str, Any] = {
    "version": 1,
    "default": {"owner": "data-platform", "criticality": "medium"},
    "teams": {
        "data-platform": {"channel": "#data-platform-alerts", "pagerduty_service": "data-platform"},
        "analytics-eng": {"channel": "#analytics-incidents", "pagerduty_service": "analytics"},
        "finance-data": {"channel": "#finance-data", "pagerduty_service": "finance"},
    },
    "rules": [
        {"match": {"connections": ["finance_netsuite"]}, "owner": "finance-data", "criticality": "critical"},
        {"match": {"destinations": ["bq_analytics_prod"]}, "owner": "analytics-eng", "criticality": "critical"},
    ],
}


def moto_tables(client: Any, names: dict[str, str]) -> None:
    """Create tables with the key schemas, GSIs and TTL of template.yaml (logical id -> physical name)."""
    resources = load_template()["Resources"]
    for logical_id, table_name in names.items():
        props = resources[logical_id]["Properties"]
        args: dict[str, Any] = {
            "TableName": table_name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props["BillingMode"],
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client.create_table(**args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)


@dataclass
class TriageRig:
    triage: Triage
    incidents: Any
    correlation: Any
    digest: Any


@pytest.fixture
def dynamodb_client() -> Iterator[Any]:
    from local.lambda_runtime import serialized_moto

    # moto's backends are not thread-safe (a transaction deep-copies a table another thread is changing): the
    # concurrency tests exercise our conditional writes, so moto answers one request at a time, like a real endpoint.
    with mock_aws(), serialized_moto():
        client = boto3.client("dynamodb", region_name="us-east-1")
        moto_tables(client, {"IncidentsTable": "incidents", "ConnectionHistoryTable": "history"})
        yield client


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_rig(backend: str, request: pytest.FixtureRequest) -> Callable[..., TriageRig]:
    """Build a Triage on the parametrised backend; keyword arguments override the policy/calendar/routing."""

    def build(
        *,
        policy: TriagePolicy | None = None,
        maintenance: dict[str, Any] | None = None,
        owners: dict[str, Any] | None = None,
        status_feed: Any = None,
    ) -> TriageRig:
        if backend == "memory":
            incidents, correlation, digest = InMemoryIncidentStore(), InMemoryCorrelationStore(), InMemoryDigestStore()
        else:
            client = request.getfixturevalue("dynamodb_client")
            incidents = DynamoIncidentStore(client=client, table_name="incidents")
            correlation = DynamoCorrelationStore(client=client, table_name="incidents")
            digest = DynamoDigestStore(client=client, table_name="incidents")
        triage = Triage(
            incidents=incidents,
            correlation=correlation,
            digest=digest,
            calendar=MaintenanceCalendar(MaintenanceConfig.model_validate(maintenance or {})),
            routing=Routing(OwnersConfig.model_validate(owners or OWNERS)),
            status_feed=status_feed,
            policy=policy or TriagePolicy(),
            clock=lambda: datetime(2026, 11, 24, 12, tzinfo=UTC),
        )
        return TriageRig(triage, incidents, correlation, digest)

    return build
