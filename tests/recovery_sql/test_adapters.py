"""The deployed warehouse adapters against fakes at the driver boundary: what they pass the driver (key-pair,
service account, IAM), how scripts run (one BigQuery script job; DB-API with autocommit and the scripts' own
transactions), rollback on failure, EXPLAIN / dry run, and that no error text of the driver leaks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fivetran_recovery.config import RecoveryConfig, StaticSecrets
from fivetran_recovery.recovery_sql import TableRef, WarehouseError
from fivetran_recovery.recovery_sql.adapters import (
    BigQueryWarehouse,
    LazyWarehouse,
    RedshiftWarehouse,
    SnowflakeWarehouse,
    configured_warehouse,
)
from fivetran_recovery.recovery_sql.runner import ScriptRunner
from fivetran_recovery.recovery_sql.templates import dedup_latest


class FakeCursor:
    def __init__(self, con):
        self.con = con
        self.result = []

    def execute(self, sql):
        self.con.executed.append(sql)
        if self.con.fail_on and self.con.fail_on in sql:
            raise RuntimeError("secret-ish driver text: password=hunter2")
        self.result = self.con.answers.get(sql.split(" ", 1)[0], [(7,)])

    def fetchall(self):
        return self.result


class FakeConnection:
    def __init__(self, fail_on=None, answers=None):
        self.executed, self.closed, self.autocommit = [], False, False
        self.fail_on, self.answers = fail_on, answers or {}

    def cursor(self):
        return FakeCursor(self)

    def close(self):
        self.closed = True


class FakeDbApiDriver:
    def __init__(self, **connection):
        self.calls, self.connections, self.connection = [], [], connection

    def connect(self, **kwargs):
        self.calls.append(kwargs)
        con = FakeConnection(**self.connection)
        self.connections.append(con)
        return con


def pem_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_given_snowflake_then_key_pair_auth_query_tag_and_autocommit() -> None:
    driver = FakeDbApiDriver()
    warehouse = SnowflakeWarehouse({"account": "acme-xy1", "user": "FIVETRAN_RECOVERY", "private_key": pem_key(),
                                    "role": "RECOVERY_ROLE", "warehouse": "RECOVERY_WH", "database": "RAW"},
                                   driver=driver)
    assert warehouse.scalar("SELECT COUNT(*) FROM t") == 7
    call = driver.calls[0]
    assert isinstance(call["private_key"], rsa.RSAPrivateKey) and "password" not in call
    assert call["role"] == "RECOVERY_ROLE" and call["autocommit"] is True
    assert call["session_parameters"] == {"QUERY_TAG": "fivetran-recovery"}
    assert warehouse.explain("DELETE FROM t") == "7"
    assert driver.connections[-1].executed == ["EXPLAIN USING TEXT DELETE FROM t"]


def test_given_redshift_then_iam_auth_and_a_failure_rolls_back_without_driver_text() -> None:
    driver = FakeDbApiDriver(fail_on="INSERT")
    warehouse = RedshiftWarehouse({"host": "c.abc.eu-west-1.redshift.amazonaws.com", "database": "raw",
                                   "cluster_identifier": "c", "db_user": "fivetran_recovery",
                                   "region": "eu-west-1"}, driver=driver)
    with pytest.raises(WarehouseError) as raised:
        warehouse.execute(["BEGIN", "DELETE FROM t WHERE TRUE", "INSERT INTO t SELECT 1", "COMMIT"])
    assert "hunter2" not in str(raised.value)
    con = driver.connections[0]
    assert con.executed == ["BEGIN", "DELETE FROM t WHERE TRUE", "INSERT INTO t SELECT 1", "ROLLBACK"]
    assert con.closed and con.autocommit is True
    assert driver.calls[0]["iam"] is True and driver.calls[0]["db_user"] == "fivetran_recovery"
    assert "password" not in driver.calls[0]


class FakeBigQuery:
    def __init__(self):
        self.jobs, self.created = [], []
        outer = self

        class Client:
            @classmethod
            def from_service_account_info(cls, info, project=None, location=None):
                outer.created.append((info["client_email"], project, location))
                return cls()

            def query(self, sql, job_config=None):
                outer.jobs.append((sql, job_config))
                return SimpleNamespace(result=lambda: [SimpleNamespace(values=lambda: (3,))],
                                       total_bytes_processed=1024)

        self.Client = Client
        self.QueryJobConfig = lambda **options: options


def test_given_bigquery_then_service_account_one_script_job_and_dry_run_for_explain() -> None:
    bq = FakeBigQuery()
    warehouse = BigQueryWarehouse({"project": "acme-data", "location": "EU",
                                   "service_account": {"client_email": "recovery@acme-data.iam"}}, driver=bq)
    script = dedup_latest("bigquery", TableRef("sales", "orders", project="acme-data"), ["id"], token="t")
    preview = ScriptRunner(warehouse).preview(script)
    assert preview.counts == {"rows_before": 3, "duplicate_rows": 3, "survivors": 3}
    assert [s["explain"] for s in preview.statements if s["kind"] == "change"] == [
        "dry run: 1024 bytes processed"] * 2
    warehouse.execute(script.sql)
    sql, config = bq.jobs[-1]
    assert sql == ";\n".join(script.sql) and sql.count("BEGIN TRANSACTION") == 1  # one script: one transaction
    assert config == {"labels": {"app": "fivetran-recovery"}}
    assert bq.created == [("recovery@acme-data.iam", "acme-data", "EU")]  # one client, built once


def test_given_config_then_the_deployed_adapter_is_built_lazily_from_its_secret() -> None:
    reads = []

    class Secrets(StaticSecrets):
        def get(self, secret_id):
            reads.append(secret_id)
            return super().get(secret_id)

    secrets = Secrets({"wh": {"host": "h", "database": "d", "cluster_identifier": "c", "db_user": "u",
                              "region": "eu-west-1"}})
    config = RecoveryConfig.from_env({"WAREHOUSE_DIALECT": "redshift", "WAREHOUSE_SECRET_ID": "wh"})
    warehouse = configured_warehouse(config, secrets)
    assert isinstance(warehouse, LazyWarehouse) and warehouse.dialect == "redshift" and reads == []
    assert isinstance(warehouse._get(), RedshiftWarehouse) and reads == ["wh"]
    assert configured_warehouse(RecoveryConfig.from_env({}), secrets) is None
    local = configured_warehouse(RecoveryConfig.from_env({"WAREHOUSE_URL": "duckdb://:memory:"}), secrets)
    assert local.dialect == "duckdb"
