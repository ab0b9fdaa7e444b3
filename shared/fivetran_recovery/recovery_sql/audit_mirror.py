"""The audit trail mirrored into the destination: one append-only table (`fivetran_recovery_audit` in a schema
of your choice) holding every record with its hash, previous hash and signature, so analysts can join actions to
their data. Inserts are idempotent (a record already there by chain and seq is skipped), and the mirror never
updates or deletes: grant its role INSERT and SELECT on that table only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlglot import exp

from fivetran_recovery.recovery_sql.backup import render
from fivetran_recovery.recovery_sql.identifiers import TableRef, check_dialect, col

AUDIT_TABLE = "fivetran_recovery_audit"
COLUMNS = (
    ("chain_id", "VARCHAR"), ("seq", "BIGINT"), ("incident_id", "VARCHAR"), ("recorded_at", "VARCHAR"),
    ("kind", "VARCHAR"), ("actor", "VARCHAR"), ("detail_json", "VARCHAR"), ("prev_hash", "VARCHAR"),
    ("hash", "VARCHAR"), ("signature", "VARCHAR"),
)
BATCH = 200


def create_table_sql(dialect: str, table: TableRef) -> str:
    check_dialect(dialect)
    columns = [exp.ColumnDef(this=col(name).this, kind=exp.DataType.build(kind)) for name, kind in COLUMNS]
    return render(exp.Create(this=exp.Schema(this=table.node(), expressions=columns), kind="TABLE", exists=True),
                  dialect)


def _row(record: Any) -> exp.Select:
    from fivetran_recovery.audit.chain import canonical_json

    values = {
        "chain_id": record.chain_id, "seq": record.seq, "incident_id": record.incident_id,
        "recorded_at": record.recorded_at, "kind": record.kind, "actor": record.actor,
        "detail_json": canonical_json(record.detail), "prev_hash": record.prev_hash, "hash": record.hash,
        "signature": getattr(record, "signature", None),
    }
    projections = []
    for name, kind in COLUMNS:
        value = values[name]
        literal = exp.Null() if value is None else (
            exp.Literal.number(int(value)) if kind == "BIGINT" else exp.Literal.string(str(value)))
        projections.append(exp.alias_(exp.cast(literal, kind), name, quoted=True))
    return exp.select(*projections)


def insert_sql(dialect: str, table: TableRef, records: Sequence[Any]) -> str:
    """One INSERT … SELECT of the records not yet in the table (matched by chain and seq)."""
    rows: exp.Query = _row(records[0])
    for record in records[1:]:
        rows = exp.union(rows, _row(record), distinct=False)
    new = exp.Subquery(this=rows, alias=exp.TableAlias(this=exp.to_identifier("v", quoted=True)))
    present = exp.select(exp.Literal.number(1)).from_(table.node("a")).where(exp.and_(
        exp.EQ(this=col("chain_id", "a"), expression=col("chain_id", "v")),
        exp.EQ(this=col("seq", "a"), expression=col("seq", "v")),
    ))
    select = exp.select(*[col(name, "v") for name, _ in COLUMNS]).from_(new).where(exp.not_(exp.Exists(this=present)))
    return render(exp.insert(select, table.node(), columns=[col(n).this for n, _ in COLUMNS]), dialect)


class AuditMirror:
    def __init__(self, warehouse: Any, schema: str, table: str = AUDIT_TABLE):
        self.warehouse = warehouse
        self.table = TableRef(schema, table)
        self._created = False

    def mirror(self, records: Iterable[Any]) -> int:
        """Appends the records the table lacks; returns how many rows the table gained."""
        records = list(records)
        dialect = self.warehouse.dialect
        if not self._created:
            schema = exp.Create(this=exp.Table(this=exp.to_identifier(self.table.schema, quoted=True)),
                                kind="SCHEMA", exists=True)
            self.warehouse.execute([render(schema, dialect), create_table_sql(dialect, self.table)])
            self._created = True
        count = render(exp.select(exp.Count(this=exp.Star())).from_(self.table.node()), dialect)
        before = int(self.warehouse.scalar(count) or 0)
        for start in range(0, len(records), BATCH):
            self.warehouse.execute([insert_sql(dialect, self.table, records[start : start + BATCH])])
        return int(self.warehouse.scalar(count) or 0) - before


def audit_mirror_for(warehouse: Any, schema: str | None) -> Any:
    """The notify function's mirror (`mirror(records) -> int`), or None without a warehouse or schema."""
    if warehouse is None or not schema:
        return None
    return AuditMirror(warehouse, schema).mirror
