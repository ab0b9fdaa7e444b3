"""The triage engine's wiring (used by the diagnose function's root): stores on the template's tables,
config files from config/, a Triage.

Config directory: explicit argument > the TRIAGE_CONFIG_DIR environment variable > the package's own config/
(shared/fivetran_recovery/config/, deployed with the layer). It holds maintenance.yaml, owners.yaml and
status_feeds.yaml.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from fivetran_recovery.config import resolve_config_dir
from fivetran_recovery.settings import Settings
from fivetran_recovery.stores.dynamodb_history import DynamoHistoryStore
from fivetran_recovery.stores.dynamodb_incidents import (
    DynamoCorrelationStore,
    DynamoDigestStore,
    DynamoIncidentStore,
    DynamoLlmCache,
)
from fivetran_recovery.triage.calendar import MaintenanceCalendar
from fivetran_recovery.triage.engine import Triage
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import Routing
from fivetran_recovery.triage.status_feed import StatusFeedReader, feeds_from_urls, load_status_feeds


@dataclass
class Stores:
    incidents: DynamoIncidentStore
    correlation: DynamoCorrelationStore
    digest: DynamoDigestStore
    history: DynamoHistoryStore
    llm_cache: DynamoLlmCache


def dynamo_stores(*, client: Any, settings: Settings) -> Stores:
    """Every store on the template's tables (the LLM cache, digest and signals live in the incidents table)."""
    table = settings.incidents_table
    return Stores(
        incidents=DynamoIncidentStore(client=client, table_name=table),
        correlation=DynamoCorrelationStore(client=client, table_name=table),
        digest=DynamoDigestStore(client=client, table_name=table),
        history=DynamoHistoryStore(client=client, table_name=settings.history_table),
        llm_cache=DynamoLlmCache(client=client, table_name=table),
    )


def build_triage(
    *,
    settings: Settings,
    client: Any = None,
    stores: Stores | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    status_feed_urls: Sequence[str] | None = None,
    http_client: httpx.Client | None = None,
    clock: Callable[[], datetime] | None = None,
    tags_for: Callable[[str], Sequence[str]] | None = None,
    policy: TriagePolicy | None = None,
) -> Triage:
    """A Triage on the template's tables: pass `stores`, or a boto3 DynamoDB `client` to build them from."""
    if stores is None:
        if client is None:
            raise ValueError("build_triage needs stores or a DynamoDB client")
        stores = dynamo_stores(client=client, settings=settings)
    directory = resolve_config_dir(config_dir)
    feeds_file = directory / "status_feeds.yaml"
    feeds = None
    if feeds_file.exists():
        feeds = load_status_feeds(feeds_file, urls=status_feed_urls)
    elif status_feed_urls:
        feeds = feeds_from_urls(status_feed_urls)
    status_feed = StatusFeedReader(feeds, client=http_client, clock=clock) if feeds and feeds.feeds else None
    return Triage(
        incidents=stores.incidents,
        correlation=stores.correlation,
        digest=stores.digest,
        calendar=MaintenanceCalendar.load(directory / "maintenance.yaml"),
        routing=Routing.load(directory / "owners.yaml"),
        status_feed=status_feed,
        policy=policy or TriagePolicy.from_settings(settings),
        clock=clock,
        tags_for=tags_for,
    )
