"""Rollback of what a recovery changed, from the before-state its audit records hold.

- `schema_before(config, params)`: what an `update_schema_config` is about to change, read before it changes it
  (remediate stores it in the action's audit record).
- `revert_steps(record)`: the plan steps that put one audited action back (pause <-> resume, the previous
  schedule, the previous schema change handling and column states, a recovery script's undo).
- `auto_rollback(...)`: a playbook's own rollback steps, run when its verification failed, only when every one
  of them is low risk; anything else waits for a person ("roll back this action", always approved).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fivetran_recovery.models.workflow import PlannedCall, PlanStep

API = "/v1/connections"
REVERTIBLE = ("pause", "resume", "update_schedule", "update_schema_config", "run_recovery_sql")


class NotRevertible(ValueError):
    """The audit record holds no before-state this action can be put back to."""


def schema_before(config: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of the schema config an update is about to change, as they are now."""
    before: dict[str, Any] = {}
    if params.get("schema_change_handling"):
        before["schema_change_handling"] = config.schema_change_handling
    schemas: dict[str, Any] = {}
    for schema, entry in (params.get("schemas") or {}).items():
        current = config.schemas.get(schema)
        for table, table_patch in (entry.get("tables") or {}).items():
            table_now = current.tables.get(table) if current else None
            columns = {
                column: {"enabled": bool(table_now.columns[column].enabled)}
                for column in (table_patch.get("columns") or {})
                if table_now and column in table_now.columns
            }
            if columns:
                schemas.setdefault(schema, {"tables": {}})["tables"][table] = {"columns": columns}
    if schemas:
        before["schemas"] = schemas
    return before


def _api_step(index: int, action: str, method: str, path: str, body: Any, params: dict, why: str) -> PlanStep:
    return PlanStep(
        index=index, action=action, params=params, description=why, risk="low" if action != "run_recovery_sql"
        else "high", writes=True, calls=[PlannedCall(kind="fivetran_api", method=method, path=path, body=body)],
    )


def revert_steps(record: Mapping[str, Any], connection_id: str, index: int = 0) -> list[PlanStep]:
    """The steps that revert one audited action (`kind == "action"`), or NotRevertible."""
    detail = record.get("detail") or {}
    action, before = detail.get("action"), detail.get("before") or {}
    base = f"{API}/{connection_id}"
    seq = record.get("seq")
    why = f"roll back {action} (audit record {seq}) to its before-state"
    if action in ("pause", "resume"):
        if before.get("paused") is None:
            raise NotRevertible(f"{action}: the record has no before-state of paused")
        paused = bool(before["paused"])
        return [_api_step(index, "pause" if paused else "resume", "PATCH", base, {"paused": paused}, {}, why)]
    if action == "update_schedule":
        body = {k: before[k] for k in ("sync_frequency", "schedule_type") if before.get(k) is not None}
        if not body:
            raise NotRevertible("update_schedule: the record has no before-state of the schedule")
        return [_api_step(index, "update_schedule", "PATCH", base, body, body, why)]
    if action == "update_schema_config":
        previous = ((detail.get("result") or {}).get("response") or {}).get("schema_before") or {}
        if not previous:
            raise NotRevertible("update_schema_config: the record has no before-state of the schema config")
        return [_api_step(index, "update_schema_config", "PATCH", f"{base}/schemas", previous, previous, why)]
    if action == "run_recovery_sql":
        raise NotRevertible("a recovery script is rolled back by its undo script (undo_as_script)")
    raise NotRevertible(f"{action} changes nothing that can be put back")


def auto_rollback(
    workflow: Mapping[str, Any], run_step: Callable[[PlanStep], Any], audit: Callable[[str, dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """Runs the plan's rollback steps when every one of them is low risk and the path was allowed to act."""
    steps = [PlanStep.model_validate(s) for s in (workflow.get("plan") or {}).get("rollback") or []]
    if not steps or workflow["decision"]["path"] == "monitor":
        return []
    risky = [s for s in steps if s.risk != "low"]
    if risky:
        audit("rollback_needs_approval", {"steps": [s.action for s in risky], "reason": "not low risk"})
        return []
    done = []
    for step in steps:
        try:
            result = run_step(step)
            done.append({"step": step.index, "action": step.action, "status": "done", "detail": str(result)[:300]})
        except Exception as exc:  # a failed rollback is recorded and escalated with the verification failure
            done.append({"step": step.index, "action": step.action, "status": "failed", "error": type(exc).__name__})
            break
    audit("rollback", {"automatic": True, "steps": done})
    return done


def revertible(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The incident's audited actions that can be rolled back, newest first."""
    return [r for r in reversed(list(records)) if r.get("kind") == "action"
            and (r.get("detail") or {}).get("action") in REVERTIBLE]


def rollback_name(incident_id: str, seq: int) -> str:
    """The rollback workflow's incident id (and Step Functions execution name) for one audited action."""
    return f"{incident_id}-rollback-{seq}"


def rollback_options(records: Iterable[Mapping[str, Any]], incident_id: str) -> list[dict[str, Any]]:
    """The incident's revertible actions, newest first, each with what putting it back would do: the rollback's
    calls for a Fivetran change (`plan`; None with `why_not` when its record holds no before-state), `sql` for a
    recovery script (rolled back by its stored undo), and the rollback already proposed for it (`proposed`)."""
    from fivetran_recovery.policy.dry_run import describe

    records = list(records)
    proposed = {r.get("detail", {}).get("rollback_incident_id"): r for r in records
                if r.get("kind") == "rollback_proposed"}
    out = []
    for record in revertible(records):
        detail, seq = record.get("detail") or {}, int(record["seq"])
        option: dict[str, Any] = {"seq": seq, "step": detail.get("step"), "action": detail.get("action"),
                                  "connection_id": record.get("chain_id"), "sql": False, "plan": None,
                                  "why_not": None, "proposed": None}
        by = proposed.get(rollback_name(incident_id, seq))
        if by is not None:
            option["proposed"] = {"rollback_incident_id": rollback_name(incident_id, seq), "by": by.get("actor"),
                                  "at": by.get("recorded_at")}
        if detail.get("action") == "run_recovery_sql":
            option["sql"] = True
        else:
            try:
                option["plan"] = [describe(s) for s in revert_steps(record, str(record.get("chain_id")))]
            except NotRevertible as exc:
                option["why_not"] = str(exc)
        out.append(option)
    return out
