"""The simulated fleet: destination groups, connections with their state, and their API representation.

The default fleet is deterministic (fixed ids, services, schedules, schemas) so tests and drills can name
connections. `SCENARIO_HOMES` says which connection each failure scenario fits best (its error text comes from
that kind of source or destination).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local.simulator.scenarios import Scenario


@dataclass
class Group:
    id: str
    name: str
    destination: str  # snowflake | bigquery | clickhouse ...


@dataclass
class SyncRun:
    sync_id: str
    started_at: datetime
    ends_at: datetime
    trigger: str  # schedule | manual | force | resync | resume
    historical: bool = False
    cancel_reason: str | None = None


@dataclass
class SimConnection:
    id: str
    group_id: str
    service: str
    schema: str
    base_duration: float  # seconds of a normal incremental sync
    created_at: datetime
    tables: dict[str, dict[str, list[str]]]  # schema -> table -> columns (first column is the primary key)
    sync_frequency: int = 360
    schedule_type: str = "auto"
    daily_sync_time: str | None = None
    paused: bool = False
    connected_by: str = "sim_operator"
    succeeded_at: datetime | None = None
    failed_at: datetime | None = None
    setup_state: str = "connected"
    sync_state: str = "scheduled"
    update_state: str = "on_schedule"
    is_historical_sync: bool = False
    rescheduled_for: datetime | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    setup_tests: list[dict[str, Any]] = field(default_factory=list)
    schema_config: dict[str, Any] = field(default_factory=dict)
    next_sync_at: datetime | None = None
    last_started_at: datetime | None = None
    current: SyncRun | None = None
    pending: str | None = None  # "sync" | "resync" waiting for the running sync to end or for resume
    historical_next: bool = False
    scenario: Scenario | None = None
    connect_card: dict[str, Any] | None = None
    connect_card_config: dict[str, Any] | None = None
    sync_count: int = 0
    data_delay_sensitivity: str = "NORMAL"
    data_delay_threshold: int = 0
    pause_after_trial: bool = False
    paused_by: str | None = None  # "Fivetran" when Fivetran paused it itself (broken, trial expired)
    edited_columns: set[tuple[str, str, str]] = field(default_factory=set)  # columns a PATCH set explicitly
    history: list[Any] = field(default_factory=list)  # history.SyncRecord, oldest first


SERVICE_CONFIG: dict[str, dict[str, Any]] = {
    "postgres": {"host": "pg.internal.example", "port": 5432, "user": "fivetran", "password": "******"},
    "mysql": {"host": "mysql.internal.example", "port": 3306, "user": "fivetran", "password": "******"},
    "salesforce": {"domain": "login.salesforce.com", "is_sandbox": False},
    "hubspot": {"access_token": "******"},
    "google_sheets": {"sheet_id": "https://docs.google.com/spreadsheets/d/sim", "named_range": "finance_plan"},
    "iterable": {"api_key": "******"},
    "stripe": {"api_key": "******"},
}

# Per-service features (the definitions: table re-sync "only for connectors supporting table-level re-sync",
# `supports_columns_config`). Which real connector lacks which is not listed anywhere public; Google Sheets has
# no table-level re-sync and no column config in the simulated fleet (the example), the rest have both.
SERVICE_FEATURES: dict[str, dict[str, bool]] = {
    "google_sheets": {"table_resync": False, "columns_config": False},
}
DEFAULT_FEATURES = {"table_resync": True, "columns_config": True}
DATABASES = ("postgres", "mysql")


def features(service: str) -> dict[str, bool]:
    return {**DEFAULT_FEATURES, **SERVICE_FEATURES.get(service, {})}


def destination_name(name: str) -> str:
    """Fivetran's destination naming: snake_case, lower case (`StageName` -> `stage_name`)."""
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index and (name[index - 1].islower() or name[index - 1].isdigit()):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def destination_schema(service: str, connection_schema: str, source_schema: str) -> str:
    """Database connectors write each source schema to `<connection schema prefix>_<source schema>`; the others
    write to the connection's schema (FACTS.md: `name_in_destination`)."""
    if service in DATABASES:
        return f"{connection_schema}_{destination_name(source_schema)}"
    return connection_schema.split(".")[0]  # file/sheet connectors name "schema.table" (google_sheets.finance_plan)

# id, service, schema, group, sync_frequency (min), schedule_type, daily_sync_time, base duration (s), tables
_DEFAULT_CONNECTIONS: list[tuple[str, str, str, str, int, str, str | None, float, dict[str, dict[str, list[str]]]]] = [
    (
        "vivid_lantern",
        "postgres",
        "postgres_prod",
        "warehouse_snowflake",
        15,
        "auto",
        None,
        180.0,
        {"public": {"orders": ["id", "customer_id", "amount", "updated_at"], "customers": ["id", "email", "region"]}},
    ),
    (
        "quiet_harbor",
        "mysql",
        "mysql_billing",
        "warehouse_snowflake",
        60,
        "auto",
        None,
        150.0,
        {
            "billing": {
                "invoices": ["id", "account_id", "total", "issued_at"],
                "payments": ["id", "invoice_id", "paid_at"],
            }
        },
    ),
    (
        "amber_falcon",
        "salesforce",
        "salesforce",
        "warehouse_snowflake",
        60,
        "auto",
        None,
        300.0,
        {"salesforce": {"Account": ["Id", "Name", "Industry"], "Opportunity": ["Id", "AccountId", "StageName"]}},
    ),
    (
        "copper_kite",
        "stripe",
        "stripe",
        "warehouse_snowflake",
        60,
        "manual",
        None,
        120.0,
        {"stripe": {"charge": ["id", "amount", "created"], "customer": ["id", "email"]}},
    ),
    (
        "silver_meadow",
        "hubspot",
        "hubspot",
        "warehouse_bigquery",
        360,
        "auto",
        None,
        240.0,
        {"hubspot": {"contact": ["id", "email", "lifecyclestage"], "deal": ["deal_id", "amount", "dealstage"]}},
    ),
    (
        "paper_comet",
        "google_sheets",
        "google_sheets.finance_plan",
        "warehouse_bigquery",
        1440,
        "auto",
        "03:00",
        45.0,
        {"google_sheets": {"finance_plan": ["_row", "month", "budget"]}},
    ),
    (
        "brisk_otter",
        "iterable",
        "iterable",
        "warehouse_bigquery",
        30,
        "auto",
        None,
        200.0,
        {"iterable": {"event": ["id", "email", "event_name"], "campaign": ["id", "name"]}},
    ),
    (
        "lunar_pebble",
        "postgres",
        "events_pg",
        "warehouse_clickhouse",
        5,
        "auto",
        None,
        90.0,
        {"events": {"page_view": ["id", "session_id", "url", "viewed_at"]}},
    ),
]

DEFAULT_GROUPS = [
    Group("warehouse_snowflake", "Snowflake Prod", "snowflake"),
    Group("warehouse_bigquery", "BigQuery Analytics", "bigquery"),
    Group("warehouse_clickhouse", "ClickHouse Events", "clickhouse"),
]

SCENARIO_HOMES = {
    "transient_network_blip": "quiet_harbor",
    "rate_limit": "brisk_otter",
    "oauth_expired": "amber_falcon",
    "schema_change_non_breaking": "silver_meadow",
    "schema_change_breaking": "lunar_pebble",
    "warehouse_suspended": "vivid_lantern",
    "duplicate_primary_key": "vivid_lantern",
    "broken_setup": "quiet_harbor",
    "latency_creep": "vivid_lantern",
    "fivetran_paused": "quiet_harbor",
}


SYSTEM_COLUMN = {
    "allowed": False,
    "reason_code": "SYSTEM_COLUMN",
    "reason": "The column does not support exclusion as it is a Primary Key",
}
ALLOWED = {"allowed": True, "reason_code": None, "reason": None}


def schema_config_for(
    tables: dict[str, dict[str, list[str]]], *, service: str = "postgres", connection_schema: str | None = None
) -> dict[str, Any]:
    """The full schema config (every column) in the definitions' shape; the first column of each table is its
    primary key. The API omits unedited columns from it (schemas.py); the columns endpoint lists them all."""
    columns_config = features(service)["columns_config"]
    schemas: dict[str, Any] = {}
    for schema, table_map in tables.items():
        table_configs: dict[str, Any] = {}
        for table, columns in table_map.items():
            column_configs = {}
            for index, column in enumerate(columns):
                column_configs[column] = {
                    "enabled": True,
                    "hashed": False,
                    "name_in_destination": destination_name(column),
                    "is_primary_key": index == 0,
                    "enabled_patch_settings": dict(SYSTEM_COLUMN if index == 0 else ALLOWED),
                }
            table_configs[table] = {
                "enabled": True,
                "name_in_destination": destination_name(table),
                "sync_mode": "SOFT_DELETE",
                "supports_columns_config": columns_config,
                "enabled_patch_settings": dict(ALLOWED),
                "columns": column_configs,
            }
        name = destination_schema(service, connection_schema, schema) if connection_schema else schema
        schemas[schema] = {"enabled": True, "name_in_destination": name, "tables": table_configs}
    return {"schema_change_handling": "ALLOW_COLUMNS", "schemas": schemas, "enable_new_by_default": False}


def default_fleet(start: datetime) -> tuple[list[Group], list[SimConnection]]:
    """The deterministic default fleet: 8 connections of 7 services across 3 destination groups.

    Each connection last succeeded one interval ago and its next sync is staggered over the first minutes."""
    connections = []
    for index, (cid, service, schema, group, freq, stype, daily, duration, tables) in enumerate(_DEFAULT_CONNECTIONS):
        connection = SimConnection(
            id=cid,
            group_id=group,
            service=service,
            schema=schema,
            base_duration=duration,
            created_at=start - timedelta(days=90 + index),
            tables=copy.deepcopy(tables),
            sync_frequency=freq,
            schedule_type=stype,
            daily_sync_time=daily,
            succeeded_at=start - timedelta(minutes=freq) + timedelta(seconds=duration),
        )
        connection.last_started_at = start - timedelta(minutes=freq)
        connection.schema_config = schema_config_for(tables, service=service, connection_schema=schema)
        connection.setup_tests = passing_setup_tests(service)
        if stype == "auto":
            connection.next_sync_at = start + timedelta(seconds=60 * (index + 1))
        connections.append(connection)
    return list(DEFAULT_GROUPS), connections


def passing_setup_tests(service: str) -> list[dict[str, Any]]:
    if service in DATABASES:
        titles = ["Connecting to SSH tunnel", "Connecting to database", "Checking replication configuration"]
    else:
        titles = ["Validate Login", "Validate Permissions"]
    return [{"title": t, "status": "PASSED", "message": "", "details": None} for t in titles]


def iso(value: datetime | None) -> str | None:
    """Fivetran's REST timestamps: microseconds and a Z suffix (e.g. 2024-12-01T15:43:29.013729Z)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def render_connection(connection: SimConnection) -> dict[str, Any]:
    """The connection object exactly in the collection's shape (every key, null where not applicable)."""
    return {
        "id": connection.id,
        "group_id": connection.group_id,
        "service": connection.service,
        "service_version": 1,
        "schema": connection.schema,
        "connected_by": connection.connected_by,
        "created_at": iso(connection.created_at),
        "succeeded_at": iso(connection.succeeded_at),
        "failed_at": iso(connection.failed_at),
        "paused": connection.paused,
        "pause_after_trial": connection.pause_after_trial,
        "sync_frequency": connection.sync_frequency,
        "daily_sync_time": connection.daily_sync_time,
        "schedule_type": connection.schedule_type,
        "data_delay_sensitivity": connection.data_delay_sensitivity,
        "data_delay_threshold": connection.data_delay_threshold,
        "status": {
            "setup_state": connection.setup_state,
            "schema_status": "ready",
            "sync_state": connection.sync_state,
            "update_state": connection.update_state,
            "is_historical_sync": connection.is_historical_sync,
            "rescheduled_for": iso(connection.rescheduled_for),
            "tasks": copy.deepcopy(connection.tasks),
            "warnings": copy.deepcopy(connection.warnings),
        },
        "setup_tests": copy.deepcopy(connection.setup_tests),
        "config": dict(SERVICE_CONFIG.get(connection.service, {})),
        "source_sync_details": {},
        "networking_method": "Directly",
        "private_link_id": None,
        "proxy_agent_id": None,
        "local_processing_agent_id": None,
        "hybrid_deployment_agent_id": None,
        "connect_card": copy.deepcopy(connection.connect_card),
        "connect_card_config": copy.deepcopy(connection.connect_card_config),
    }
