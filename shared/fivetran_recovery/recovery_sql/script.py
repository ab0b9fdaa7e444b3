"""A recovery script as data: its statements (each with the SELECT that previews the rows it changes), the backup
it takes before the first destructive statement, the undo that restores it, and the checks that prove it worked.

Everything is plain JSON once `as_dict()` is called, so a script travels in a plan, an approval and an audit
record unchanged: what was previewed and approved is what runs, and the undo is stored beside it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from fivetran_recovery.recovery_sql.identifiers import TableRef, check_dialect

STATEMENT_KINDS = ("transaction", "backup", "change", "read", "cleanup")
_EXPECT = re.compile(r"^\s*-?\s*[A-Za-z0-9_]+(\s*[-+]\s*[A-Za-z0-9_]+)*\s*$")


@dataclass(frozen=True)
class Statement:
    sql: str
    kind: str  # one of STATEMENT_KINDS
    preview: str | None = None  # the named preview count of the rows this statement changes
    destructive: bool = False

    def __post_init__(self) -> None:
        if self.kind not in STATEMENT_KINDS:
            raise ValueError(f"unknown statement kind {self.kind!r}")


@dataclass(frozen=True)
class Check:
    """After execution `sql` (one number) must equal `expect`: an integer, or preview names joined by + and -
    (`rows_before - duplicate_rows`)."""

    name: str
    sql: str
    expect: str

    def __post_init__(self) -> None:
        if not _EXPECT.match(self.expect):
            raise ValueError(f"not an expectation: {self.expect!r}")

    def expected(self, counts: dict[str, int]) -> int:
        total, sign = 0, 1
        for token in re.findall(r"[-+]|[A-Za-z0-9_]+", self.expect):
            if token in "+-":
                sign = -1 if token == "-" else 1
                continue
            value = int(token) if token.isdigit() else counts[token]
            total, sign = total + sign * value, 1
        return total


@dataclass(frozen=True)
class RecoveryScript:
    template: str
    dialect: str
    target: TableRef
    description: str
    statements: tuple[Statement, ...]
    previews: dict[str, str] = field(default_factory=dict)  # name -> SELECT COUNT(*) ... (before execution)
    checks: tuple[Check, ...] = ()
    undo: tuple[str, ...] = ()
    backup: TableRef | None = None
    touches: tuple[TableRef, ...] = ()  # every table or view the script reads or writes
    alternatives: tuple[str, ...] = ()  # other ways back (Time Travel), shown, not run
    follow_up: dict[str, Any] | None = None  # a Fivetran action to take afterwards (e.g. a table re-sync)
    notes: tuple[str, ...] = ()
    draft: bool = False  # drafted by the LLM, not a template

    def __post_init__(self) -> None:
        check_dialect(self.dialect)

    @property
    def destructive(self) -> bool:
        return any(s.destructive for s in self.statements)

    @property
    def sql(self) -> list[str]:
        return [s.sql for s in self.statements]

    @property
    def script(self) -> str:
        header = f"-- {'DRAFT (LLM) ' if self.draft else ''}{self.template} ({self.dialect}): {self.description}"
        return "\n".join([header, *(s.sql + ";" for s in self.statements)])

    @property
    def undo_script(self) -> str:
        return "\n".join(s + ";" for s in self.undo)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = self.target.as_dict()
        data["backup"] = self.backup.as_dict() if self.backup else None
        data["touches"] = [t.as_dict() for t in self.touches]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecoveryScript:
        return cls(
            template=data["template"],
            dialect=data["dialect"],
            target=TableRef.from_dict(data["target"]),
            description=data["description"],
            statements=tuple(Statement(**s) for s in data["statements"]),
            previews=dict(data.get("previews") or {}),
            checks=tuple(Check(**c) for c in data.get("checks") or ()),
            undo=tuple(data.get("undo") or ()),
            backup=TableRef.from_dict(data["backup"]) if data.get("backup") else None,
            touches=tuple(TableRef.from_dict(t) for t in data.get("touches") or ()),
            alternatives=tuple(data.get("alternatives") or ()),
            follow_up=data.get("follow_up"),
            notes=tuple(data.get("notes") or ()),
            draft=bool(data.get("draft")),
        )
