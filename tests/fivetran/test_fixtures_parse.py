"""The real payload fixtures (tests/data/fivetran/fixtures, from ../shared/fivetran/fixtures) parse into the
client's models with the values Fivetran put in them."""

from __future__ import annotations

from datetime import UTC, datetime

from fivetran_recovery.fivetran import (
    Connection,
    FivetranError,
    NotFoundError,
    RateLimitedError,
    SchemaConfig,
    Webhook,
)
from fivetran_recovery.fivetran.errors import error_from_response

from .conftest import load_fixture


def test_given_broken_connection_fixture_when_parsed_then_reconnect_task_and_delayed_state() -> None:
    connection = Connection.model_validate(load_fixture("connection_details_broken_reconnect_task.data.json"))
    assert connection.id == "connection_id" and connection.service == "reddit_ads"
    assert connection.schema_ == "adwords_schema"
    assert connection.status.setup_state == "broken" and connection.status.update_state == "delayed"
    assert connection.task_codes == ["reconnect"]
    assert connection.status.warnings[0].code == "warning"
    assert connection.last_sync_at == datetime(2021, 1, 15, 10, 55, 0, 56497, tzinfo=UTC)
    assert connection.model_extra["config"]["password"] == "******"  # unknown fields are kept


def test_given_incomplete_connection_fixture_when_parsed_then_null_timestamps_and_failed_test() -> None:
    body = load_fixture("connection_details_incomplete_failed_setup_test.json")
    connection = Connection.model_validate(body["data"])
    assert connection.succeeded_at is None and connection.failed_at is None and connection.last_sync_at is None
    assert connection.daily_sync_time == "03:00" and connection.sync_frequency == 1440
    assert connection.setup_tests[0].status == "FAILED"
    assert connection.setup_tests[0].message == "Invalid login credentials"


def test_given_setup_tests_fixture_when_parsed_then_details_as_string_and_list() -> None:
    connection = Connection.model_validate(load_fixture("connection_setup_tests_failed.json")["data"])
    assert [t.status for t in connection.setup_tests] == ["FAILED", "FAILED"]
    assert connection.setup_tests[0].details == "Some details about the failure"
    assert connection.setup_tests[1].details == [{"name": "some name", "hash": "abc123="}]


def test_given_list_page_fixture_when_parsed_then_rescheduled_for_and_tasks() -> None:
    data = load_fixture("connections_list_page.json")["data"]
    assert data["next_cursor"] == "cursor_value"
    connection = Connection.model_validate(data["items"][0])
    assert connection.status.rescheduled_for == datetime(2024, 12, 1, 15, 43, 29, 13729, tzinfo=UTC)
    assert connection.task_codes == ["resync_table_warning"]
    assert connection.schedule_type == "auto"


def test_given_schema_fixture_when_parsed_then_tables_columns_and_patch_settings() -> None:
    config = SchemaConfig.model_validate(load_fixture("connection_schema_config_response.json")["data"])
    assert config.schema_change_handling == "BLOCK_ALL"
    table = config.schemas["schema_1"].tables["table_1"]
    assert table.sync_mode == "HISTORY"
    assert table.columns["column_1"].is_primary_key is True
    assert table.columns["column_1"].enabled_patch_settings.reason_code == "SYSTEM_COLUMN"
    assert config.schemas["schema_1"].tables["table_2"].enabled_patch_settings.allowed is False


def test_given_webhook_fixture_when_parsed_then_masked_secret_not_in_repr() -> None:
    webhook = Webhook.model_validate(load_fixture("webhook_create_account_response.docs.json")["data"])
    assert webhook.id == "program_quoth" and webhook.events == ["sync_start", "sync_end"]
    assert webhook.secret == "******" and "******" not in repr(webhook)


def test_given_documented_error_bodies_when_mapped_then_typed_errors() -> None:
    not_found = error_from_response(
        404, load_fixture("error_404_not_found.docs.json"), method="GET", path="connections/abc123"
    )
    assert isinstance(not_found, NotFoundError) and not_found.code == "NotFound_Connector"
    assert "does not exist" in str(not_found)
    limited = error_from_response(
        429, load_fixture("error_429_too_many_requests.docs.json"), method="POST", path="x", retry_after=3600
    )
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 3600
    assert isinstance(limited, FivetranError) and limited.code == "TooManyRequests"
