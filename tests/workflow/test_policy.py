"""Policy and planning: which path, which steps wait for a human, and the exact calls a dry run shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fivetran_recovery.config import RecoveryConfig
from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from fivetran_recovery.playbooks.registry import default_registry
from fivetran_recovery.policy import criticality_from_tags, effective_mode, recent_human_change, resolve
from fivetran_recovery.settings import RolloutMode, Settings
from fivetran_recovery.workflow import build_workflow_input

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONNECTION = {
    "id": "c1",
    "paused": False,
    "schedule_type": "auto",
    "sync_frequency": 60,
    "status": {"setup_state": "connected", "sync_state": "scheduled"},
}
EVENT = {
    "event": "sync_end",
    "created": "2026-03-01T11:59:00.000Z",
    "connector_id": "c1",
    "data": {"status": "FAILURE", "reason": "boom"},
}


def plan(
    playbook_id: str,
    *,
    mode: str = "auto",
    criticality: str = "normal",
    connection=CONNECTION,
    diagnosis: Diagnosis | None = None,
    event=EVENT,
    recent_events=(),
    config=None,
    schema_config=None,
    snapshot=None,
) -> dict:
    diagnosis = diagnosis or Diagnosis(category="network", pattern="x", retryable=True, confidence=0.9)
    return build_workflow_input(
        incident_id="inc-1",
        connection_id="c1",
        diagnosis=diagnosis,
        playbook=default_registry().get(playbook_id),
        mode=mode,
        criticality=criticality,
        connection=connection,
        event=event,
        settings=Settings.from_env({}),
        recent_events=recent_events,
        config=config or RecoveryConfig.from_env({"AUTO_MIN_PRECISION": "0"}),  # the gate: its own tests below
        now=NOW,
        schema_config=schema_config,
        snapshot=snapshot,
    )


def schema(**tables: dict) -> dict:
    """A schema config with schema `sales` and the given tables ({column: is_primary_key})."""
    return {"schema_change_handling": "ALLOW_ALL", "schemas": {"sales": {"enabled": True, "tables": {
        name: {"enabled": True, "columns": {c: {"enabled": True, "is_primary_key": pk} for c, pk in cols.items()}}
        for name, cols in tables.items()}}}}


def test_given_any_plan_then_input_is_json_safe_and_complete() -> None:
    workflow = plan("retry_with_backoff")
    assert json.loads(json.dumps(workflow)) == workflow
    assert {"incident_id", "decision", "plan", "dry_run", "rca", "cursor", "approval"} <= set(workflow)
    assert workflow["cursor"] == {"index": 0} and workflow["approval"] == {"status": "none"}


def test_given_monitor_mode_then_path_monitor_and_nothing_runs() -> None:
    workflow = plan("retry_with_backoff", mode="monitor")
    assert workflow["decision"]["path"] == "monitor"
    assert workflow["plan"]["verification"]["enabled"] is False
    assert 'POST /v1/connections/c1/sync {"force":false}' in "\n".join(workflow["dry_run"])


def test_given_auto_mode_and_low_risk_playbook_then_auto_path_without_approval() -> None:
    workflow = plan("retry_with_backoff")
    assert workflow["decision"]["path"] == "auto"
    assert not any(s["approval_required"] for s in workflow["plan"]["steps"])


def test_given_recommend_mode_then_every_write_waits_for_approval() -> None:
    workflow = plan("retry_with_backoff", mode="recommend")
    assert workflow["decision"]["path"] == "approval"
    writes = [s for s in workflow["plan"]["steps"] if s["writes"]]
    assert writes and all(s["approval_required"] for s in writes)


def test_given_critical_connection_in_auto_mode_then_approval_required() -> None:
    workflow = plan("retry_with_backoff", criticality="critical")
    assert workflow["decision"]["path"] == "approval" and workflow["decision"]["critical"] is True


def test_given_high_risk_playbook_in_auto_mode_then_protective_steps_first_then_approval() -> None:
    diagnosis = Diagnosis(
        category="schema_drift",
        pattern="column_type_change",
        retryable=False,
        confidence=0.9,
        evidence=[Evidence(source="reason", detail="column amount in table sales.orders")],
    )
    before = schema(orders={"id": True, "amount": False, "legacy": False})
    after = schema(orders={"id": True, "amount": False})  # a column gone: a breaking diff
    workflow = plan("schema_change_breaking", diagnosis=diagnosis, schema_config=after, snapshot=before)
    steps = workflow["plan"]["steps"]
    assert workflow["decision"]["approval_step_index"] == 2
    assert [s["approval_required"] for s in steps] == [False, False, True, True]
    assert steps[2]["calls"][0]["body"]["schemas"] == {
        "sales": {"tables": {"orders": {"columns": {"amount": {"enabled": False}}}}}
    }
    assert steps[2]["scope"] == "failure_text"  # the column came from the text: a suggestion, approved by a human
    assert workflow["scope"]["diff"]["kind"] == "breaking"


def test_given_schema_change_without_a_diff_then_no_write_runs_without_approval() -> None:
    diagnosis = Diagnosis(category="schema_drift", pattern="column_type_change", retryable=False, confidence=0.9)
    same = schema(orders={"id": True})
    for snapshot in (None, same):
        workflow = plan("schema_change_breaking", diagnosis=diagnosis, schema_config=same, snapshot=snapshot)
        assert workflow["decision"]["approval_step_index"] == 0  # not even the protective pause
        assert all(s["approval_required"] for s in workflow["plan"]["steps"] if s["writes"])
        assert "escalated to a human" in " ".join(workflow["decision"]["reasons"])


def test_given_text_naming_a_table_then_only_a_table_of_the_schema_and_only_with_approval() -> None:
    diagnosis = Diagnosis(category="schema_drift", pattern="schema_change_during_sync", retryable=False,
                          confidence=0.9, evidence=[Evidence(source="reason", detail="resync table sales.orders "
                                                                                    "and table zz_attacker.x")])
    added = schema(orders={"id": True, "note": False})
    base = schema(orders={"id": True})
    workflow = plan("schema_change_non_breaking", diagnosis=diagnosis, schema_config=base, snapshot=base)
    resync = workflow["plan"]["steps"][1]
    assert resync["calls"][0]["body"] == {"sales": ["orders"]}  # zz_attacker is not in the schema: dropped
    assert resync["scope"] == "failure_text" and resync["approval_required"]
    assert workflow["decision"]["path"] == "approval"
    workflow = plan("schema_change_non_breaking", diagnosis=diagnosis, schema_config=added, snapshot=base)
    assert workflow["decision"]["path"] == "auto"  # a real additive diff: scope from structure, runs alone
    resync = workflow["plan"]["steps"][1]
    assert resync["scope"] == "schema_diff" and resync["calls"][0]["body"] == {"sales": ["orders"]}


def test_given_non_breaking_playbook_but_a_breaking_diff_then_a_human_decides() -> None:
    diagnosis = Diagnosis(category="schema_drift", pattern="schema_change_during_sync", retryable=False,
                          confidence=0.9)
    workflow = plan("schema_change_non_breaking", diagnosis=diagnosis, schema_config=schema(orders={"id": True}),
                    snapshot=schema(orders={"id": True}, refunds={"id": True}))
    assert workflow["decision"]["path"] == "approval"
    assert "breaking change" in " ".join(workflow["decision"]["reasons"])


def test_given_unnamed_column_then_step_unresolved_and_needs_approval() -> None:
    workflow = plan("schema_change_breaking")
    step = workflow["plan"]["steps"][2]
    assert step["unresolved"] and step["approval_required"] and step["calls"] == []
    assert "UNRESOLVED" in workflow["dry_run"][2]


def test_given_unknown_tables_when_table_resync_planned_then_full_resync_needs_approval() -> None:
    workflow = plan("schema_change_non_breaking")
    resync = workflow["plan"]["steps"][1]
    assert resync["action"] == "resync" and resync["risk"] == "high" and resync["approval_required"]
    assert workflow["decision"]["path"] == "approval"


def test_given_user_paused_connection_then_automation_stops_to_monitor() -> None:
    workflow = plan("retry_with_backoff", connection={**CONNECTION, "paused": True})
    assert workflow["decision"]["path"] == "monitor" and workflow["decision"]["blocked_by"] == "human_change"


def test_given_recent_edit_webhook_then_automation_stops() -> None:
    recent = [{"event": "edit_connector", "created": (NOW - timedelta(minutes=5)).isoformat()}]
    workflow = plan("retry_with_backoff", recent_events=recent)
    assert workflow["decision"]["blocked_by"] == "human_change"
    stored = [{"event": "pause_connector", "at": (NOW - timedelta(minutes=1)).isoformat()}]  # a HistoryRecord
    assert plan("retry_with_backoff", recent_events=stored)["decision"]["blocked_by"] == "human_change"
    old = [{"event": "edit_connector", "created": (NOW - timedelta(hours=3)).isoformat()}]
    assert plan("retry_with_backoff", recent_events=old)["decision"]["path"] == "auto"


def test_given_our_own_pause_webhook_then_not_a_human_change() -> None:
    events = [{"event": "pause_connector", "created": NOW.isoformat()}]
    ours = ["pause"]
    assert (
        recent_human_change(
            {"paused": True}, events, now=NOW, window=timedelta(minutes=30), own_actions=ours, we_paused=True
        )
        is None
    )
    assert recent_human_change(None, events, now=NOW, window=timedelta(minutes=30)) is not None
    two = [*events, {"event": "pause_connector", "created": (NOW + timedelta(hours=2)).isoformat()}]  # skewed
    assert recent_human_change(None, two, now=NOW, window=timedelta(minutes=30), own_actions=ours) is not None


def test_given_reauth_playbook_then_human_guard_does_not_apply() -> None:
    # re-authorisation has no "not paused by human" precondition: a paused, broken connection still gets the link
    workflow = plan("reauthorize_credentials", connection={**CONNECTION, "paused": True})
    assert workflow["decision"]["path"] == "auto"


def test_given_rate_limit_then_wait_until_rescheduled_and_manual_only_sync() -> None:
    workflow = plan("wait_out_rate_limit")
    steps = workflow["plan"]["steps"]
    assert steps[0]["action"] == "wait" and steps[0]["calls"] == []
    assert steps[1]["when"] == "schedule_manual"
    assert "only if schedule manual" in workflow["dry_run"][1]


def test_given_duplicate_keys_then_dry_run_shows_the_exact_sql() -> None:
    diagnosis = Diagnosis(
        category="data_quality",
        pattern="duplicate_primary_key",
        retryable=False,
        confidence=0.9,
        evidence=[Evidence(source="reason", detail="Duplicate row detected in table sales.orders, Key (id)=(7)")],
    )
    workflow = plan(
        "duplicate_keys_recovery_sql",
        diagnosis=diagnosis,
        config=RecoveryConfig.from_env({"WAREHOUSE_DIALECT": "duckdb"}),
        schema_config=schema(orders={"id": True, "amount": False}),  # the key comes from the schema config
    )
    sql = [c["sql"] for c in workflow["plan"]["steps"][0]["calls"]]
    qualify = 'QUALIFY ROW_NUMBER() OVER (PARTITION BY "id" ORDER BY "_fivetran_synced" DESC) = 1'
    assert any(qualify in s for s in sql)
    assert sql[0].startswith('CREATE TABLE "sales"."orders__bak_')  # the backup comes first
    assert workflow["decision"]["path"] == "approval"


def test_given_escalate_unknown_then_no_writes_and_no_verification() -> None:
    workflow = plan("escalate_unknown", mode="recommend")
    assert workflow["decision"]["path"] == "auto"
    assert not any(s["writes"] for s in workflow["plan"]["steps"])
    assert workflow["plan"]["verification"]["enabled"] is False


def test_modes_and_criticality() -> None:
    assert effective_mode("monitor", "auto") is RolloutMode.MONITOR  # deployment monitor is a kill switch
    assert effective_mode("recommend", "auto") is RolloutMode.AUTO
    assert effective_mode("auto", None) is RolloutMode.AUTO
    assert criticality_from_tags(["Finance", "eu"]) == "critical"
    assert criticality_from_tags(["marketing"]) == "normal"
    config = RecoveryConfig.from_env({"CONNECTION_POLICIES": '{"c1": {"mode": "auto", "criticality": "critical"}}'})
    assert resolve("c1", "recommend", config) == (RolloutMode.AUTO, "critical")
    assert resolve("c2", "recommend", config) == (RolloutMode.RECOMMEND, "normal")


def test_given_bad_connection_policies_then_clear_settings_error() -> None:
    from fivetran_recovery.settings import SettingsError

    with pytest.raises(SettingsError, match="CONNECTION_POLICIES"):
        RecoveryConfig.from_env({"CONNECTION_POLICIES": "{not json"})
    with pytest.raises(SettingsError, match="WAREHOUSE_DIALECT"):
        RecoveryConfig.from_env({"WAREHOUSE_DIALECT": "oracle"})


def test_given_a_signature_below_the_measured_precision_then_recommended_not_run() -> None:
    gated = RecoveryConfig.from_env({})
    weak = Diagnosis(category="credential", pattern="invalid_credentials", retryable=False, confidence=0.9)
    workflow = plan("broken_setup_retest", diagnosis=weak, config=gated)
    assert workflow["decision"]["path"] == "approval"
    assert "right 91% of the time" in " ".join(workflow["decision"]["reasons"])
    assert workflow["rca"]["signature_precision"] == 0.9091
    unmeasured = Diagnosis(category="network", pattern="made_up_pattern", retryable=True, confidence=0.9)
    assert "no measured precision" in " ".join(plan("retry_with_backoff", diagnosis=unmeasured,
                                                    config=gated)["decision"]["reasons"])
    strong = Diagnosis(category="network", pattern="connection_reset", retryable=True, confidence=0.88)
    workflow = plan("retry_with_backoff", diagnosis=strong, config=gated)
    assert workflow["decision"]["path"] == "auto" and workflow["rca"]["calibrated_confidence"] == 0.974


def test_given_a_fivetran_task_type_then_structure_chose_the_playbook_and_the_gate_does_not_apply() -> None:
    weak = Diagnosis(category="credential", pattern="credential_expiry", retryable=False, confidence=0.9)
    event = {**EVENT, "data": {"status": "FAILURE_WITH_TASK", "taskType": "reconnect", "reason": "expired"}}
    gated = RecoveryConfig.from_env({})
    assert plan("reauthorize_credentials", diagnosis=weak, config=gated)["decision"]["path"] == "approval"
    assert plan("reauthorize_credentials", diagnosis=weak, event=event, config=gated)["decision"]["path"] == "auto"
