from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from fivetran_recovery.models.webhook import (
    EVENT_DATA_MODELS,
    KNOWN_EVENT_TYPES,
    ConnectionTestData,
    DbtRunData,
    EventType,
    ResyncTableData,
    SyncEndData,
    WebhookEvent,
)

EVENTS = Path(__file__).resolve().parents[2] / "events" / "fivetran"


def load(name: str) -> WebhookEvent:
    return WebhookEvent.model_validate_json((EVENTS / f"{name}.json").read_bytes())


def test_given_every_documented_type_when_listed_then_it_has_a_data_model_and_a_sample() -> None:
    assert set(EVENT_DATA_MODELS) == KNOWN_EVENT_TYPES
    sampled = {json.loads(path.read_bytes())["event"] for path in EVENTS.glob("*.json")}
    assert sampled >= KNOWN_EVENT_TYPES


def test_given_live_capture_when_parsed_then_connector_names_map_to_connection_fields() -> None:
    event = load("sync_end_successful")
    assert event.connection_id == "assimilate_seem" and event.connection_name == "ftar_pg"
    assert event.destination_group_id == "inappropriate_implode"
    assert event.created == datetime(2026, 5, 22, 0, 6, 8, 638000, tzinfo=UTC)
    assert event.status == "SUCCESSFUL" and not event.is_failure and not event.is_test
    assert event.to_message()["connection_id"] == "assimilate_seem"


def test_given_connection_names_and_legacy_group_id_when_parsed_then_same_fields() -> None:
    event = WebhookEvent.model_validate(
        {
            "event": "sync_start",
            "created": "2026-01-01T00:00:00Z",
            "connection_id": "c1",
            "connection_name": "n",
            "group_id": "g1",
            "future_field": {"x": 1},
        }
    )
    assert (event.connection_id, event.connection_name, event.destination_group_id) == ("c1", "n", "g1")
    assert event.to_message()["future_field"] == {"x": 1}  # unknown fields are kept


def test_given_failure_with_task_when_parsed_then_camel_case_data_exposed() -> None:
    event = load("sync_end_failure_with_task_reconnect")
    assert isinstance(event.typed_data, SyncEndData)
    assert event.sync_end.task_type == "reconnect" and event.sync_end.is_failure and event.is_failure
    assert "too many connections" in event.sync_end.reason


def test_given_rescheduled_when_parsed_then_not_a_failure_and_time_parsed() -> None:
    event = load("sync_end_rescheduled")
    assert event.sync_end.rescheduled_at == datetime(2026, 5, 22, 12, 45, tzinfo=UTC)
    assert not event.is_failure


@pytest.mark.parametrize("name", ["sync_end_canceled", "sync_end_successful"])
def test_given_non_failure_statuses_when_parsed_then_not_failure(name: str) -> None:
    assert not load(name).is_failure


def test_given_other_event_types_when_parsed_then_typed_data_fits() -> None:
    assert isinstance(load("connection_failure").typed_data, ConnectionTestData)
    assert load("connection_failure").is_failure
    table = load("resync_table").typed_data
    assert isinstance(table, ResyncTableData) and (table.schema_name, table.table) == ("mysql_prod", "orders")
    dbt = load("dbt_run_failed")
    assert isinstance(dbt.typed_data, DbtRunData) and dbt.typed_data.dbt_job_id == "lyre_stolen"
    assert dbt.connection_id is None and dbt.is_transformation_failure and not dbt.is_failure


def test_given_test_delivery_when_parsed_then_recognised() -> None:
    event = load("test_delivery")
    assert event.is_test and event.data is None and event.sync_id is None


def test_given_unknown_type_when_parsed_then_valid_but_not_known() -> None:
    event = load("unknown_event_type")
    assert not event.is_known_type and event.typed_data is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"created": "2026-01-01T00:00:00Z"}, "event"),
        ({"event": "sync_end"}, "created"),
        ({"event": "sync_end", "created": "yesterday"}, "created"),
        ({"event": "", "created": "2026-01-01T00:00:00Z"}, "event"),
        ({"event": "sync_end", "created": "2026-01-01T00:00:00Z", "data": []}, "data"),
        ({"event": "sync_end", "created": "2026-01-01T00:00:00Z", "data": {"status": 3}}, "status"),
        ({"event": "sync_end", "created": "2026-01-01T00:00:00Z", "data": {"rescheduledAt": "soon"}}, "rescheduledAt"),
        ({"event": "dbt_run_failed", "created": "2026-01-01T00:00:00Z", "data": {"result": 5}}, "result"),
        ({"event": "sync_end", "created": "2026-01-01T00:00:00Z", "connector_id": 7}, "connector_id"),
    ],
)
def test_given_invalid_payload_when_validated_then_error_names_the_field(payload: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookEvent.model_validate(payload)
    assert field in str(caught.value)


def test_given_redelivery_when_keyed_then_same_key_and_other_events_differ() -> None:
    raw = (EVENTS / "sync_end_failure_with_task_reconnect.json").read_bytes()
    first, again = WebhookEvent.model_validate_json(raw), WebhookEvent.model_validate_json(raw)
    assert first.event_key == again.event_key and len(first.event_key) == 40
    keys = {WebhookEvent.model_validate_json(path.read_bytes()).event_key for path in EVENTS.glob("*.json")}
    assert len(keys) == len(list(EVENTS.glob("*.json")))


def test_given_two_dbt_jobs_ending_in_same_millisecond_when_keyed_then_distinct() -> None:
    base = {"event": EventType.DBT_RUN_FAILED, "created": "2026-01-01T00:00:00.000Z", "destination_group_id": "g"}
    one = WebhookEvent.model_validate({**base, "data": {"dbtJobId": "a"}})
    two = WebhookEvent.model_validate({**base, "data": {"dbtJobId": "b"}})
    assert one.event_key != two.event_key
