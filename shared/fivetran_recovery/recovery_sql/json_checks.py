"""Whether a text value is valid JSON, in each dialect's own words: Snowflake `TRY_PARSE_JSON`, BigQuery
`SAFE.PARSE_JSON`, Redshift `CAN_JSON_PARSE` (before `JSON_PARSE`), DuckDB `json_valid`."""

from __future__ import annotations

from sqlglot import exp


def invalid_json(dialect: str, value: exp.Expression) -> exp.Expression:
    """True for a non-null value that does not parse as JSON."""
    present = exp.not_(exp.Is(this=value.copy(), expression=exp.Null()))
    if dialect == "snowflake":
        bad = exp.Is(this=exp.Anonymous(this="TRY_PARSE_JSON", expressions=[value.copy()]), expression=exp.Null())
    elif dialect == "bigquery":
        bad = exp.Is(this=exp.SafeFunc(this=exp.ParseJSON(this=value.copy())), expression=exp.Null())
    elif dialect == "redshift":
        bad = exp.not_(exp.Anonymous(this="CAN_JSON_PARSE", expressions=[value.copy()]))
    else:
        bad = exp.not_(exp.Anonymous(this="json_valid", expressions=[value.copy()]))
    return exp.and_(present, bad)
