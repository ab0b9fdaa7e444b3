"""When each connection's tables were read downstream, from the warehouse's own query history (cost-aware
scheduling weighs freshness at these moments, prediction/scheduling.py).

One query per predict run over the last `days` of successful SELECTs, excluding our own (QUERY_TAG / job label):

- Snowflake `SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY` (start_time, query_text, query_type, execution_status,
  query_tag; needs IMPORTED PRIVILEGES on the SNOWFLAKE database; up to 45 min behind),
- BigQuery `` `region-<location>`.INFORMATION_SCHEMA.JOBS `` (start_time, referenced_tables.dataset_id, job_type,
  statement_type, state, error_result, labels; partitioned by creation_time; needs bigquery.jobs.listAll),
- Redshift `SYS_QUERY_HISTORY` (start_time, query_text (first 4,000 characters), query_type, status; a regular user
  sees only its own queries, so the deployment's user needs SYSLOG ACCESS UNRESTRICTED to see the readers'),
- DuckDB (the local stack, and a file the user loads as for the CLI): `query_times (connection_id, read_at)`.

A read belongs to the connection whose destination schema it names: the connection's `schema`, or a schema that
starts with `<schema>_` (database connectors prefix the source schema, `postgres_prod_public`), the longest such
prefix winning. Snowflake and Redshift name tables only in the query text, so the schemas are taken from its
qualified names (`schema.table`, `"schema".table`, `db.schema.table`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

ROW_LIMIT = 200_000
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # schema names we put in a LIKE pattern
_QUALIFIER = re.compile(r'(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_$]*))\s*\.\s*(?=["A-Za-z_])')
OWN_TAG = "fivetran-recovery"  # recovery_sql.adapters.QUERY_TAG


def _since(now: datetime, days: int) -> str:
    return (now - timedelta(days=days)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _text_filter(schemas: Iterable[str]) -> str:
    names = sorted({s.lower() for s in schemas if _PLAIN.match(s)})
    if not names:
        return "FALSE"
    return "(" + " OR ".join(f"LOWER(query_text) LIKE '%{n}%'" for n in names) + ")"


def read_times_sql(dialect: str, schemas: Iterable[str], *, now: datetime, days: int = 14,
                   location: str | None = None) -> str:
    """The query-history query for `dialect`: rows (schema or connection, read time) or (read time, query text)."""
    since = _since(now, days)
    schemas = list(schemas)
    if dialect == "snowflake":
        return ("SELECT start_time, query_text FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY "
                f"WHERE start_time >= TO_TIMESTAMP_LTZ('{since}') AND query_type = 'SELECT' "
                f"AND execution_status = 'SUCCESS' AND COALESCE(query_tag, '') <> '{OWN_TAG}' "
                f"AND {_text_filter(schemas)} LIMIT {ROW_LIMIT}")
    if dialect == "redshift":
        return ("SELECT start_time, query_text FROM SYS_QUERY_HISTORY "
                f"WHERE start_time >= '{since}' AND query_type = 'SELECT' AND status = 'success' "
                f"AND {_text_filter(schemas)} LIMIT {ROW_LIMIT}")
    if dialect == "bigquery":
        region = (location or "us").lower()
        if not re.fullmatch(r"[a-z0-9-]+", region):
            raise ValueError(f"not a BigQuery location: {region!r}")
        return ("SELECT ref.dataset_id, job.start_time "
                f"FROM `region-{region}`.INFORMATION_SCHEMA.JOBS AS job, UNNEST(job.referenced_tables) AS ref "
                f"WHERE job.creation_time >= TIMESTAMP('{since}') AND job.job_type = 'QUERY' "
                "AND job.statement_type = 'SELECT' AND job.state = 'DONE' AND job.error_result IS NULL "
                f"AND NOT EXISTS (SELECT 1 FROM UNNEST(job.labels) AS l WHERE l.key = 'app' AND l.value = '{OWN_TAG}') "
                f"LIMIT {ROW_LIMIT}")
    if dialect == "duckdb":
        return f"SELECT connection_id, read_at FROM query_times WHERE read_at >= TIMESTAMP '{since}'"
    raise ValueError(f"no query history for dialect {dialect!r}")


def owner_of(schema: str, schemas: Mapping[str, str]) -> str | None:
    """The connection (of `schemas`: connection id -> destination schema) a warehouse schema belongs to."""
    name, best, length = schema.lower(), None, -1
    for connection_id, prefix in schemas.items():
        prefix = prefix.lower()
        if (name == prefix or name.startswith(prefix + "_")) and len(prefix) > length:
            best, length = connection_id, len(prefix)
    return best


def named_schemas(query_text: str) -> set[str]:
    """Every name that qualifies another in the text (`a.b`): schemas, and databases of `db.schema.table`."""
    return {(quoted or plain) for quoted, plain in _QUALIFIER.findall(query_text or "")}


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_times(warehouse: Any, schemas: Mapping[str, str], *, now: datetime, days: int = 14,
               location: str | None = None) -> dict[str, list[datetime]]:
    """Read times per connection id (sorted) from `warehouse`'s query history; `schemas` maps each connection id
    to its destination schema (connections without one are not matched, except by id in DuckDB)."""
    schemas = {cid: s for cid, s in schemas.items() if s}
    dialect = warehouse.dialect
    rows = warehouse.rows(read_times_sql(dialect, schemas.values(), now=now, days=days, location=location))
    found: dict[str, set[datetime]] = {}
    for first, second in rows:
        if dialect == "duckdb":
            owners, stamp = {str(first)}, _utc(second)
        elif dialect == "bigquery":
            owners, stamp = {owner_of(str(first), schemas)}, _utc(second)
        else:
            owners, stamp = {owner_of(s, schemas) for s in named_schemas(str(second))}, _utc(first)
        for owner in owners - {None}:
            if stamp is not None:
                found.setdefault(owner, set()).add(stamp)
    return {cid: sorted(times) for cid, times in found.items()}
