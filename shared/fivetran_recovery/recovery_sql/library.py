"""The templates by name, built from a plan step's structured parameters (what a playbook or an approver gives:
destination table, primary keys, columns and types from the information schema). `build` is the one entry
point the plan, the executor and the drills use, so they cannot build a script differently."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fivetran_recovery.recovery_sql import templates as t
from fivetran_recovery.recovery_sql import templates_data as d
from fivetran_recovery.recovery_sql.identifiers import TableRef
from fivetran_recovery.recovery_sql.script import RecoveryScript


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


Builder = Callable[[str, TableRef, Mapping[str, Any], str], RecoveryScript]

TEMPLATES: dict[str, Builder] = {
    "dedup_latest": lambda dialect, table, p, token: t.dedup_latest(dialect, table, p["keys"], token=token),
    "drop_and_resync": lambda dialect, table, p, token: t.drop_and_resync(dialect, table, token=token),
    "soft_delete_audit": lambda dialect, table, p, token: t.soft_delete_audit(dialect, table, _time(p["since"])),
    "restore_from_backup": lambda dialect, table, p, token: t.restore_from_backup(
        dialect, table, table.sibling(p["backup_table"]), p["keys"], token=token
    ),
    "gap_check": lambda dialect, table, p, token: d.gap_check(
        dialect, table, _time(p["start"]), _time(p["end"]), p.get("time_column") or "_fivetran_synced"
    ),
    "compatibility_view": lambda dialect, table, p, token: d.compatibility_view(
        dialect, table, p["columns"], expected_types=p.get("expected_types"), renames=p.get("renames")
    ),
    "alter_column_type": lambda dialect, table, p, token: d.alter_column_type(
        dialect, table, p["column"], p["old_type"], p["new_type"], token=token
    ),
    "json_quarantine": lambda dialect, table, p, token: d.json_quarantine(dialect, table, p["column"], token=token),
}
ALIASES = {"dedup_primary_key": "dedup_latest"}  # the first playbook's name for it
NAMES = frozenset(TEMPLATES) | frozenset(ALIASES)


def build(template: str, dialect: str, table: TableRef, params: Mapping[str, Any], token: str) -> RecoveryScript:
    name = ALIASES.get(template, template)
    if name not in TEMPLATES:
        raise ValueError(f"unknown recovery template {template!r}; one of {', '.join(sorted(NAMES))}")
    try:
        return TEMPLATES[name](dialect, table, params, token)
    except KeyError as missing:
        raise ValueError(f"{name} needs the parameter {missing}") from None
