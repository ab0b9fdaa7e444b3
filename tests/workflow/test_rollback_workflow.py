""""Roll back this action" through the state machine: an approved schema change is put back to the before-state
its audit record holds, and only after a second approval."""

from __future__ import annotations

import json

import pytest

from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from fivetran_recovery.remediation.rollback import NotRevertible
from fivetran_recovery.remediation.rollback_service import RollbackService, sfn_starter
from local.defaults import LOCAL_APPROVER_TOKEN

AUTH = {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}


def approve(harness, incident_id: str, **body) -> None:
    approval_id = harness.wait_for_approval(incident_id)
    decided = harness.http("approve", "POST", f"/approvals/{approval_id}/decision", headers=AUTH,
                           body=json.dumps({"decision": "approve", **body}))
    assert decided["statusCode"] == 200, decided


def test_given_an_applied_schema_change_when_rolled_back_and_approved_then_the_before_state_is_back(harness):
    event = harness.fail("lunar_pebble", "schema_change_breaking")
    harness.start(
        incident_id="inc-rb", connection_id="lunar_pebble", event=event,
        diagnosis=Diagnosis(category="schema_drift", pattern="type_mapping_error", retryable=False, confidence=0.9,
                            evidence=[Evidence(source="webhook.reason", detail=event["data"]["reason"])]),
    )
    approve(harness, "inc-rb", resolve={"exclude_columns": {"events.page_view": ["viewed_at"]}})
    assert harness.wait("inc-rb")["status"] == "SUCCEEDED"
    columns = harness.sim.schema_config("lunar_pebble")["schemas"]["events"]["tables"]["page_view"]["columns"]
    assert columns["viewed_at"]["enabled"] is False

    adapters = harness.adapters
    service = RollbackService(audit=adapters.audit, settings=adapters.settings, config=adapters.config,
                              registry=adapters.registry,
                              start_workflow=sfn_starter(harness.sfn, harness.state_machine_arn))
    candidates = service.candidates("inc-rb")
    schema_change = next(c for c in candidates if c["action"] == "update_schema_config")
    proposed = service.propose("inc-rb", schema_change["seq"])
    with pytest.raises(NotRevertible, match="already proposed by operator"):  # once per action
        service.propose("inc-rb", schema_change["seq"])
    assert any("PATCH /v1/connections/lunar_pebble/schemas" in line for line in proposed["plan"])
    columns = harness.sim.schema_config("lunar_pebble")["schemas"]["events"]["tables"]["page_view"]["columns"]
    assert columns["viewed_at"]["enabled"] is False  # nothing changes before the approval
    approve(harness, proposed["rollback_incident_id"])
    assert harness.wait(proposed["rollback_incident_id"])["status"] == "SUCCEEDED"
    columns = harness.sim.schema_config("lunar_pebble")["schemas"]["events"]["tables"]["page_view"]["columns"]
    assert columns["viewed_at"]["enabled"] is True
    kinds = [r.kind for r in adapters.audit.for_incident("inc-rb")]
    assert "rollback_proposed" in kinds
