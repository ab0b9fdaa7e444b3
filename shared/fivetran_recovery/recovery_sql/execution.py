"""A planned recovery-SQL step, run the one way: the approved script (never rebuilt), previewed again just
before it runs, its backup taken, executed, checked. The result carries the backup's name and the undo script,
so the audit record of the action holds the way back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fivetran_recovery.recovery_sql.identifiers import TableRef
from fivetran_recovery.recovery_sql.script import RecoveryScript

if TYPE_CHECKING:  # the library and the runner build sqlglot trees: imported where a script is built or run
    from fivetran_recovery.recovery_sql.runner import Preview


def planned_script(params: Mapping[str, Any], token: str = "") -> RecoveryScript:
    """The script a plan step carries (older plans carry only its parameters: it is rebuilt from them)."""
    if params.get("script"):
        return RecoveryScript.from_dict(params["script"])
    from fivetran_recovery.recovery_sql.library import build

    table = TableRef(params["schema"], params["table"], params.get("project"))
    return build(params.get("template", "dedup_latest"), params["dialect"], table, params, token)


def sql_intent(params: Mapping[str, Any]) -> dict[str, Any]:
    """What the write-ahead intent of a recovery-SQL step records: where, which script, which backup. After a
    crash the outcome is read from the warehouse (`landed`), never guessed."""
    script = params.get("script") or {}
    backup = script.get("backup") or {}
    return {"warehouse": params.get("dialect"), "template": params.get("template"), "draft": bool(params.get("draft")),
            "target": f"{params.get('schema')}.{params.get('table')}",
            "backup": f"{backup.get('schema')}.{backup.get('table')}" if backup else None}


def backup_exists(script: RecoveryScript, warehouse: Any) -> bool:
    """The script's backup table is in the warehouse (its name is the step's own: incident and step index)."""
    from fivetran_recovery.recovery_sql.templates import table_exists_sql

    if script.backup is None:
        return False
    return int(warehouse.scalar(table_exists_sql(script.dialect, script.backup)) or 0) > 0


def landed(params: Mapping[str, Any], warehouse: Any) -> tuple[str, str]:
    """Did an interrupted run of this step's script change its target? ("applied" | "not_applied" | "unknown",
    the evidence), read from the warehouse after a crash, a timeout or a lost connection:

    - no backup table: the script never started (its backup runs first, on its own) -> not applied;
    - the backup is there: the counts the preview took before the change are taken again from the backup (a copy
      of the target just before it) and the script's checks run against the target: they hold -> applied; the
      target still has the backup's rows and the checks fail -> not applied (a rerun keeps that backup);
    - anything else (no backup kept, a count that cannot be mapped onto the backup) -> unknown: a person looks.
    """
    from fivetran_recovery.recovery_sql.backup import render

    script = planned_script(params)
    if script.backup is None:
        return "unknown", "the script keeps no backup: the warehouse cannot tell whether it ran"
    backup = script.backup.name
    if not backup_exists(script, warehouse):
        return "not_applied", f"no backup table {backup}: the script never started (its backup runs first)"
    target_sql, backup_sql = (render(t.node(), script.dialect) for t in (script.target, script.backup))
    counts = {name: int(warehouse.scalar(sql.replace(target_sql, backup_sql)) or 0)
              for name, sql in script.previews.items() if target_sql in sql}
    try:
        checks = {c.name: (int(warehouse.scalar(c.sql) or 0), c.expected(counts)) for c in script.checks}
    except KeyError as missing:
        return "unknown", f"backup {backup} taken; the count {missing} cannot be read from it"
    shown = ", ".join(f"{name}={actual} (want {want})" for name, (actual, want) in checks.items())
    if checks and all(actual == want for actual, want in checks.values()):
        return "applied", f"backup {backup} taken and the checks hold: {shown}"
    now, then = (int(warehouse.scalar(f"SELECT COUNT(*) FROM {name}") or 0) for name in (target_sql, backup_sql))
    if now == then:
        return "not_applied", f"backup {backup} taken, the target unchanged ({now} rows, as the backup): {shown}"
    return "unknown", f"backup {backup} taken; the target changed ({then} -> {now} rows) but {shown}"


def preview_script(params: Mapping[str, Any], warehouse: Any) -> Preview:
    from fivetran_recovery.recovery_sql.runner import ScriptRunner

    return ScriptRunner(warehouse).preview(planned_script(params))


def run_script(params: Mapping[str, Any], approved_sql: Sequence[str], warehouse: Any) -> dict[str, Any]:
    """Runs the step's script; raises ScriptMismatch when it is not exactly the approved SQL."""
    from fivetran_recovery.recovery_sql.runner import ScriptMismatch, ScriptRunner

    script = planned_script(params)
    if approved_sql and list(approved_sql) != script.sql:
        raise ScriptMismatch("the script to run differs from the SQL that was planned and approved")
    runner = ScriptRunner(warehouse)
    preview = runner.preview(script)
    # A backup already there is this step's own, from an attempt that stopped after it (`landed` said the change
    # did not land): it is the copy from just before, so it is kept, not taken again.
    outcome = runner.execute(script, preview, backup_taken=backup_exists(script, warehouse))
    failed = [c for c in outcome.checks if not c["passed"]]
    results = ", ".join(f"{c['name']}={c['actual']}" for c in outcome.checks)
    detail = (
        f"{script.template}: verified ({results})"
        if outcome.verified
        else "verification failed: " + ", ".join(f"{c['name']} {c['actual']} != {c['expected']}" for c in failed)
    )
    return {
        "verified": outcome.verified,
        "detail": detail + (f"; backup {outcome.backup}" if outcome.backup else ""),
        "response": {
            "template": script.template,
            "draft": script.draft,
            "preview": preview.counts,
            "checks": outcome.checks,
            "backup": outcome.backup,
            "statements": outcome.statements,
            "undo": list(script.undo),
            "script": script.as_dict(),
        },
    }


def recorded_script(params: Mapping[str, Any]) -> dict[str, Any]:
    """What an action record keeps of a script whose run was verified from the warehouse after a crash: the same
    way back as `run_script`'s response (backup, undo, the script), without the counts it did not see."""
    script = planned_script(params)
    return {"template": script.template, "draft": script.draft, "backup": script.backup.name if script.backup else None,
            "undo": list(script.undo), "script": script.as_dict()}


def undo_script(script: Mapping[str, Any], warehouse: Any) -> dict[str, Any]:
    """Runs a stored script's undo (the "roll back this action" of a recovery-SQL step)."""
    from fivetran_recovery.recovery_sql.runner import ScriptRunner

    recovery = RecoveryScript.from_dict(dict(script))
    outcome = ScriptRunner(warehouse).undo(recovery)
    return {"verified": outcome.verified, "checks": outcome.checks, "backup": outcome.backup,
            "statements": outcome.statements}


def plan_previews(workflow: Mapping[str, Any], get_warehouse: Any) -> list[dict[str, Any]]:
    """The dry run of every recovery-SQL step of a plan (run by remediate's begin, before any approval): counts
    per statement and EXPLAIN, shown to the approver beside the SQL. `get_warehouse` is called only if a step
    needs it."""
    previews = []
    for step in workflow["plan"]["steps"]:
        if step["action"] != "run_recovery_sql" or step.get("unresolved"):
            continue
        warehouse = get_warehouse() if callable(get_warehouse) else get_warehouse
        entry: dict[str, Any] = {"step": step["index"]}
        if warehouse is None:
            entry["error"] = "no warehouse configured: no preview"
        else:
            try:
                preview = preview_script(step["params"], warehouse)
                entry.update(preview.as_dict(), lines=preview.lines())
            except Exception as exc:  # a preview that cannot run is shown as such; the step will fail too
                entry["error"] = f"preview failed: {type(exc).__name__}"
        previews.append(entry)
    return previews


def preview_lines(workflow: Mapping[str, Any]) -> list[str]:
    """The preview lines begin computed, for approval requests and pages."""
    previews = ((workflow.get("begin") or {}).get("value") or {}).get("sql_preview") or []
    lines: list[str] = []
    for entry in previews:
        lines.extend(entry.get("lines") or [f"[{entry['step']}] preview: {entry.get('error', 'none')}"])
    return lines


def resolved_by_begin(workflow: Mapping[str, Any]) -> dict[str, Any]:
    """{step index: step} that remediate's begin completed (by probing the destination)."""
    return ((workflow.get("begin") or {}).get("value") or {}).get("resolved_steps") or {}


def plan_steps(workflow: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plan's steps with those begin completed in place (what the approval shows and counts)."""
    resolved = resolved_by_begin(workflow)
    return [resolved.get(str(s["index"]), s) for s in workflow["plan"]["steps"]]

