"""Recovery SQL: the statements a data-repair playbook runs in the destination, per dialect, with their preview,
backup, undo and verification (see templates.py, runner.py)."""

from fivetran_recovery.recovery_sql.identifiers import DIALECTS, TableRef
from fivetran_recovery.recovery_sql.script import Check, RecoveryScript, Statement
from fivetran_recovery.recovery_sql.templates import (
    dedup_latest,
    drop_and_resync,
    duplicate_groups_sql,
    restore_from_backup,
    soft_delete_audit,
)
from fivetran_recovery.recovery_sql.warehouse import Warehouse, WarehouseError, warehouse_from_url

duplicate_count_sql = duplicate_groups_sql  # the name verification used first

__all__ = [
    "DIALECTS",
    "Check",
    "RecoveryScript",
    "Statement",
    "TableRef",
    "Warehouse",
    "WarehouseError",
    "dedup_latest",
    "drop_and_resync",
    "duplicate_count_sql",
    "duplicate_groups_sql",
    "restore_from_backup",
    "soft_delete_audit",
    "warehouse_from_url",
]
