"""Drill scenarios for recovery SQL on the local stack's embedded warehouse (Fivetran-shaped DuckDB tables of
the simulated connections): duplicate keys, rows lost to a re-sync, malformed JSON, a changed column type, and
one roll back. Each builds its script from structured evidence only (the schema config's destination names
and primary keys, the warehouse's information schema) and runs it through the real state machine: begin's
preview -> approval request showing the preview beside the SQL -> approval through the API -> backup ->
execution -> checks; the rollback is a second approved workflow running the stored undo.

The failure's webhook and diagnosis are not part of these (the issue-5 drill scenarios cover that path): the
script is proposed the way an operator or an accepted LLM draft proposes one.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from local.drill import steps
from local.drill.runner import Scenario, ScenarioResult
from local.stack import LocalStack
from local.warehouse_seed import BASE, break_json, lose_rows_in_resync

TIMEOUT = 60.0


def destination_table(stack: LocalStack, connection_id: str, source_table: str) -> tuple[str, str, list[str]]:
    """(schema, table, primary keys) in the destination, from the connection's schema config."""
    config = stack.simulator.source_schema_config(connection_id)  # every column (the API omits unedited ones)
    for schema, entry in config["schemas"].items():
        table = (entry.get("tables") or {}).get(source_table)
        if table:
            keys = [(c.get("name_in_destination") or n) for n, c in table["columns"].items() if c.get("is_primary_key")]
            return entry.get("name_in_destination") or schema, table.get("name_in_destination") or source_table, keys
    raise KeyError(f"{connection_id} has no table {source_table}")


def information_schema_columns(stack: LocalStack, schema: str, table: str) -> dict[str, str]:
    rows = stack.warehouse._con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, table]).fetchall()
    return {name: kind for name, kind in rows}


def propose(stack: LocalStack, incident_id: str, connection_id: str, script: Any, reason: str) -> dict[str, Any]:
    from fivetran_recovery.config import get_recovery_config
    from fivetran_recovery.playbooks.registry import default_registry
    from fivetran_recovery.settings import get_settings
    from fivetran_recovery.workflow.sql_proposal import script_workflow

    workflow = script_workflow(
        incident_id=incident_id, connection_id=connection_id, script=script, reason=reason,
        settings=get_settings(), config=get_recovery_config(), registry=default_registry(),
        connection=stack.simulator.connection(connection_id),
    )
    boto3.client("stepfunctions", region_name="us-east-1").start_execution(
        stateMachineArn=stack.state_machine_arn, name=incident_id, input=json.dumps(workflow))
    return workflow


def approve_and_run(stack: LocalStack, incident_id: str) -> dict[str, Any]:
    """Waits for the incident's approval, checks it shows the preview, approves it, waits for the end."""
    approval = steps.wait_until(
        lambda: next((a for a in steps.approvals(stack) if a["incident_id"] == incident_id), None),
        timeout=TIMEOUT, what=f"the approval of {incident_id}")
    shown = list(approval.get("planned_actions") or [])
    answer = steps.decide(stack, approval["approval_id"], "approve")
    arn = stack.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{incident_id}"
    described = steps.wait_until(
        lambda: (d := stack.describe(arn)) and d["status"] != "RUNNING" and d, timeout=TIMEOUT,
        what=f"the workflow of {incident_id}")
    records = [r for r in steps.audit_records(stack) if r["incident_id"] == incident_id]
    mirrored = stack.warehouse.scalar(
        "SELECT COUNT(*) FROM fivetran_recovery.fivetran_recovery_audit WHERE incident_id = "
        f"'{incident_id.replace(chr(39), '')}'")
    action = next((json.loads(r["detail_json"]) for r in records if r["kind"] == "action"), {})
    response = (action.get("result") or {}).get("response") or {}
    return {
        "approval_status": answer.status_code,
        "preview_shown": any("preview:" in line for line in shown) and any("SQL (" in line for line in shown),
        "status": described["status"],
        "outcome": json.loads(described.get("output") or "{}").get("outcome"),
        "response": response,
        "step_status": (action.get("result") or {}).get("status"),
        "mirrored": int(mirrored or 0),
        "records": len(records),
    }


def _report(result: ScenarioResult, ran: dict[str, Any], extra_checks: dict[str, bool]) -> None:
    response = ran["response"]
    checks = {c["name"]: c for c in response.get("checks") or []}
    result.checks = {
        "preview beside the SQL in the approval": ran["preview_shown"],
        "approved through the API": ran["approval_status"] == 200,
        "backup taken": bool(response.get("backup")) or response.get("template") == "compatibility_view",
        "checks passed": bool(checks) and all(c["passed"] for c in checks.values()),
        "workflow succeeded": ran["status"] == "SUCCEEDED" and ran["step_status"] == "done",
        "audit mirrored to the warehouse": ran["mirrored"] > 0 and ran["mirrored"] == ran["records"],
        **extra_checks,
    }
    result.details = {
        "preview": response.get("preview"),
        "backup": response.get("backup"),
        "verification": {name: f"{c['actual']} (expected {c['expected']})" for name, c in checks.items()},
        "undo_statements": len(response.get("undo") or []),
    }
    result.outcome = (f"{response.get('template')}: preview {response.get('preview')}, backup "
                      f"{response.get('backup') or 'none needed'}, checks "
                      + ", ".join(f"{n}={c['actual']}" for n, c in checks.items()))
    result.passed = True


def play_duplicate_keys(stack: LocalStack, result: ScenarioResult) -> dict[str, Any]:
    from fivetran_recovery.recovery_sql import TableRef
    from fivetran_recovery.recovery_sql.templates import dedup_latest

    schema, table, keys = destination_table(stack, "vivid_lantern", "orders")
    stack.warehouse.seed_duplicates(schema, table, keys=6, copies=3)
    script = dedup_latest("duckdb", TableRef(schema, table), keys, token="drill-sql-dup")
    propose(stack, "drill-sql-dup", "vivid_lantern", script, "duplicate primary keys block the MERGE")
    ran = approve_and_run(stack, "drill-sql-dup")
    _report(result, ran, {"no duplicate keys left": stack.warehouse.duplicate_keys(schema, table) == 0})
    return ran


def play_soft_delete_loss(stack: LocalStack, result: ScenarioResult) -> None:
    from fivetran_recovery.recovery_sql import TableRef
    from fivetran_recovery.recovery_sql.runner import ScriptRunner
    from fivetran_recovery.recovery_sql.templates import restore_from_backup, soft_delete_audit
    from local.warehouse_seed import order_rows

    schema, table, keys = destination_table(stack, "quiet_harbor", "invoices")
    stack.warehouse.insert(schema, table, [{"id": r["id"], "_fivetran_synced": r["_fivetran_synced"],
                                            "_fivetran_deleted": False, "_fivetran_id": r["_fivetran_id"]}
                                           for r in order_rows(20, table=table)])
    good = lose_rows_in_resync(stack.warehouse, schema, table, deleted=4, missing=3)
    target = TableRef(schema, table)
    audit = ScriptRunner(stack.warehouse.adapter()).preview(soft_delete_audit("duckdb", target, BASE))
    script = restore_from_backup("duckdb", target, target.sibling(good), keys, token="drill-sql-restore")
    propose(stack, "drill-sql-restore", "quiet_harbor", script, "a re-sync soft-deleted and lost rows")
    ran = approve_and_run(stack, "drill-sql-restore")
    alive = stack.warehouse.scalar(f'SELECT COUNT(*) FROM "{schema}"."{table}" WHERE NOT "_fivetran_deleted"')
    _report(result, ran, {"soft-delete audit found the 4": audit.counts["soft_deleted"] == 4,
                          "all 20 rows alive again": alive == 20})


def play_malformed_json(stack: LocalStack, result: ScenarioResult) -> None:
    from fivetran_recovery.recovery_sql import TableRef
    from fivetran_recovery.recovery_sql.templates_data import json_quarantine
    from local.warehouse_seed import order_rows

    schema, table, _ = destination_table(stack, "vivid_lantern", "orders")
    stack.warehouse.execute(f'ALTER TABLE "{schema}"."{table}" ADD COLUMN "payload" VARCHAR')
    stack.warehouse.insert(schema, table, [{k: v for k, v in r.items() if k not in ("region", "amount")}
                                           for r in order_rows(15, table=table)])
    break_json(stack.warehouse, schema, table, "payload", 5)
    column = "payload"
    assert column in information_schema_columns(stack, schema, table)  # the name comes from the destination
    script = json_quarantine("duckdb", TableRef(schema, table), column, token="drill-sql-json")
    propose(stack, "drill-sql-json", "vivid_lantern", script, "malformed JSON values fail the load")
    ran = approve_and_run(stack, "drill-sql-json")
    quarantined = next(t for t in script.touches if "quarantine" in t.table)
    _report(result, ran, {"5 rows in quarantine": len(stack.warehouse.rows(schema, quarantined.table)) == 5})


def play_type_change(stack: LocalStack, result: ScenarioResult) -> None:
    from fivetran_recovery.recovery_sql import TableRef
    from fivetran_recovery.recovery_sql.templates_data import compatibility_view

    schema, table, _ = destination_table(stack, "copper_kite", "charge")
    stack.warehouse.insert(schema, table, [{"id": str(i), "amount": str(100 * i), "created": "2026-11-20",
                                            "_fivetran_synced": BASE, "_fivetran_deleted": False,
                                            "_fivetran_id": f"ch-{i}"} for i in range(8)])
    columns = information_schema_columns(stack, schema, table)  # amount arrives as text now
    columns = {k: v for k, v in columns.items() if not k.startswith("_fivetran")}
    script = compatibility_view("duckdb", TableRef(schema, table), columns, expected_types={"amount": "BIGINT"})
    propose(stack, "drill-sql-type", "copper_kite", script, "amount changed type; models expect a number")
    ran = approve_and_run(stack, "drill-sql-type")
    total = stack.warehouse.scalar(f'SELECT SUM("amount") FROM "{schema}"."{table}__compat"')
    _report(result, ran, {"view reads amount as a number": total == sum(100 * i for i in range(8))})


def play_rollback(stack: LocalStack, result: ScenarioResult) -> None:
    """The dedup, then "roll back this action" exactly as the CLI and the console ask for it."""
    from fivetran_recovery.composition import Adapters
    from fivetran_recovery.composition.rollback import rollback_service

    inner = ScenarioResult(scenario="dedup", expected="", outcome="", passed=False)
    play_duplicate_keys(stack, inner)
    schema, table, _ = destination_table(stack, "vivid_lantern", "orders")
    proposed = rollback_service(Adapters()).propose("drill-sql-dup", actor="drill")
    ran = approve_and_run(stack, proposed["rollback_incident_id"])
    _report(result, ran, {
        "dedup ran first": inner.passed and all(inner.checks.values()),
        "all 18 rows back": len(stack.warehouse.rows(schema, table)) == 18,
        "duplicates back as before": stack.warehouse.duplicate_keys(schema, table) == 6,
    })


def play_duplicate_keys_from_webhook(stack: LocalStack, result: ScenarioResult) -> None:
    """The whole path: Fivetran's duplicate-row failure (it names no table) through the webhook, diagnose and the
    duplicate-key playbook; begin asks the destination which table has duplicate keys, the approval shows that
    script with its preview, the dedup runs, then the sync and its verification."""
    from local.simulator import SCENARIO_HOMES

    connection = SCENARIO_HOMES["duplicate_primary_key"]
    schema, table, _ = destination_table(stack, connection, "orders")
    stack.warehouse.seed_duplicates(schema, table, keys=5, copies=2)
    steps.fail_next_sync(stack, connection, "duplicate_primary_key")
    approval = steps.wait_until(
        lambda: next((a for a in steps.approvals(stack) if a["connection_id"] == connection), None),
        timeout=TIMEOUT, what="the approval request")
    shown = "\n".join(approval.get("planned_actions") or [])
    answer = steps.decide(stack, approval["approval_id"], "approve")
    # The rows are clean once the approved SQL ran: from then on the simulated source syncs again.
    steps.wait_until(lambda: stack.warehouse.duplicate_keys(schema, table) == 0, timeout=TIMEOUT, interval=0.05,
                     what="the dedup")
    stack.simulator.clear(connection)
    runs = steps.wait_until(lambda: steps.finished(stack, connection), timeout=TIMEOUT, what="the workflow")
    steps.record_common(stack, result, connection)
    records = [r for r in steps.audit_records(stack) if r["chain_id"] == connection]
    action = next((json.loads(r["detail_json"]) for r in records if r["kind"] == "action"
                   and json.loads(r["detail_json"]).get("action") == "run_recovery_sql"), {})
    response = (action.get("result") or {}).get("response") or {}
    outcome = json.loads(runs[-1].get("output") or "{}").get("outcome")
    result.checks = {
        "table found by probing the destination": f'"{schema}"."{table}"' in shown,
        "preview beside the SQL in the approval": "duplicate_rows=5" in shown,
        "approved through the API": answer.status_code == 200,
        "backup taken": bool(response.get("backup")),
        "checks passed": bool(response.get("checks")) and all(c["passed"] for c in response["checks"]),
        "sync verified": outcome == "verified",
    }
    result.details = {"preview": response.get("preview"), "backup": response.get("backup"),
                      "verification": {c["name"]: f"{c['actual']} (expected {c['expected']})"
                                       for c in response.get("checks") or []}}
    result.outcome = (f"probe found {schema}.{table}; preview {response.get('preview')}, backup "
                      f"{response.get('backup')}; workflow {outcome}")
    result.passed = True


SQL_SCENARIOS = [
    Scenario("sql_duplicate_keys_webhook", "duplicate-row failure via webhook: table found by probing the destination,"
             " approved dedup with backup, sync verified", play_duplicate_keys_from_webhook,
             environment={"SELF_HEAL_WINDOW_SECONDS": "2"}),
    Scenario("sql_duplicate_keys", "dedup keeping the latest _fivetran_synced: preview, approval, backup, verified",
             play_duplicate_keys, rollout_mode="recommend", background=False),
    Scenario("sql_soft_delete_loss", "rows soft-deleted or lost by a re-sync restored from the known-good copy",
             play_soft_delete_loss, rollout_mode="recommend", background=False),
    Scenario("sql_malformed_json", "invalid JSON values quarantined to a side table, then set to NULL",
             play_malformed_json, rollout_mode="recommend", background=False),
    Scenario("sql_type_change", "a changed column type: compatibility view casting back to the expected type",
             play_type_change, rollout_mode="recommend", background=False),
    Scenario("sql_rollback", "the dedup rolled back by its stored undo, as an approved action",
             play_rollback, rollout_mode="recommend", background=False),
]
