"""Approvals scoped like change control: who may decide which approval, and what a resolution may touch.

- The approval carries its policy from the plan: the owning team (owners.yaml routing), the playbook's risk, the
  connection's criticality, and the objects the plan touches or names.
- An approver decides only for their teams (the approver secret's `teams`), unless an admin.
- A high-risk plan on a critical connection needs two different approvers.
- `resolve` columns must exist in the connection's schema and lie within the plan's affected tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def approval_policy(workflow: Mapping[str, Any], team: str | None) -> dict[str, Any]:
    decision, playbook, scope = workflow["decision"], workflow["playbook"], workflow.get("scope") or {}
    affected: list[str] = []
    for source in (scope.get("tables") or {}, scope.get("suggested_by_text") or {}):
        affected += [f"{schema}.{table}" for schema, tables in source.items() for table in tables]
    critical = bool(decision.get("critical"))
    return {"team": team, "risk": playbook.get("risk"), "critical": critical,
            "two_person": playbook.get("risk") == "high" and critical, "affected_tables": sorted(set(affected))}


def schema_columns(config: Mapping[str, Any] | None) -> dict[str, set[str]]:
    """`schema.table` -> its column names, from a schema-config document."""
    from fivetran_recovery.snapshots.diff import schema_tables

    return {f"{s}.{t}": set(columns) for (s, t), columns in schema_tables(config).items()}


def resolution_problem(resolution: Mapping[str, Any], policy: Mapping[str, Any],
                       known: dict[str, set[str]] | None) -> str | None:
    """Why this resolution may not be applied (None when every value checks out)."""
    if known is None:
        return "the connection's schema could not be read to check the resolution; try again"
    affected = set(policy.get("affected_tables") or [])
    for table, columns in (resolution.get("exclude_columns") or {}).items():
        if table not in known:
            return f"{table} is not a table of this connection's schema"
        if affected and table not in affected:
            return f"{table} is not one of the tables this plan touches ({', '.join(sorted(affected))})"
        missing = sorted(set(columns) - known[table])
        if missing:
            return f"{', '.join(missing)} not in {table} (its columns: {', '.join(sorted(known[table])[:20])})"
    return None
