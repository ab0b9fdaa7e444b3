"""Store fixtures: every contract test runs against the in-memory store and the DynamoDB one (moto tables made
from template.yaml's key schemas)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fivetran_recovery.stores.dynamodb_history import DynamoHistoryStore
from fivetran_recovery.stores.dynamodb_incidents import (
    DynamoCorrelationStore,
    DynamoDigestStore,
    DynamoIncidentStore,
    DynamoLlmCache,
)
from fivetran_recovery.stores.memory import (
    InMemoryCorrelationStore,
    InMemoryDigestStore,
    InMemoryHistoryStore,
    InMemoryIncidentStore,
    InMemoryLlmCache,
)
from local.template import load_template

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class StoreSet:
    incidents: Any
    correlation: Any
    digest: Any
    history: Any
    llm_cache: Any
    clock: dict[str, datetime]


def _create_tables(client: Any) -> None:
    resources = load_template()["Resources"]
    for logical_id, name in {"IncidentsTable": "incidents", "ConnectionHistoryTable": "history"}.items():
        props = resources[logical_id]["Properties"]
        args: dict[str, Any] = {key: props[key] for key in ("AttributeDefinitions", "KeySchema", "BillingMode")}
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client.create_table(TableName=name, **args)
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[StoreSet]:
    clock = {"now": NOW}
    if request.param == "memory":
        yield StoreSet(
            InMemoryIncidentStore(),
            InMemoryCorrelationStore(),
            InMemoryDigestStore(),
            InMemoryHistoryStore(),
            InMemoryLlmCache(),
            clock,
        )
        return
    from local.lambda_runtime import serialized_moto

    with mock_aws(), serialized_moto():  # moto's backends are not thread-safe; a real endpoint is
        client = boto3.client("dynamodb", region_name="us-east-1")
        _create_tables(client)
        yield StoreSet(
            DynamoIncidentStore(client=client, table_name="incidents"),
            DynamoCorrelationStore(client=client, table_name="incidents"),
            DynamoDigestStore(client=client, table_name="incidents"),
            DynamoHistoryStore(client=client, table_name="history"),
            DynamoLlmCache(client=client, table_name="incidents", ttl_seconds=3600, clock=lambda: clock["now"]),
            clock,
        )
