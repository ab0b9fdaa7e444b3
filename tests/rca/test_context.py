"""Context gathering: every piece tagged with its source, bounded, redacted; failures recorded, not raised."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.rca import gather_context
from fivetran_recovery.rca.context import describe_history, describe_schema_diff

DATA = Path(__file__).parent / "data"
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fivetran" / "fixtures"


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _event(**data_overrides) -> WebhookEvent:
    raw = _json(DATA / "log_event_sync_end_failure_with_task.json")
    raw["data"].update(data_overrides)
    return WebhookEvent.model_validate(raw)


class FakeFivetran:
    """The duck-typed client protocol, answering with Fivetran SDK fixtures; records calls."""

    def __init__(self, *, setup_state: str = "broken", fail: set[str] | None = None):
        self.calls: list[str] = []
        self.fail = fail or set()
        self.connection = _json(FIXTURES / "connection_details_broken_reconnect_task.data.json")
        self.connection["status"]["setup_state"] = setup_state
        self.connection["config"]["password"] = "ConfigCanaryPw"  # must never reach the context
        self.schema = _json(FIXTURES / "connection_schema_config_response.json")
        self.tests = _json(FIXTURES / "connection_setup_tests_failed.json")

    def _call(self, name: str, value):
        self.calls.append(name)
        if name in self.fail:
            raise RuntimeError(f"{name} failed: token=FailCanaryToken")
        return value

    def get_connection(self, connection_id: str):
        return self._call("get_connection", self.connection)

    def get_schema_config(self, connection_id: str):
        return self._call("get_schema_config", self.schema)

    def run_setup_tests(self, connection_id: str):
        return self._call("run_setup_tests", self.tests)


def test_given_a_broken_connection_when_gathering_then_each_piece_is_tagged_and_setup_tests_run():
    fivetran = FakeFivetran(setup_state="broken")

    context = gather_context(_event(), fivetran=fivetran, history=[{"data": {"status": "FAILURE"}}])

    assert context.sources() == [
        "webhook",
        "fivetran.connection",
        "fivetran.setup_tests",
        "fivetran.schema_config",
        "history",
    ]
    assert [p.id for p in context.pieces] == ["E1", "E2", "E3", "E4", "E5"]
    assert "run_setup_tests" in fivetran.calls
    assert "reconnect_warehouse" in context.piece("E1").content
    assert "setup_state: broken" in context.piece("E2").content
    assert "FAILED: Validate Login" in context.piece("E3").content
    assert context.task_type == "reconnect_warehouse"
    assert context.errors == []


def test_given_a_connected_connection_when_gathering_then_setup_tests_are_not_run():
    fivetran = FakeFivetran(setup_state="connected")

    context = gather_context(_event(), fivetran=fivetran)

    assert "run_setup_tests" not in fivetran.calls
    assert "fivetran.setup_tests" not in context.sources()


def test_given_a_failing_api_call_when_gathering_then_the_error_is_recorded_and_the_rest_gathered():
    fivetran = FakeFivetran(fail={"get_schema_config"})

    context = gather_context(_event(), fivetran=fivetran)

    assert [e.source for e in context.errors] == ["fivetran.schema_config"]
    assert "RuntimeError" in context.errors[0].error
    assert "FailCanaryToken" not in context.errors[0].error
    assert "fivetran.connection" in context.sources()


def test_given_secrets_in_the_event_and_config_when_gathering_then_none_reach_the_context():
    event = _event(reason="login failed for postgres://fivetran:ReasonCanaryPw@db.example.com/prod by ops@example.com")

    context = gather_context(event, fivetran=FakeFivetran())

    dumped = context.model_dump_json()
    for canary in ("ReasonCanaryPw", "ConfigCanaryPw", "ops@example.com"):
        assert canary not in dumped


def test_given_a_tight_budget_when_gathering_then_the_total_is_bounded_and_the_event_kept():
    history = [
        {"created": f"2026-01-0{i % 9 + 1}", "data": {"status": "FAILURE", "reason": "x" * 300}} for i in range(20)
    ]

    context = gather_context(_event(), fivetran=FakeFivetran(), history=history, max_chars=1200)

    assert context.total_chars <= 1200
    assert context.pieces[0].source == "webhook"
    assert any(p.truncated for p in context.pieces) or len(context.pieces) < 5


def test_given_a_budget_below_the_minimum_when_gathering_then_it_is_refused():
    with pytest.raises(ValueError, match="max_chars"):
        gather_context(_event(), max_chars=10)


def test_given_a_previous_schema_when_gathering_then_the_difference_is_a_piece():
    fivetran = FakeFivetran(setup_state="connected")
    previous = copy.deepcopy(fivetran.schema)
    schema = fivetran.schema.get("data", fivetran.schema)
    schema_name = next(iter(schema["schemas"]))
    table_name = next(iter(schema["schemas"][schema_name]["tables"]))
    schema["schemas"][schema_name]["tables"][table_name].setdefault("columns", {})["new_col"] = {"enabled": True}

    context = gather_context(_event(), fivetran=fivetran, previous_schema=previous)

    diff = next(p for p in context.pieces if p.source == "schema.diff")
    assert f"column added: {schema_name}.{table_name}.new_col" in diff.content


def test_given_identical_schemas_when_diffing_then_no_difference_is_reported():
    schema = {"schema_change_handling": "ALLOW_ALL", "schemas": {"s": {"tables": {"t": {"enabled": True}}}}}

    assert describe_schema_diff(schema, schema) == "no difference from the last good schema snapshot"


def test_given_platform_connector_log_rows_when_describing_history_then_outcomes_and_reasons_are_listed():
    rows = [
        {
            "time_stamp": "2026-01-01 10:00",
            "event": "INFO",
            "message_event": "sync_end",
            "message_data": json.dumps({"status": "SUCCESSFUL"}),
        },
        {
            "time_stamp": "2026-01-01 16:00",
            "event": "SEVERE",
            "message_event": "sync_end",
            "message_data": json.dumps(json.dumps({"status": "FAILURE", "reason": "Read timed out"})),
        },
    ]

    text = describe_history(rows)

    assert "1 failures" in text
    assert "SUCCESSFUL, FAILURE" in text
    assert "Read timed out" in text
