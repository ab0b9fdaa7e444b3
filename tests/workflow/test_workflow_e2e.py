"""The recovery workflow end to end: the repo's ASL under moto, the handlers in-process, the Fivetran simulator
behind the real client. One test per drill scenario of issue 5, plus the failure branches."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest

from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from local.defaults import LOCAL_APPROVER_TOKEN, LOCAL_SLACK_SIGNING_SECRET

AUTH = {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}


def _diagnosis(category: str, pattern: str, *details: str) -> Diagnosis:
    return Diagnosis(
        category=category,
        pattern=pattern,
        retryable=category == "network",
        confidence=0.9,
        summary=f"{category}: {pattern}",
        evidence=[Evidence(source="webhook.reason", detail=d) for d in details],
    )


def _finished(harness, incident_id: str) -> dict:
    result = harness.wait(incident_id)
    assert result["status"] == "SUCCEEDED", "\n".join(harness.errors(incident_id))
    return result["output"]


def _report(harness, scenario: str, incident_id: str, connection_id: str, outcome: str) -> None:
    print(
        json.dumps(
            {
                "scenario": scenario,
                "outcome": outcome,
                "fivetran_write_calls": len(harness.write_calls(connection_id)),
                "seconds_to_first_write": harness.seconds_to_first_write(incident_id),
                "seconds_total": round(time.monotonic() - harness.started[incident_id], 3),
            }
        )
    )


def test_given_transient_blip_in_auto_mode_when_workflow_runs_then_retried_once_and_verified(harness) -> None:
    event = harness.fail("quiet_harbor", "transient_network_blip")
    harness.start(
        incident_id="inc-blip",
        connection_id="quiet_harbor",
        event=event,
        diagnosis=_diagnosis("network", "transient_network_blip", event["data"]["reason"]),
    )
    output = _finished(harness, "inc-blip")
    assert output["outcome"] == "verified"
    writes = harness.write_calls("quiet_harbor")
    assert [(w["method"], w["path"]) for w in writes] == [("POST", "/v1/connections/quiet_harbor/sync")]
    summary = harness.adapters.records.get_summary("inc-blip")
    assert summary["outcome"] == "verified" and summary["fivetran_write_calls"] == 1
    assert summary["time_to_recover_seconds"] is not None
    assert harness.adapters.audit.verify_chain("quiet_harbor").ok
    assert harness.adapters.records.track_record("retry_with_backoff")["TRACK#v1"]["outcome_verified"] == 1
    assert harness.adapters.records.lock_holder("quiet_harbor") is None
    assert harness.notices("inc-blip", "summary")
    _report(harness, "transient_blip", "inc-blip", "quiet_harbor", output["outcome"])


def test_given_rate_limit_on_auto_schedule_when_workflow_runs_then_no_write_and_verified(harness) -> None:
    event = harness.fail("brisk_otter", "rate_limit")
    assert harness.sim.connection("brisk_otter")["status"]["sync_state"] == "rescheduled"
    harness.start(
        incident_id="inc-rate",
        connection_id="brisk_otter",
        event=event,
        diagnosis=_diagnosis("source_api_limit", "rate_limit", event["data"]["reason"]),
    )
    output = _finished(harness, "inc-rate")
    assert output["outcome"] == "verified"
    assert harness.write_calls("brisk_otter") == []  # no fight with Fivetran: it resumes auto connections itself
    _report(harness, "rate_limit_auto_schedule", "inc-rate", "brisk_otter", output["outcome"])


def test_given_rate_limit_on_manual_schedule_when_workflow_runs_then_one_sync_after_reschedule(harness) -> None:
    event = harness.fail("copper_kite", "rate_limit", retry_after=1800)
    rescheduled_for = harness.sim.connection("copper_kite")["status"]["rescheduled_for"]
    harness.start(
        incident_id="inc-rate-manual",
        connection_id="copper_kite",
        event=event,
        diagnosis=_diagnosis("source_api_limit", "rate_limit", event["data"]["reason"]),
    )
    output = _finished(harness, "inc-rate-manual")
    assert output["outcome"] == "verified"
    writes = harness.write_calls("copper_kite")
    assert [(w["method"], w["path"]) for w in writes] == [("POST", "/v1/connections/copper_kite/sync")]
    assert writes[0]["time"] >= rescheduled_for  # not before Fivetran's own rescheduled time


def test_given_expired_oauth_when_owner_reauthorises_then_link_sent_and_verified(harness) -> None:
    event = harness.fail("amber_falcon", "oauth_expired")
    harness.before_verify = lambda attempt: attempt == 2 and harness.sim.complete_reauth("amber_falcon")
    harness.start(
        incident_id="inc-oauth",
        connection_id="amber_falcon",
        event=event,
        diagnosis=_diagnosis("credential", "oauth_token_expired", event["data"]["reason"]),
    )
    output = _finished(harness, "inc-oauth")
    assert output["outcome"] == "verified"
    writes = harness.write_calls("amber_falcon")
    assert [(w["method"], w["path"]) for w in writes] == [("POST", "/v1/connections/amber_falcon/connect-card")]
    # the link goes to the owner alone; the channel is told where it went; no store holds it in clear
    [direct] = harness.notices("inc-oauth", "owner_action", op="direct")
    assert direct["to"] == "o***@example.org" and "link" not in direct and len(direct["link_sha256"]) == 16
    [channel_notice] = harness.notices("inc-oauth", "owner_action")
    assert "sent directly to the owner: local direct outbox to o***@example.org" in channel_notice["summary"]
    assert "link" not in channel_notice
    trail = json.dumps([r.model_dump() for r in harness.adapters.audit.for_incident("inc-oauth")])
    stored = trail + json.dumps(harness.outbox.messages)
    assert "connect-card/setup?auth=" not in stored  # the simulator's card URI, with its token
    _report(harness, "oauth_reauth", "inc-oauth", "amber_falcon", output["outcome"])


def test_given_expired_oauth_when_owner_never_reauthorises_then_failure_branch_escalates(harness) -> None:
    event = harness.fail("amber_falcon", "oauth_expired")
    harness.start(
        incident_id="inc-oauth-2",
        connection_id="amber_falcon",
        event=event,
        diagnosis=_diagnosis("credential", "oauth_token_expired", event["data"]["reason"]),
    )
    output = _finished(harness, "inc-oauth-2")
    assert output["outcome"] == "verification_failed"
    assert harness.verify_attempts == 8  # bounded by VerifyMaxAttempts
    assert harness.notices("inc-oauth-2", "escalation")
    track = harness.adapters.records.track_record("reauthorize_credentials")["TRACK#v1"]
    assert track["outcome_failed"] == 1


def test_given_non_breaking_schema_change_when_auto_then_reload_and_table_resync_verified(harness) -> None:
    event = harness.fail("silver_meadow", "schema_change_non_breaking")
    workflow = harness.start(
        incident_id="inc-schema",
        connection_id="silver_meadow",
        event=event,
        diagnosis=_diagnosis("schema_drift", "schema_change_during_sync", event["data"]["reason"]),
    )
    assert workflow["decision"]["path"] == "auto"
    output = _finished(harness, "inc-schema")
    assert output["outcome"] == "verified"
    writes = harness.write_calls("silver_meadow")
    assert [(w["method"], w["path"], w["body"]) for w in writes] == [
        ("POST", "/v1/connections/silver_meadow/schemas/reload", {"exclude_mode": "PRESERVE"}),
        # the table the schema diff shows changed, not every endpoint the error text names
        ("POST", "/v1/connections/silver_meadow/schemas/tables/resync", {"hubspot": ["contact"]}),
    ]
    _report(harness, "schema_non_breaking", "inc-schema", "silver_meadow", output["outcome"])


BREAKING_DETAIL = "cause: can't map type UInt64 to Fivetran types (column viewed_at in table events.page_view)"


def test_given_breaking_schema_change_when_approved_via_api_then_paused_changed_resumed_verified(
    harness, capsys
) -> None:
    event = harness.fail("lunar_pebble", "schema_change_breaking")
    workflow = harness.start(
        incident_id="inc-break",
        connection_id="lunar_pebble",
        event=event,
        diagnosis=_diagnosis("schema_drift", "type_mapping_error", BREAKING_DETAIL),
    )
    # a type change leaves no diff in the schema config: escalated, so not even the protective pause runs alone
    assert workflow["decision"]["path"] == "approval" and workflow["decision"]["approval_step_index"] == 0
    assert "escalated to a human" in " ".join(workflow["decision"]["reasons"])
    approval_id = harness.wait_for_approval("inc-break")
    assert harness.sim.connection("lunar_pebble")["paused"] is False  # no write before a human decides
    table = harness.adapters.table(harness.adapters.settings.approvals_table)
    token = table.get_item(Key={"approval_id": approval_id})["Item"]["task_token"]
    shown = harness.http("approve", "GET", f"/approvals/{approval_id}", headers=AUTH)
    assert shown["statusCode"] == 200 and "task_token" not in shown["body"]
    decided = harness.http(
        "approve",
        "POST",
        f"/approvals/{approval_id}/decision",
        headers=AUTH,
        body=json.dumps({"decision": "approve", "comment": "ok"}),
    )
    assert decided["statusCode"] == 200, decided
    output = _finished(harness, "inc-break")
    assert output["outcome"] == "verified"
    writes = [(w["method"], w["path"], w["body"]) for w in harness.write_calls("lunar_pebble")]
    assert writes == [
        ("PATCH", "/v1/connections/lunar_pebble", {"paused": True}),
        (
            "PATCH",
            "/v1/connections/lunar_pebble/schemas",
            {
                "schema_change_handling": "ALLOW_COLUMNS",
                "schemas": {"events": {"tables": {"page_view": {"columns": {"viewed_at": {"enabled": False}}}}}},
            },
        ),
        ("PATCH", "/v1/connections/lunar_pebble", {"paused": False}),
    ]
    actions = [r for r in harness.adapters.audit.for_incident("inc-break") if r.kind == "action"]
    assert any(r.detail["approved_by"] == "local-approver" for r in actions)
    # the task token was never shown: not in logs, messages, audit, the approval view; and it is gone after use
    shown_anywhere = capsys.readouterr().out + json.dumps(harness.outbox.messages) + shown["body"]
    shown_anywhere += json.dumps([r.model_dump() for r in harness.adapters.audit.for_incident("inc-break")])
    assert token not in shown_anywhere
    assert "task_token" not in table.get_item(Key={"approval_id": approval_id})["Item"]
    assert all("before" in r.detail and "after" in r.detail for r in actions)
    _report(harness, "schema_breaking_approved", "inc-break", "lunar_pebble", output["outcome"])


def _slack_request(approval_id: str, action: str, user: str, timestamp: int) -> tuple[dict, str]:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "ana"},
        "actions": [{"action_id": action, "value": approval_id}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(LOCAL_SLACK_SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": signature,
        "content-type": "application/x-www-form-urlencoded",
    }
    return headers, body


def test_given_recommend_mode_when_rejected_in_slack_then_no_change(harness) -> None:
    event = harness.fail("lunar_pebble", "schema_change_breaking")
    harness.start(
        incident_id="inc-reject",
        connection_id="lunar_pebble",
        event=event,
        mode="recommend",
        diagnosis=_diagnosis("schema_drift", "type_mapping_error", BREAKING_DETAIL),
    )
    approval_id = harness.wait_for_approval("inc-reject")
    headers, body = _slack_request(approval_id, "reject", "U0LOCALAPPROVER", int(time.time()))
    answer = harness.http("approve", "POST", "/slack/interactions", headers=headers, body=body)
    assert answer["statusCode"] == 200, answer
    output = _finished(harness, "inc-reject")
    assert output["outcome"] == "rejected"
    assert harness.write_calls("lunar_pebble") == []
    replay = harness.http("approve", "POST", "/slack/interactions", headers=headers, body=body)
    assert replay["statusCode"] == 409  # the same signed request again: one decision per approval
    _report(harness, "rejected", "inc-reject", "lunar_pebble", output["outcome"])


@pytest.mark.approval_timeout(2)
def test_given_nobody_decides_when_approval_times_out_then_no_change_and_escalated(harness) -> None:
    event = harness.fail("quiet_harbor", "transient_network_blip")
    harness.start(
        incident_id="inc-timeout",
        connection_id="quiet_harbor",
        event=event,
        mode="recommend",
        diagnosis=_diagnosis("network", "transient_network_blip"),
    )
    approval_id = harness.wait_for_approval("inc-timeout")
    output = _finished(harness, "inc-timeout")  # the approval_timeout marker: 2 s
    assert output["outcome"] == "approval_timed_out"
    assert harness.write_calls("quiet_harbor") == []
    assert harness.notices("inc-timeout", "escalation")
    late = harness.http(
        "approve", "POST", f"/approvals/{approval_id}/decision", headers=AUTH, body=json.dumps({"decision": "approve"})
    )
    assert late["statusCode"] == 409 and json.loads(late["body"])["status"] == "expired"
    _report(harness, "approval_timeout", "inc-timeout", "quiet_harbor", output["outcome"])


def test_given_monitor_mode_when_workflow_runs_then_zero_write_calls(harness) -> None:
    event = harness.fail("quiet_harbor", "transient_network_blip")
    harness.start(
        incident_id="inc-monitor",
        connection_id="quiet_harbor",
        event=event,
        mode="monitor",
        diagnosis=_diagnosis("network", "transient_network_blip"),
    )
    output = _finished(harness, "inc-monitor")
    assert output["outcome"] == "monitored"
    assert harness.write_calls("quiet_harbor") == []
    [recommendation] = harness.notices("inc-monitor", "monitor")
    assert "POST /v1/connections/quiet_harbor/sync" in "\n".join(recommendation["planned_actions"])
    _report(harness, "monitor_only", "inc-monitor", "quiet_harbor", output["outcome"])


def test_given_human_pauses_during_approval_when_approved_then_automation_stops(harness) -> None:
    event = harness.fail("quiet_harbor", "transient_network_blip")
    harness.start(
        incident_id="inc-human",
        connection_id="quiet_harbor",
        event=event,
        mode="recommend",
        diagnosis=_diagnosis("network", "transient_network_blip"),
    )
    approval_id = harness.wait_for_approval("inc-human")
    harness.sim.patch_connection("quiet_harbor", {"paused": True})  # an operator pauses it in the dashboard
    before = len(harness.write_calls("quiet_harbor"))
    decided = harness.http(
        "approve", "POST", f"/approvals/{approval_id}/decision", headers=AUTH, body=json.dumps({"decision": "approve"})
    )
    assert decided["statusCode"] == 200
    output = _finished(harness, "inc-human")
    assert output["outcome"] == "blocked"
    assert len(harness.write_calls("quiet_harbor")) == before


def test_given_duplicate_keys_when_sql_approved_then_runs_in_warehouse_and_verified(harness) -> None:
    from local.warehouse import EmbeddedWarehouse

    warehouse = EmbeddedWarehouse()
    warehouse.create_from_schema_config(harness.sim.source_schema_config("vivid_lantern"))
    # The warehouse names the source's public.orders as a database connector does: prefixed schema.
    warehouse.seed_duplicates("postgres_prod_public", "orders", keys=3, copies=2)
    harness.adapters.override(warehouse=warehouse.adapter())
    harness.adapters.config = harness.adapters.config.model_copy(update={"warehouse_dialect": "duckdb"})
    harness.after_sql = lambda: harness.sim.clear("vivid_lantern")  # the simulator learns the rows are clean
    event = harness.fail("vivid_lantern", "duplicate_primary_key")
    detail = f"{event['data']['reason']} (while writing table public.orders)"
    workflow = harness.start(
        incident_id="inc-dup",
        connection_id="vivid_lantern",
        event=event,
        diagnosis=_diagnosis("data_quality", "duplicate_primary_key", detail),
    )
    params = workflow["plan"]["steps"][0]["params"]
    assert params["keys"] == ["id"]  # the columns endpoint's primary key (the schema config omits unedited columns)
    assert (params["schema"], params["table"]) == ("postgres_prod_public", "orders")  # name_in_destination
    approval_id = harness.wait_for_approval("inc-dup")
    assert (
        harness.http(
            "approve",
            "POST",
            f"/approvals/{approval_id}/decision",
            headers=AUTH,
            body=json.dumps({"decision": "approve"}),
        )["statusCode"]
        == 200
    )
    output = _finished(harness, "inc-dup")
    assert output["outcome"] == "verified"
    assert warehouse.duplicate_keys("postgres_prod_public", "orders") == 0
    sql_action = next(
        r
        for r in harness.adapters.audit.for_incident("inc-dup")
        if r.detail.get("action") == "run_recovery_sql" and r.kind == "action"
    )
    response = sql_action.detail["result"]["response"]
    assert response["preview"] == {"rows_before": 6, "duplicate_rows": 3, "survivors": 3}
    assert {c["name"]: c["actual"] for c in response["checks"]} == {"duplicate_keys": 0, "rows_after": 3}
    assert response["backup"].startswith("postgres_prod_public.orders__bak_") and response["undo"]  # the way back, on record
    started = next(r for r in harness.adapters.audit.for_incident("inc-dup") if r.kind == "workflow_started")
    assert started.detail["sql_preview"][0]["counts"]["duplicate_rows"] == 3  # previewed before the approval
    intent = next(r for r in harness.adapters.audit.for_incident("inc-dup")
                  if r.kind == "action_intent" and r.detail.get("action") == "run_recovery_sql")
    assert intent.seq < sql_action.seq and intent.detail["before"]["backup"] == response["backup"]  # written ahead
    _report(harness, "duplicate_keys_sql", "inc-dup", "vivid_lantern", output["outcome"])


def test_given_breaking_change_naming_no_column_when_approver_resolves_it_then_applied_and_verified(harness) -> None:
    event = harness.fail("lunar_pebble", "schema_change_breaking")
    workflow = harness.start(
        incident_id="inc-resolve",
        connection_id="lunar_pebble",
        event=event,
        diagnosis=_diagnosis("schema_drift", "type_mapping_error", event["data"]["reason"]),
    )
    assert workflow["plan"]["steps"][2]["unresolved"]  # "can't map type UInt64" names no column
    approval_id = harness.wait_for_approval("inc-resolve")
    shown = json.loads(harness.http("approve", "GET", f"/approvals/{approval_id}", headers=AUTH)["body"])
    assert shown["unresolved_steps"] == [2]
    bad = harness.http(
        "approve",
        "POST",
        f"/approvals/{approval_id}/decision",
        headers=AUTH,
        body=json.dumps(
            {"decision": "approve", "resolve": {"exclude_columns": {"events.page_view; DROP": ["viewed_at"]}}}
        ),
    )
    assert bad["statusCode"] == 400
    decided = harness.http(
        "approve",
        "POST",
        f"/approvals/{approval_id}/decision",
        headers=AUTH,
        body=json.dumps({"decision": "approve", "resolve": {"exclude_columns": {"events.page_view": ["viewed_at"]}}}),
    )
    assert decided["statusCode"] == 200, decided
    output = _finished(harness, "inc-resolve")
    assert output["outcome"] == "verified"
    patched = [w["body"] for w in harness.write_calls("lunar_pebble") if w["path"].endswith("/schemas")]
    assert patched == [
        {
            "schema_change_handling": "ALLOW_COLUMNS",
            "schemas": {"events": {"tables": {"page_view": {"columns": {"viewed_at": {"enabled": False}}}}}},
        }
    ]
    approval_record = next(r for r in harness.adapters.audit.for_incident("inc-resolve") if r.kind == "approval")
    assert approval_record.detail["resolution"] == {"exclude_columns": {"events.page_view": ["viewed_at"]}}


def test_given_broken_setup_when_tests_pass_then_forced_sync_clears_it_and_verified(harness) -> None:
    event = harness.fail("quiet_harbor", "broken_setup")
    assert harness.sim.connection("quiet_harbor")["status"]["setup_state"] == "broken"
    harness.start(
        incident_id="inc-broken",
        connection_id="quiet_harbor",
        event=event,
        diagnosis=_diagnosis("source_config", "setup_broken", event["data"]["reason"]),
    )
    output = _finished(harness, "inc-broken")
    assert output["outcome"] == "verified"
    writes = [(w["method"], w["path"], w["body"]) for w in harness.write_calls("quiet_harbor")]
    assert writes == [
        ("POST", "/v1/connections/quiet_harbor/test", {}),
        ("POST", "/v1/connections/quiet_harbor/sync", {"force": True}),
    ]


def test_given_suspended_warehouse_that_stays_down_then_retry_fails_and_escalates(harness) -> None:
    event = harness.fail("vivid_lantern", "warehouse_suspended", failures=4)
    harness.start(
        incident_id="inc-wh",
        connection_id="vivid_lantern",
        event=event,
        diagnosis=_diagnosis("destination", "warehouse_suspended", event["data"]["reason"]),
    )
    output = _finished(harness, "inc-wh")
    assert output["outcome"] == "verification_failed"
    assert [w["path"] for w in harness.write_calls("vivid_lantern")] == ["/v1/connections/vivid_lantern/sync"]
    [escalation] = harness.notices("inc-wh", "escalation")
    assert "warehouse" in escalation["summary"]
    summary = harness.adapters.records.get_summary("inc-wh")
    assert summary["outcome"] == "verification_failed" and summary["time_to_recover_seconds"] is None
