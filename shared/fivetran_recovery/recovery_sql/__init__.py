"""Recovery SQL: the exact statements a data-repair playbook runs in the destination, per dialect."""

from fivetran_recovery.recovery_sql.dedup import (
    DIALECTS,
    RecoverySql,
    TableRef,
    dedup_primary_key,
    duplicate_count_sql,
)
from fivetran_recovery.recovery_sql.warehouse import Warehouse, WarehouseError, warehouse_from_url

__all__ = [
    "DIALECTS",
    "RecoverySql",
    "TableRef",
    "Warehouse",
    "WarehouseError",
    "dedup_primary_key",
    "duplicate_count_sql",
    "warehouse_from_url",
]
