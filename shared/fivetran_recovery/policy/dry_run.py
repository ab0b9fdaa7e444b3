"""Dry-run rendering: exactly which Fivetran API calls (method, path, body) and SQL a step would run.

The same rendering is shown to approvers, written to the audit trail and compared by remediate with what it is
about to do, so "what was approved" and "what ran" cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from fivetran_recovery.models.workflow import PlannedCall, PlanStep
from fivetran_recovery.playbooks.schema import SYNC_FREQUENCIES, Action, Step
from fivetran_recovery.recovery_sql import TableRef
from fivetran_recovery.workflow.context import PlanContext

API = "/v1/connections"


def _api(method: str, path: str, body: Any = None) -> PlannedCall:
    return PlannedCall(kind="fivetran_api", method=method, path=path, body=body)


def relaxed_frequency(current: int | None, factor: float) -> int:
    """The next allowed sync frequency at least `factor` times the current one (capped at daily)."""
    wanted = (current or 360) * factor
    return next((f for f in SYNC_FREQUENCIES if f >= wanted), SYNC_FREQUENCIES[-1])


def _calls(step: Step, ctx: PlanContext, index: int = 0) -> tuple[list[PlannedCall], str | None, dict[str, Any]]:
    """(calls, why unresolved, resolved params)."""
    base = f"{API}/{ctx.connection_id}"
    p = dict(step.params)
    match step.action:
        case Action.SYNC_NOW | Action.SYNC_IF_MANUAL:
            return [_api("POST", f"{base}/sync", {"force": bool(p.get("force", False))})], None, p
        case Action.PAUSE:
            return [_api("PATCH", base, {"paused": True})], None, p
        case Action.RESUME:
            return [_api("PATCH", base, {"paused": False})], None, p
        case Action.UPDATE_SCHEDULE:
            body = {k: p[k] for k in ("sync_frequency", "schedule_type") if k in p}
            if "relax_factor" in p:
                body["sync_frequency"] = relaxed_frequency(ctx.sync_frequency, float(p["relax_factor"]))
            resolved = {k: v for k, v in body.items()}
            return [_api("PATCH", base, body)], None, resolved
        case Action.RELOAD_SCHEMA:
            mode = p.get("exclude_mode", "PRESERVE")
            return [_api("POST", f"{base}/schemas/reload", {"exclude_mode": mode})], None, {"exclude_mode": mode}
        case Action.RESYNC_TABLES:
            tables, _ = _table_scope(ctx)
            if not tables:
                return [], "no changed table is known from the schema diff; choose the tables to re-sync", p
            return [_api("POST", f"{base}/schemas/tables/resync", tables)], None, {"scope": tables}
        case Action.RESYNC:
            scope = _table_scope(ctx)[0] if p.get("scope") == "from_diagnosis" else None
            body = {"scope": scope} if scope else {}
            return [_api("POST", f"{base}/resync", body)], None, {"scope": scope or None}
        case Action.UPDATE_SCHEMA_CONFIG:
            return _schema_config_calls(base, ctx, p)
        case Action.RUN_SETUP_TESTS:
            return [_api("POST", f"{base}/test", p)], None, p
        case Action.CREATE_CONNECT_CARD:
            return [_api("POST", f"{base}/connect-card", {"connect_card_config": p})], None, p
        case Action.RUN_RECOVERY_SQL:
            return _sql_calls(ctx, p, index)
        case _:
            return [], None, p


def _table_scope(ctx: PlanContext) -> tuple[dict[str, list[str]], str | None]:
    """The tables a step touches and where they came from: the schema diff, else the text's suggestions."""
    if ctx.tables:
        return ctx.tables, "schema_diff"
    if ctx.suggested_tables:
        return ctx.suggested_tables, "failure_text"
    return {}, None


def _column_scope(ctx: PlanContext) -> tuple[dict[str, dict[str, list[str]]], str | None]:
    if ctx.columns:
        return ctx.columns, "approver"
    if ctx.suggested_columns:
        return ctx.suggested_columns, "failure_text"
    return {}, None


def step_scope(step: Step, ctx: PlanContext) -> str | None:
    """Where the objects a rendered step touches came from (None: it touches no table or column)."""
    p = step.params
    if step.action is Action.RESYNC_TABLES or (step.action is Action.RESYNC and p.get("scope") == "from_diagnosis"):
        return _table_scope(ctx)[1]
    if step.action is Action.UPDATE_SCHEMA_CONFIG and p.get("exclude") == "from_diagnosis":
        return _column_scope(ctx)[1]
    if step.action is Action.RUN_RECOVERY_SQL:
        tables = _table_scope(ctx)[1]
        columns = _column_scope(ctx)[1] if p.get("template") == "json_quarantine" else None
        return "failure_text" if "failure_text" in (tables, columns) else tables
    return None


def _schema_config_calls(
    base: str, ctx: PlanContext, params: dict[str, Any]
) -> tuple[list[PlannedCall], str | None, dict[str, Any]]:
    body: dict[str, Any] = {}
    if params.get("schema_change_handling"):
        body["schema_change_handling"] = params["schema_change_handling"]
    if params.get("exclude") == "from_diagnosis":
        columns, _ = _column_scope(ctx)
        if not columns:
            return [], "no incompatible column of the schema is known; an approver must choose it", params
        body["schemas"] = {
            schema: {
                "tables": {
                    table: {"columns": {column: {"enabled": False} for column in columns}}
                    for table, columns in tables.items()
                }
            }
            for schema, tables in columns.items()
        }
    return [_api("PATCH", f"{base}/schemas", body)], None, body


def _sql_calls(
    ctx: PlanContext, params: dict[str, Any], index: int = 0
) -> tuple[list[PlannedCall], str | None, dict[str, Any]]:
    """The recovery script from the template library, filled from structured context only; the whole script
    (backup, undo, checks) rides in the params so what is approved is what runs."""
    targets = [(schema, table) for schema, tables in _table_scope(ctx)[0].items() for table in tables]
    if len(targets) != 1:
        why = "exactly one affected table must be known" if targets else "no affected table is known"
        return [], f"{why}; the recovery SQL needs its target", params
    template = params.get("template", "dedup_latest")
    table = TableRef(*ctx.destination(*targets[0]))  # the warehouse's names (name_in_destination), not the source's
    filled: dict[str, Any] = {"keys": ctx.primary_keys}
    if template in ("dedup_primary_key", "dedup_latest") and not ctx.primary_keys:
        return [], "the schema config marks no primary-key column on the table; the recovery SQL needs them", params
    if template == "json_quarantine":
        columns = (_column_scope(ctx)[0].get(targets[0][0]) or {}).get(targets[0][1]) or []
        if len(columns) != 1:
            return [], "exactly one affected column must be named for the JSON quarantine", params
        filled["column"] = columns[0]
    from fivetran_recovery.recovery_sql.library import build  # sqlglot: not at cold start

    token = f"{ctx.incident_id or ctx.connection_id}:{index}"
    script = build(template, ctx.dialect, table, filled, token)
    calls = [PlannedCall(kind="sql", dialect=script.dialect, sql=statement) for statement in script.sql]
    resolved = {**params, "schema": table.schema, "table": table.table, "keys": ctx.primary_keys}
    return calls, None, {**resolved, "dialect": ctx.dialect, "script": script.as_dict()}


def render_step(step: Step, index: int, ctx: PlanContext) -> PlanStep:
    calls, unresolved, params = _calls(step, ctx, index)
    writes = step.traits.is_write
    if step.action is Action.RESYNC_TABLES and unresolved:
        # Without a table scope, the honest fallback is a full re-sync: high risk, a human decides.
        calls = [_api("POST", f"{API}/{ctx.connection_id}/resync", {})]
        return PlanStep(
            index=index,
            action=Action.RESYNC.value,
            params={"scope": None},
            when=step.when.value,
            description=f"full re-sync ({unresolved})",
            risk="high",
            writes=True,
            before_approval=False,
            calls=calls,
        )
    return PlanStep(
        index=index,
        action=step.action.value,
        params=params,
        when=step.when.value,
        description=step.description,
        risk=step.traits.risk.value,
        writes=writes,
        before_approval=step.before_approval,
        calls=calls,
        unresolved=unresolved,
        scope=step_scope(step, ctx) if calls else None,
    )


def describe(step: PlanStep) -> str:
    """One line per step for humans: `[2] resync_tables: POST /v1/connections/x/schemas/tables/resync {...}`."""
    condition = "" if step.when == "always" else f" (only if {step.when.replace('_', ' ')})"
    gate = " [needs approval]" if step.approval_required else ""
    if not step.calls:
        detail = step.description or step.action
        if step.action == "wait":
            detail = _wait_text(step.params)
        return f"[{step.index}] {step.action}{condition}{gate}: {detail}" + (
            f" — UNRESOLVED: {step.unresolved}" if step.unresolved else ""
        )
    calls = "; ".join(c.describe() for c in step.calls)
    return f"[{step.index}] {step.action}{condition}{gate}: {calls}"


def _wait_text(params: dict[str, Any]) -> str:
    if params.get("until") == "rescheduled_for":
        return f"wait until Fivetran's rescheduled_for (+{params.get('margin_seconds', 0)} s), no API call"
    return f"wait {params.get('seconds')} s, no API call"


def resolve_step(step: PlanStep, connection_id: str, resolution: dict[str, Any] | None) -> PlanStep | None:
    """The unresolved `step` completed with an approver's resolution, or None when it does not resolve it.

    Today: which columns an `update_schema_config` with `exclude: from_diagnosis` excludes
    (`{"exclude_columns": {"schema.table": ["column"]}}`).
    """
    if not step.unresolved or not resolution or step.action != Action.UPDATE_SCHEMA_CONFIG.value:
        return None
    columns: dict[str, dict[str, list[str]]] = {}
    for ref, names in (resolution.get("exclude_columns") or {}).items():
        schema, table = ref.split(".", 1)
        columns.setdefault(schema, {})[table] = list(names)
    ctx = PlanContext(connection_id=connection_id, columns=columns)
    calls, unresolved, params = _schema_config_calls(f"{API}/{connection_id}", ctx, dict(step.params))
    if unresolved:
        return None
    return step.model_copy(update={"calls": calls, "params": params, "unresolved": None, "scope": "approver"})
