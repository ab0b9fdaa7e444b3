"""Identifiers for recovery SQL: validated names turned into quoted sqlglot nodes.

Names come from structured evidence only (the schema config, the destination's information schema, Fivetran's
system columns). They are still checked against a strict pattern and always rendered quoted for the dialect, so
an unexpected name can neither inject SQL nor silently change case.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fivetran_recovery.config import WAREHOUSE_DIALECTS as DIALECTS

if TYPE_CHECKING:  # sqlglot is imported where a node is built, not at import (it costs a handler's cold start)
    from sqlglot import exp

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
_BIGQUERY_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
MAX_IDENT = 127  # Redshift's limit, the tightest of the four
SYNCED = "_fivetran_synced"
DELETED = "_fivetran_deleted"
FIVETRAN_ID = "_fivetran_id"


def check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; one of {', '.join(DIALECTS)}")
    return dialect


def check_ident(value: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value) or len(value) > MAX_IDENT:
        raise ValueError(f"not a safe SQL identifier: {value!r}")
    return value


def ident(name: str) -> exp.Identifier:
    from sqlglot import exp

    return exp.to_identifier(check_ident(name), quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    from sqlglot import exp

    return exp.Column(this=ident(name), table=ident(table) if table else None)


@dataclass(frozen=True)
class TableRef:
    schema: str
    table: str
    project: str | None = None  # BigQuery only

    def __post_init__(self) -> None:
        check_ident(self.schema)
        check_ident(self.table)
        if self.project is not None and not _BIGQUERY_PROJECT.match(self.project):
            raise ValueError(f"not a BigQuery project id: {self.project!r}")

    def node(self, alias: str | None = None) -> exp.Table:
        from sqlglot import exp

        catalog = exp.to_identifier(self.project, quoted=True) if self.project else None
        table = exp.Table(this=ident(self.table), db=ident(self.schema), catalog=catalog)
        if alias:
            table.set("alias", exp.TableAlias(this=ident(alias)))
        return table

    def sibling(self, table: str) -> TableRef:
        """A table in the same schema (backups, quarantine tables, compatibility views)."""
        return TableRef(self.schema, table, self.project)

    @property
    def name(self) -> str:
        return ".".join(p for p in (self.project, self.schema, self.table) if p)

    def as_dict(self) -> dict[str, str | None]:
        return {"schema": self.schema, "table": self.table, "project": self.project}

    @classmethod
    def from_dict(cls, data: dict) -> TableRef:
        return cls(data["schema"], data["table"], data.get("project"))


def derived_name(base: str, suffix: str, token: str = "") -> str:
    """`<base>__<suffix>[_<8 hex of token>]`, shortened to fit every dialect's identifier limit."""
    tail = f"__{suffix}" + (f"_{hashlib.sha256(token.encode()).hexdigest()[:8]}" if token else "")
    return check_ident(base[: MAX_IDENT - len(tail)] + tail)
