"""Warehouse adapters for the deployed destinations. Each driver is imported only when an adapter connects (the
drivers live in the optional WarehouseLayer, `pip install '.[warehouses]'` locally); tests pass a fake `driver`.

Credentials come from one Secrets Manager secret (WAREHOUSE_SECRET_ID), per dialect:
- snowflake: `{"account", "user", "private_key" (PKCS#8 PEM), "private_key_passphrase"?, "role", "warehouse",
  "database"}`: key-pair auth, a role that owns only the connection's schema.
- bigquery: `{"project", "location"?, "service_account": {...the key file...}}`: a service account with BigQuery
  Data Editor on the connection's dataset and Job User on the project.
- redshift: `{"host", "database", "cluster_identifier", "db_user", "region", "port"?}`: IAM auth
  (GetClusterCredentials with the function's role, scoped to that db user); no password anywhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from fivetran_recovery.recovery_sql.warehouse import DbApiWarehouse, WarehouseError

QUERY_TAG = "fivetran-recovery"


class DriverWarehouse(DbApiWarehouse):
    """A deployed warehouse over its driver; autocommit on, so the scripts' own BEGIN/COMMIT make the
    transactions."""

    explain_prefix = "EXPLAIN"

    def __init__(self, secret: Mapping[str, Any], *, driver: Any = None):
        self.secret = dict(secret)
        self._driver = driver

    def driver(self) -> Any:
        raise NotImplementedError

    def explain(self, sql: str) -> str | None:
        return "\n".join(" ".join(str(c) for c in row) for row in self.rows(f"{self.explain_prefix} {sql}"))


class SnowflakeWarehouse(DriverWarehouse):
    dialect = "snowflake"
    explain_prefix = "EXPLAIN USING TEXT"

    def driver(self) -> Any:
        return self._driver or importlib.import_module("snowflake.connector")

    def _private_key(self) -> Any:
        from cryptography.hazmat.primitives import serialization  # a dependency of the Snowflake driver

        passphrase = self.secret.get("private_key_passphrase")
        return serialization.load_pem_private_key(
            self.secret["private_key"].encode(), password=passphrase.encode() if passphrase else None
        )

    def connect(self) -> Any:
        s = self.secret
        con = self.driver().connect(
            account=s["account"], user=s["user"], private_key=self._private_key(), role=s.get("role"),
            warehouse=s.get("warehouse"), database=s.get("database"), autocommit=True,
            session_parameters={"QUERY_TAG": QUERY_TAG},
        )
        return con


class RedshiftWarehouse(DriverWarehouse):
    dialect = "redshift"

    def driver(self) -> Any:
        return self._driver or importlib.import_module("redshift_connector")

    def connect(self) -> Any:
        s = self.secret
        con = self.driver().connect(
            iam=True, host=s["host"], port=int(s.get("port", 5439)), database=s["database"],
            cluster_identifier=s["cluster_identifier"], db_user=s["db_user"], region=s["region"],
        )
        con.autocommit = True
        return con


class BigQueryWarehouse:
    """Scripts run as one multi-statement query job (BigQuery's transactions live within one script); EXPLAIN is
    a dry-run job (bytes it would process)."""

    dialect = "bigquery"

    def __init__(self, secret: Mapping[str, Any], *, driver: Any = None):
        self.secret = dict(secret)
        self._driver = driver
        self._client: Any = None

    def driver(self) -> Any:
        return self._driver or importlib.import_module("google.cloud.bigquery")

    @property
    def location(self) -> str | None:
        """The jobs' location (its INFORMATION_SCHEMA.JOBS is `region-<location>`)."""
        return self.secret.get("location")

    def client(self) -> Any:
        if self._client is None:
            bq = self.driver()
            self._client = bq.Client.from_service_account_info(
                self.secret["service_account"], project=self.secret.get("project"),
                location=self.secret.get("location"),
            )
        return self._client

    def _job_config(self, **options: Any) -> Any:
        return self.driver().QueryJobConfig(labels={"app": QUERY_TAG}, **options)

    def execute(self, statements: Sequence[str]) -> None:
        try:
            self.client().query(";\n".join(statements), job_config=self._job_config()).result()
        except Exception as exc:  # a failed script rolls its transaction back
            raise WarehouseError(f"recovery SQL failed: {type(exc).__name__}") from None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return [tuple(row.values()) for row in self.client().query(sql, job_config=self._job_config()).result()]
        except Exception as exc:
            raise WarehouseError(f"query failed: {type(exc).__name__}") from None

    def scalar(self, sql: str) -> Any:
        rows = self.rows(sql)
        return rows[0][0] if rows else None

    def explain(self, sql: str) -> str | None:
        try:
            job = self.client().query(sql, job_config=self._job_config(dry_run=True, use_query_cache=False))
        except Exception as exc:
            raise WarehouseError(f"dry run failed: {type(exc).__name__}") from None
        return f"dry run: {job.total_bytes_processed} bytes processed"


ADAPTERS = {"snowflake": SnowflakeWarehouse, "bigquery": BigQueryWarehouse, "redshift": RedshiftWarehouse}


def warehouse_for(dialect: str, secret: Mapping[str, Any], *, driver: Any = None) -> Any:
    if dialect not in ADAPTERS:
        raise WarehouseError(f"no deployed adapter for {dialect!r}; one of {', '.join(ADAPTERS)}")
    return ADAPTERS[dialect](secret, driver=driver)


class LazyWarehouse:
    """Builds the adapter (and reads its secret) on first use, not at cold start."""

    def __init__(self, dialect: str, build: Any):
        self.dialect = dialect
        self._build = build
        self._inner: Any = None

    def _get(self) -> Any:
        if self._inner is None:
            self._inner = self._build()
        return self._inner

    def execute(self, statements: Sequence[str]) -> None:
        self._get().execute(statements)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self._get().rows(sql)

    def scalar(self, sql: str) -> Any:
        return self._get().scalar(sql)

    def explain(self, sql: str) -> str | None:
        return self._get().explain(sql)

    @property
    def location(self) -> str | None:
        return getattr(self._get(), "location", None)


def configured_warehouse(config: Any, secrets: Any) -> Any:
    """The warehouse the deployment is configured for: WAREHOUSE_URL (DuckDB locally), or the dialect's adapter
    with its secret (WAREHOUSE_SECRET_ID); None when neither is set."""
    from fivetran_recovery.recovery_sql.warehouse import warehouse_from_url

    if config.warehouse_url:
        return warehouse_from_url(config.warehouse_url)
    secret_id = getattr(config, "warehouse_secret_id", None)
    if not secret_id or config.warehouse_dialect not in ADAPTERS:
        return None
    dialect = config.warehouse_dialect
    return LazyWarehouse(dialect, lambda: warehouse_for(dialect, secrets.get(secret_id)))
