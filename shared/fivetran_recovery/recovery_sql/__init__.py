"""Recovery SQL: the statements a data-repair playbook runs in the destination, per dialect, with their preview,
backup, undo and verification (see templates.py, runner.py).

This package's names are the cheap ones (no sqlglot): the handlers import them at cold start. The templates
(`recovery_sql.templates`, `.library`, `.undo`, ...) build sqlglot trees: import them where a script is built."""

from fivetran_recovery.recovery_sql.identifiers import DIALECTS, TableRef
from fivetran_recovery.recovery_sql.script import Check, RecoveryScript, Statement
from fivetran_recovery.recovery_sql.warehouse import Warehouse, WarehouseError, warehouse_from_url

__all__ = [
    "DIALECTS",
    "Check",
    "RecoveryScript",
    "Statement",
    "TableRef",
    "Warehouse",
    "WarehouseError",
    "warehouse_from_url",
]
