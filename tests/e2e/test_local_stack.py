"""End to end through the local stack: a failure webhook in, a verified remediation and an audit trail out."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from local.demo import play_demo
from local.drill import steps
from local.drill.all import all_scenarios
from local.drill.runner import run_scenario
from local.simulator import SCENARIO_HOMES
from local.stack import LocalStack, StackOptions

pytestmark = pytest.mark.e2e


def test_given_failure_webhook_when_stack_runs_then_remediated_verified_and_audited_with_before_and_after():
    out = io.StringIO()
    with LocalStack(StackOptions()) as stack:
        assert play_demo(stack, out=out), out.getvalue()
        connection = SCENARIO_HOMES["schema_change_non_breaking"]
        delivered = steps.failure_delivered_at(stack, connection)
        assert delivered is not None, "the failure webhook went through the gateway and ingest"
        assert stack.poller.stats.received >= 1 and stack.poller.stats.handler_errors == 0
        calls = [f"{c['method']} {c['path']}" for c in steps.write_calls(stack, connection)]
        assert f"POST /v1/connections/{connection}/schemas/reload" in calls
        records = sorted((r for r in steps.audit_records(stack) if r["chain_id"] == connection),
                         key=lambda r: r["seq"])
        kinds = [r["kind"] for r in records]
        assert kinds[0] == "diagnosis" and "action" in kinds and "verification" in kinds
        actions = [json.loads(r["detail_json"]) for r in records if r["kind"] == "action"]
        assert all("before" in a and "after" in a for a in actions)
        from fivetran_recovery.composition import Adapters

        audit = Adapters().audit
        assert audit.verify_chain(connection).ok
        assert all(r.get("signature") for r in records)  # the stack's functions signed with the template's key
        # An insider deletes the newest record: the anchor in the Object Lock bucket reports the truncation.
        audit._table.delete_item(Key={"chain_id": connection, "seq": records[-1]["seq"]})
        check = audit.verify_chain(connection)
        assert not check.ok and "truncated" in check.reason
    assert "verify: workflow SUCCEEDED" in out.getvalue()


def test_given_stack_when_predict_runs_on_its_schedule_then_every_connection_is_scored():
    with LocalStack(StackOptions()) as stack:
        before = list(stack.table_items("IncidentsTable"))
        # the warehouse's query history (DuckDB locally: query_times) says one connection is read daily at 09:05
        read = stack.simulator.connection_ids[0]
        today = stack.simulator.now().replace(hour=9, minute=5, second=0, microsecond=0)
        stack.warehouse.create_query_times([(read, today - timedelta(days=d)) for d in range(1, 14)])
        result = stack.lambdas.invoke("PredictFunction", {"source": "aws.scheduler"})
        assert result["assessed"] == len(stack.simulator.connection_ids)
        # cost-aware recommendations only where reads were seen, each through the policy gate
        assert {r["connection_id"] for r in result["schedule_recommendations"]} <= {read}
        print("schedule recommendations:", result["schedule_recommendations"])
        items = stack.table_items("IncidentsTable")
        risks = [i for i in items if str(i["pk"]).startswith("RISK#")]
        assert len(risks) == len(stack.simulator.connection_ids)
        # what predict wrote stays inside its IAM grant (template: dynamodb:LeadingKeys RISK#*, ATRISK#*, INC#atrisk-*, INC#schedule-*); the
        # local stack does not enforce IAM, so this is where a write outside the grant would show
        written = [i for i in items if i not in before]
        assert written and all(str(i["pk"]).startswith(("RISK#", "ATRISK#", "INC#atrisk-", "INC#schedule-")) for i in written)


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.name)
def test_given_drill_scenario_when_played_through_the_stack_then_it_passes(scenario):
    result = run_scenario(scenario)
    assert result.passed, result.model_dump_json(indent=2)


def test_given_drill_cli_with_json_when_run_then_one_document_with_the_contract_fields():
    completed = subprocess.run(
        [sys.executable, "-m", "local.cli", "drill", "--json", "--only", "rate_limit"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PORT": "0"},
    )
    document = json.loads(completed.stdout)
    [scenario] = document["scenarios"]
    assert {"scenario", "expected", "outcome", "passed", "seconds_to_remediation", "fivetran_write_calls",
            "llm_calls", "incidents"} <= set(scenario)
    assert completed.returncode == 0 and scenario["passed"]


def test_given_serve_when_demo_requested_then_it_plays_one_failure_and_exits_cleanly():
    completed = subprocess.run(
        [sys.executable, "-m", "local.cli", "serve", "--exit-after-demo"],
        capture_output=True, text=True, timeout=180, env={**os.environ, "PORT": "0"},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "POST http://127.0.0.1:" in completed.stdout and "verify: workflow SUCCEEDED" in completed.stdout
