"""The diagnose input shapes: webhook payloads, LOG rows, {id, message}; bad lines name their problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fivetran_recovery.rca.inputs import InputError, parse_line

DATA = Path(__file__).parent / "data"


def test_given_a_failing_webhook_when_parsed_then_reason_status_and_task_type_are_read():
    item = parse_line((DATA / "log_event_sync_end_failure_with_task.json").read_text())

    assert item.kind == "webhook"
    assert item.is_failure
    assert item.status == "FAILURE_WITH_TASK"
    assert item.task_type == "reconnect_warehouse"
    assert "innodb_buffer_pool_size" in item.message
    assert item.id == "b4hyg080-a5c0-4qa3-a4f3-12eef82wqw9"


def test_given_a_double_encoded_log_row_when_parsed_then_the_reason_is_found():
    row = {
        "id": "r1",
        "time_stamp": "2026-01-01 00:00:00",
        "connection_id": "c1",
        "event": "SEVERE",
        "message_event": "sync_end",
        "message_data": json.dumps(json.dumps({"status": "FAILURE", "reason": "Read timed out"})),
    }

    item = parse_line(json.dumps(row))

    assert (item.kind, item.id, item.status, item.message, item.is_failure) == (
        "log_row",
        "r1",
        "FAILURE",
        "Read timed out",
        True,
    )


def test_given_an_info_log_row_when_parsed_then_it_is_not_a_failure():
    row = {"id": "r2", "event": "INFO", "message_event": "api_call", "message_data": '{"method":"GET"}'}

    assert parse_line(json.dumps(row)).is_failure is False


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"foo": 1}', "unrecognised object"),
        ('{"id": "a", "message": ""}', "non-empty string"),
        ('{"message": "boom"}', "'id' is required"),
        ('{"event": "sync_end", "created": "not a date"}', "invalid webhook payload"),
        ('{"message_event": "sync_end", "message_data": "{}"}', "without 'id'"),
        ('{"id": "x", "message_event": "sync_end", "message_data": "[1]"}', "not a JSON object"),
    ],
)
def test_given_a_bad_line_when_parsed_then_the_error_names_the_problem(line, problem):
    with pytest.raises(InputError, match=problem):
        parse_line(line)
