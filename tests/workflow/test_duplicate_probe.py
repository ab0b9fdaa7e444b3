"""Fivetran's duplicate-row error names no table: remediate asks the destination which table holds duplicate
keys (schema config names and keys only), and the approval shows that script with its preview."""

from __future__ import annotations

import json

from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from local.defaults import LOCAL_APPROVER_TOKEN

AUTH = {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}


def test_given_a_duplicate_row_error_naming_no_table_when_the_destination_is_probed_then_deduped(harness) -> None:
    from local.warehouse import EmbeddedWarehouse

    warehouse = EmbeddedWarehouse()
    warehouse.create_from_schema_config(harness.sim.source_schema_config("vivid_lantern"))
    warehouse.seed_duplicates("postgres_prod_public", "orders", keys=4, copies=2)
    harness.adapters.override(warehouse=warehouse.adapter())
    harness.adapters.config = harness.adapters.config.model_copy(update={"warehouse_dialect": "duckdb"})
    harness.after_sql = lambda: harness.sim.clear("vivid_lantern")
    event = harness.fail("vivid_lantern", "duplicate_primary_key")
    assert "orders" not in event["data"]["reason"]  # "Duplicate row detected during DML action"
    workflow = harness.start(
        incident_id="inc-probe", connection_id="vivid_lantern", event=event,
        diagnosis=Diagnosis(category="data_quality", pattern="duplicate_primary_key", retryable=False,
                            confidence=0.9, evidence=[Evidence(source="webhook.reason", detail=event["data"]["reason"])]),
    )
    assert workflow["plan"]["steps"][0]["unresolved"]  # the plan alone cannot know the table
    approval_id = harness.wait_for_approval("inc-probe")
    shown = json.loads(harness.http("approve", "GET", f"/approvals/{approval_id}", headers=AUTH)["body"])
    lines = "\n".join(shown["planned_actions"])
    assert "duplicate_rows=4" in lines and '"postgres_prod_public"."orders"' in lines  # the probed script, previewed
    assert "UNRESOLVED" not in lines and shown["unresolved_steps"] == []
    decided = harness.http("approve", "POST", f"/approvals/{approval_id}/decision", headers=AUTH,
                           body=json.dumps({"decision": "approve"}))
    assert decided["statusCode"] == 200
    result = harness.wait("inc-probe")
    assert result["status"] == "SUCCEEDED", harness.errors("inc-probe")
    assert warehouse.duplicate_keys("postgres_prod_public", "orders") == 0
    started = next(r for r in harness.adapters.audit.for_incident("inc-probe") if r.kind == "workflow_started")
    assert started.detail["probed_steps"] == ["0"]
