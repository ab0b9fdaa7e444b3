"""Proof before execution, and the way back after it.

    runner = ScriptRunner(warehouse)
    preview = runner.preview(script)          # counts per statement from SELECT equivalents, EXPLAIN where it can
    outcome = runner.execute(script, preview) # backup first, then the statements, then the checks
    undone = runner.undo(script)              # the stored undo, checked against the backup's row count

A failed check makes `outcome.verified` false; the caller fails the step (the backup and undo stay on record).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fivetran_recovery.recovery_sql.backup import render, select_all
from fivetran_recovery.recovery_sql.script import RecoveryScript
from fivetran_recovery.recovery_sql.warehouse import Warehouse, WarehouseError

EXPLAIN_CHARS = 2000  # plans travel in the workflow state (Step Functions caps it at 256 KB)


class ScriptMismatch(RuntimeError):
    """The warehouse does not speak the script's dialect: nothing runs."""


@dataclass
class Preview:
    template: str
    dialect: str
    counts: dict[str, int]
    statements: list[dict[str, Any]]  # index, kind, sql, rows (the preview count), explain
    backup: str | None
    draft: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The preview beside the SQL, one line per statement, as approvals show it."""
        tag = "DRAFT (LLM) " if self.draft else ""
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        head = f"{tag}{self.template} ({self.dialect}) preview: {counts}"
        out = [head + (f"; backup {self.backup}" if self.backup else "")]
        for s in self.statements:
            rows = "" if s["rows"] is None else f" [{s['rows']} rows]"
            out.append(f"  {s['index']}. {s['kind']}{rows}: {s['sql']}")
        return out


@dataclass
class Outcome:
    verified: bool
    backup: str | None
    checks: list[dict[str, Any]] = field(default_factory=list)
    statements: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ScriptRunner:
    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def _same_dialect(self, script: RecoveryScript) -> None:
        if script.dialect != self.warehouse.dialect:
            raise ScriptMismatch(f"the script is {script.dialect}, the warehouse speaks {self.warehouse.dialect}")

    def preview(self, script: RecoveryScript) -> Preview:
        """Runs only the script's SELECTs (and EXPLAIN): nothing is changed."""
        self._same_dialect(script)
        counts = {name: int(self.warehouse.scalar(sql) or 0) for name, sql in script.previews.items()}
        statements = []
        for index, statement in enumerate(script.statements, 1):
            explain = None
            if statement.kind == "change":
                explain = self._explain(statement.sql)
            statements.append(
                {
                    "index": index,
                    "kind": statement.kind,
                    "sql": statement.sql,
                    "rows": counts.get(statement.preview) if statement.preview else None,
                    "destructive": statement.destructive,
                    "explain": explain,
                }
            )
        backup = script.backup.name if script.backup else None
        return Preview(script.template, script.dialect, counts, statements, backup, script.draft)

    def _explain(self, sql: str) -> str | None:
        explain = getattr(self.warehouse, "explain", None)
        if explain is None:
            return None
        try:
            plan = explain(sql)
            return plan[:EXPLAIN_CHARS] if plan else plan
        except WarehouseError:  # e.g. it reads a table an earlier statement of the script creates
            return None

    def execute(self, script: RecoveryScript, preview: Preview, *, backup_taken: bool = False) -> Outcome:
        """Backup statements first (each on its own: the copy must exist before anything changes), then the rest
        as one unit, then every check against the preview's counts. `backup_taken`: an earlier attempt of this
        very script took the backup and stopped before the change: the backup is not taken again."""
        self._same_dialect(script)
        if script.destructive and script.backup is None:
            raise ScriptMismatch("a destructive script without a backup is never run")
        backups = [] if backup_taken else [s.sql for s in script.statements if s.kind == "backup"]
        rest = [s.sql for s in script.statements if s.kind != "backup"]
        if backups:
            self.warehouse.execute(backups)
        if rest:
            self.warehouse.execute(rest)
        return Outcome(**self._checked(script, preview.counts, len(script.statements)))

    def _checked(self, script: RecoveryScript, counts: dict[str, int], statements: int) -> dict[str, Any]:
        checks = []
        for check in script.checks:
            actual = int(self.warehouse.scalar(check.sql) or 0)
            expected = check.expected(counts)
            checks.append({"name": check.name, "actual": actual, "expected": expected, "passed": actual == expected})
        return {
            "verified": all(c["passed"] for c in checks),
            "backup": script.backup.name if script.backup else None,
            "checks": checks,
            "statements": statements,
        }

    def undo(self, script: RecoveryScript) -> Outcome:
        """Runs the stored undo; verified when the target holds exactly the backup's rows again."""
        self._same_dialect(script)
        if not script.undo:
            raise ScriptMismatch(f"{script.template} has nothing to undo")
        self.warehouse.execute(list(script.undo))
        if script.backup is None:
            return Outcome(verified=True, backup=None, statements=len(script.undo))
        count = f"SELECT COUNT(*) FROM ({render(select_all(script.backup), script.dialect)}) AS b"
        target = f"SELECT COUNT(*) FROM ({render(select_all(script.target), script.dialect)}) AS t"
        expected, actual = int(self.warehouse.scalar(count) or 0), int(self.warehouse.scalar(target) or 0)
        check = {"name": "rows_restored", "actual": actual, "expected": expected, "passed": actual == expected}
        return Outcome(verified=check["passed"], backup=script.backup.name, checks=[check], statements=len(script.undo))
