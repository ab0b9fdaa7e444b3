"""Run any dialect's recovery SQL on DuckDB: sqlglot transpiles, and a few rewrites cover what it leaves
dialect-specific (zero-copy clones, Redshift's `LIKE` tables, JSON validity functions, BigQuery's per-dataset
INFORMATION_SCHEMA and project catalogs). Used to prove every template and every LLM draft on a DuckDB copy."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from fivetran_recovery.recovery_sql.identifiers import check_dialect


def parse(sql: str, dialect: str) -> exp.Expression:
    """One statement parsed strictly in `dialect` (ValueError if it does not parse or is not one statement)."""
    check_dialect(dialect)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE) if s]
    except sqlglot.errors.SqlglotError as exc:
        raise ValueError(f"does not parse as {dialect}: {str(exc)[:200]}") from None
    if len(statements) != 1:
        raise ValueError(f"expected one statement, got {len(statements)}")
    if isinstance(statements[0], exp.Command):
        raise ValueError(f"{dialect} parser kept it only as an opaque command: {sql[:80]!r}")
    return statements[0]


def _json_valid(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="json_valid", expressions=[value])


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Create) and node.args.get("clone"):
        source = node.args["clone"].this
        return exp.Create(this=node.this, kind="TABLE", expression=exp.select(exp.Star()).from_(source))
    if isinstance(node, exp.Create) and isinstance(node.this, exp.Schema):
        likes = [e for e in node.this.expressions if isinstance(e, exp.LikeProperty)]
        if likes:
            empty = exp.select(exp.Star()).from_(likes[0].this).limit(0)
            return exp.Create(this=node.this.this, kind="TABLE", expression=empty)
    if isinstance(node, exp.SafeFunc) and isinstance(node.this, exp.ParseJSON):
        value = node.this.this
        return exp.Case(ifs=[exp.If(this=_json_valid(value.copy()), true=exp.cast(value.copy(), "JSON"))])
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "CAN_JSON_PARSE":
        return _json_valid(node.expressions[0])
    return node


def _bigquery_tables(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table):
        if node.name.upper() == "INFORMATION_SCHEMA.TABLES":
            return exp.Table(this=exp.to_identifier("tables"), db=exp.to_identifier("information_schema"))
        node.set("catalog", None)  # DuckDB has no project: the dataset is the schema
    return node


def to_duckdb(sql: str, dialect: str) -> str:
    """`sql` (one statement in `dialect`) as DuckDB runs it."""
    tree = parse(sql, dialect)
    if dialect == "bigquery":  # the dataset a per-dataset INFORMATION_SCHEMA read was scoped to
        for table in tree.find_all(exp.Table):
            if table.name.upper() == "INFORMATION_SCHEMA.TABLES" and table.db and isinstance(tree, exp.Select):
                tree = tree.where(exp.EQ(this=exp.column("table_schema"), expression=exp.Literal.string(table.db)))
        tree = tree.transform(_bigquery_tables)
    tree = tree.transform(_rewrite)
    return tree.sql(dialect="duckdb", identify=True)


class DuckDBAs:
    """A DuckDB warehouse that speaks another dialect: every statement is transpiled to DuckDB first. The
    templates of every dialect, and LLM drafts, are proven on it."""

    def __init__(self, duckdb_warehouse, dialect: str):
        self.inner = duckdb_warehouse
        self.dialect = check_dialect(dialect)

    def execute(self, statements) -> None:
        self.inner.execute([to_duckdb(s, self.dialect) for s in statements])

    def rows(self, sql: str):
        return self.inner.rows(to_duckdb(sql, self.dialect))

    def scalar(self, sql: str):
        return self.inner.scalar(to_duckdb(sql, self.dialect))

    def explain(self, sql: str):
        return self.inner.explain(to_duckdb(sql, self.dialect))
