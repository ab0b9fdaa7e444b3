"""Which table holds the duplicate keys, asked of the destination itself when the failure does not say.

Fivetran's "Duplicate row detected during DML action" names no table. Before the approval, remediate's begin
counts duplicate primary keys in every enabled table of the connection's schema config (destination names, keys
from `is_primary_key`: structured evidence only). When exactly one table has them, the unresolved dedup step is
completed with the script for that table; the approval then shows it with its preview, and the step runs it.
"""

from __future__ import annotations

import logging
from typing import Any

from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.recovery_sql import TableRef, WarehouseError
from fivetran_recovery.recovery_sql.execution import resolved_by_begin
from fivetran_recovery.workflow.sql_proposal import script_step

logger = logging.getLogger(__name__)
DEDUP = ("dedup_primary_key", "dedup_latest")
MAX_TABLES = 200


def destination_tables(schema_config: Any) -> list[tuple[TableRef, list[str]]]:
    """(table, primary keys) of every enabled table with a primary key, by destination names."""
    found = []
    for schema, entry in (schema_config.schemas or {}).items():
        if entry.enabled is False:
            continue
        for table, config in (entry.tables or {}).items():
            if config.enabled is False:
                continue
            keys = [c.name_in_destination or n for n, c in (config.columns or {}).items() if c.is_primary_key]
            if keys:
                ref = TableRef(entry.name_in_destination or schema, config.name_in_destination or table)
                found.append((ref, keys))
    return found[:MAX_TABLES]


def tables_with_duplicates(warehouse: Any, schema_config: Any) -> list[tuple[TableRef, list[str], int]]:
    from fivetran_recovery.recovery_sql.templates import duplicate_groups_sql  # sqlglot: not at cold start

    hits = []
    for ref, keys in destination_tables(schema_config):
        try:
            groups = int(warehouse.scalar(duplicate_groups_sql(warehouse.dialect, ref, keys)) or 0)
        except (WarehouseError, ValueError):  # not in the destination (yet), or a name we refuse
            continue
        if groups:
            hits.append((ref, keys, groups))
    return hits


def probe_unresolved(workflow: dict[str, Any], get_warehouse: Any, fivetran: Any) -> dict[str, dict[str, Any]]:
    """{step index: the completed step} for unresolved dedup steps the destination can resolve."""
    resolved: dict[str, dict[str, Any]] = {}
    for raw in workflow["plan"]["steps"]:
        if raw["action"] != "run_recovery_sql" or not raw.get("unresolved"):
            continue
        if raw["params"].get("template", "dedup_latest") not in DEDUP:
            continue
        warehouse = get_warehouse()
        if warehouse is None:
            continue
        try:
            read = getattr(fivetran, "full_schema_config", None) or fivetran.get_schema_config  # with every column
            hits = tables_with_duplicates(warehouse, read(workflow["connection_id"]))
        except Exception as exc:  # the probe is a help; without it the step stays unresolved for a person
            logger.warning("duplicate probe failed", extra={"error": type(exc).__name__})
            continue
        if len(hits) != 1:
            continue
        ref, keys, groups = hits[0]
        token = f"{workflow['incident_id']}:{raw['index']}"
        from fivetran_recovery.recovery_sql.library import build

        script = build("dedup_latest", warehouse.dialect, ref, {"keys": keys}, token)
        step = script_step(PlanStep.model_validate(raw), script)
        step = step.model_copy(update={"scope": "destination_probe",
                                       "description": f"{groups} duplicated keys found in {ref.name}"})
        resolved[str(raw["index"])] = step.model_dump(mode="json")
    return resolved


def with_probed(workflow: dict[str, Any], probed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The workflow with its probed steps in place (what the preview and the approval show)."""
    if not probed:
        return workflow
    steps = [probed.get(str(s["index"]), s) for s in workflow["plan"]["steps"]]
    return {**workflow, "plan": {**workflow["plan"], "steps": steps}}


def probed_step(workflow: dict[str, Any], index: int) -> PlanStep | None:
    """The step begin completed by probing the destination (None when it did not)."""
    probed = resolved_by_begin(workflow).get(str(index))
    return PlanStep.model_validate(probed) if probed else None
