"""A draft from Claude (the loopback fake of the Messages API, through the real anthropic client): the request
carries only structured facts and forces the tool; the SQL answered is held to the draft rules like any other."""

from __future__ import annotations

import anthropic
import duckdb
import pytest

from fivetran_recovery.recovery_sql import TableRef
from fivetran_recovery.recovery_sql.drafts import DraftRejected, check_draft, copy_tables
from fivetran_recovery.recovery_sql.llm_draft import DraftUnavailable, build_draft_request, request_draft
from fivetran_recovery.recovery_sql.warehouse import DuckDBWarehouse
from local.fake_anthropic import Behaviour, FakeAnthropic
from local.warehouse import SYSTEM_COLUMNS, EmbeddedWarehouse
from local.warehouse_seed import ORDERS, orders_table

T = TableRef("public", "orders")


@pytest.fixture
def fake():
    with FakeAnthropic() as server:
        yield server


def client(fake) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="local-fake-anthropic-key", base_url=fake.base_url, max_retries=0)


def request() -> dict:
    return build_draft_request(model="claude-test", dialect="snowflake", category="data_quality",
                               pattern="orphan_rows", tables={T: {**ORDERS, **SYSTEM_COLUMNS}}, keys={T: ["id"]})


def copy_of_orders():
    source = EmbeddedWarehouse()
    orders_table(source, rows=10)
    copy = DuckDBWarehouse(connection=duckdb.connect())
    copy_tables(source.adapter(), {T: {**ORDERS, **SYSTEM_COLUMNS}}, "duckdb", copy)
    return copy


def test_given_the_request_then_only_structured_facts_and_a_forced_tool() -> None:
    built = request()
    assert built["tool_choice"] == {"type": "tool", "name": "propose_recovery_sql"}
    facts = built["messages"][0]["content"]
    assert '"name": "public.orders"' in facts and '"primary_key"' in facts and "orphan_rows" in facts


def test_given_a_sound_answer_then_accepted_as_a_draft(fake) -> None:
    fake.enqueue(Behaviour.tool_use({"sql": "DELETE FROM public.orders WHERE amount IS NULL OR region = 'eu'",
                                     "explanation": "remove the orphaned eu rows"}))
    sql, why = request_draft(client(fake), request())
    checked = check_draft(sql, "snowflake", [T], copy_of_orders(), token="llm-1")
    assert checked.script.draft and checked.rows_after == 5 and why.startswith("remove")


def test_given_an_answer_reaching_outside_the_incident_then_rejected(fake) -> None:
    fake.enqueue(Behaviour.tool_use({"sql": "DELETE FROM finance.salaries WHERE TRUE", "explanation": "x"}))
    sql, _ = request_draft(client(fake), request())
    with pytest.raises(DraftRejected, match="outside the incident"):
        check_draft(sql, "snowflake", [T], copy_of_orders(), token="llm-2")


def test_given_no_tool_call_or_an_api_error_then_no_draft(fake) -> None:
    fake.enqueue(Behaviour.text_only("just delete the bad rows"), Behaviour.error(500))
    with pytest.raises(DraftUnavailable, match="no tool call"):
        request_draft(client(fake), request())
    with pytest.raises(DraftUnavailable, match="failed"):
        request_draft(client(fake), request())
