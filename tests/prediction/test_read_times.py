"""Read times from the warehouse's query history (recovery_sql/query_history.py) and the predict function's
cost-aware recommendations from them, through the policy gate (issue 15 item 4)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import sqlglot

from fivetran_recovery.composition import Adapters
from fivetran_recovery.composition.predict import _read_times
from fivetran_recovery.config import RecoveryConfig
from fivetran_recovery.prediction.service import PredictService
from fivetran_recovery.prediction.store import InMemoryScheduleMemo
from fivetran_recovery.recovery_sql.query_history import named_schemas, owner_of, read_times, read_times_sql
from fivetran_recovery.recovery_sql.warehouse import DuckDBWarehouse
from fivetran_recovery.stores.base import HistoryRecord
from tests.prediction.test_preempt import NOW, Harness

SCHEMAS = {"c_sales": "salesforce", "c_pg": "postgres_prod", "c_pg2": "postgres_prod_eu"}


class Rows:
    def __init__(self, dialect, rows):
        self.dialect, self._rows, self.sql = dialect, rows, []

    def rows(self, sql):
        self.sql.append(sql)
        return self._rows


@pytest.mark.parametrize("dialect, columns", [
    ("snowflake", ["SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY", "start_time", "query_text", "query_type = 'SELECT'",
                   "execution_status = 'SUCCESS'", "query_tag"]),
    ("bigquery", ["`region-eu`.INFORMATION_SCHEMA.JOBS", "UNNEST(job.referenced_tables)", "ref.dataset_id",
                  "job.creation_time >=", "job.statement_type = 'SELECT'", "job.state = 'DONE'",
                  "job.error_result IS NULL", "job.labels"]),
    ("redshift", ["SYS_QUERY_HISTORY", "start_time", "query_text", "query_type = 'SELECT'", "status = 'success'"]),
    ("duckdb", ["query_times", "connection_id", "read_at"]),
])
def test_given_each_dialect_then_its_query_history_sql_parses_and_reads_the_documented_columns(dialect, columns):
    sql = read_times_sql(dialect, [*SCHEMAS.values(), "bad'name"], now=NOW, location="EU")
    sqlglot.parse_one(sql, read=dialect)  # valid in the dialect
    assert all(c in sql for c in columns), sql
    assert "bad'name" not in sql and "2026-11-11 12:00:00" in sql  # 14 days back; only plain names in a pattern


def test_given_schemas_then_a_read_belongs_to_the_longest_matching_destination_prefix():
    assert owner_of("SALESFORCE", SCHEMAS) == "c_sales"
    assert owner_of("postgres_prod_public", SCHEMAS) == "c_pg"
    assert owner_of("postgres_prod_eu_public", SCHEMAS) == "c_pg2"
    assert owner_of("salesforce2", SCHEMAS) is None and owner_of("marketing", SCHEMAS) is None
    text = 'select * from ANALYTICS.salesforce.account a join "postgres_prod_public"."orders" o on a.x = o.x'
    assert {"ANALYTICS", "salesforce", "postgres_prod_public", "a", "o"} <= named_schemas(text)


def test_given_query_history_rows_then_read_times_per_connection_in_utc_without_duplicates():
    at = datetime(2026, 11, 24, 9, 5)  # Redshift: timestamp without time zone, in UTC
    text = "SELECT * FROM salesforce.account JOIN postgres_prod_public.orders USING (id)"
    redshift = read_times(Rows("redshift", [(at, text), (at, text), (at, "select 1")]), SCHEMAS, now=NOW)
    assert redshift == {"c_sales": [at.replace(tzinfo=UTC)], "c_pg": [at.replace(tzinfo=UTC)]}
    stamp = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)
    bigquery = read_times(Rows("bigquery", [("salesforce", stamp), ("salesforce", stamp), ("other", stamp)]),
                          SCHEMAS, now=NOW)
    assert bigquery == {"c_sales": [stamp]}


def test_given_duckdb_locally_then_the_query_times_table_is_read_since_the_window():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE query_times (connection_id VARCHAR, read_at TIMESTAMP)")
    con.executemany("INSERT INTO query_times VALUES (?, ?)", [
        ("c_sales", datetime(2026, 11, 24, 9)), ("c_sales", datetime(2026, 10, 1, 9))])
    assert read_times(DuckDBWarehouse(connection=con), SCHEMAS, now=NOW) == {
        "c_sales": [datetime(2026, 11, 24, 9, tzinfo=UTC)]}


def _history(h, cid: str, days: int = 14) -> None:
    for i in range(days * 24):
        start, sync_id = NOW - timedelta(hours=days * 24 - i), uuid.uuid4().hex
        for event, at, status in (("sync_start", start, None), ("sync_end", start + timedelta(minutes=6),
                                                                 "SUCCESSFUL")):
            h.history.record(HistoryRecord(connection_id=cid, at=at, event=event, event_key=uuid.uuid4().hex,
                                           status=status, sync_id=sync_id))


def test_given_reads_from_the_warehouse_when_predict_runs_then_a_cost_aware_recommendation_goes_through_the_gate():
    h = Harness("auto")
    cid = h.sim.connection_ids[0]
    _history(h, cid)
    requested = []
    h.service.request_approval = lambda workflow: requested.append(workflow) or {"approval_id": "apr-s"}
    reads = [NOW.replace(hour=9, minute=5) - timedelta(days=d) for d in range(1, 14)]

    class Risks:
        def put(self, assessment, *, at):
            pass

    service = PredictService(fivetran=h.client, history=h.history, risks=Risks(), clock=h.clock, preempt=h.service,
                             read_times=lambda connections, now: {cid: reads}, memo=InMemoryScheduleMemo())
    service.run()
    [(rec, applied)] = [(r, a) for r, a in service.recommendations if r.connection_id == cid]
    assert rec.recommended_minutes > rec.current_minutes and rec.sync_minutes_per_day_saved > 0
    assert rec.freshness_p90_minutes_after is not None and rec.reads_seen == len(reads)
    assert applied["path"] == "approval" and applied["approval_id"] == "apr-s" and h.sim.write_calls() == []
    [workflow] = requested
    assert workflow["plan"]["steps"][0]["params"] == {"sync_frequency": rec.recommended_minutes}
    assert workflow["plan"]["steps"][0]["calls"][0]["body"] == {"sync_frequency": rec.recommended_minutes}
    started = []
    h.service.start_approved = started.append
    service.run()  # the next run: the same recommendation is not put through the gate again within a day
    assert len(requested) == 1
    assert started == ["apr-s"]  # but an approved schedule whose start was lost is started (start_approved)


def test_given_a_warehouse_that_cannot_be_read_when_predict_runs_then_scores_still_come_without_recommendations():
    h = Harness("auto")

    class Risks:
        def put(self, assessment, *, at):
            pass

    def broken(connections, now):
        raise RuntimeError("query history unavailable")

    service = PredictService(fivetran=h.client, history=h.history, risks=Risks(), clock=h.clock, preempt=h.service,
                             read_times=broken)
    assert len(service.run()) == len(h.sim.connection_ids) and service.recommendations == []


def test_given_the_predict_root_with_a_duckdb_warehouse_then_it_reads_query_times_from_it():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE query_times (connection_id VARCHAR, read_at TIMESTAMP)")
    con.execute("INSERT INTO query_times VALUES ('c_pg', TIMESTAMP '2026-11-24 09:00:00')")
    config = RecoveryConfig.from_env(warehouse_url="duckdb://:memory:", warehouse_dialect="duckdb")
    adapters = Adapters(config=config, clock=lambda: NOW).override(warehouse=DuckDBWarehouse(connection=con))

    class Connection:
        id, schema_ = "c_pg", "postgres_prod"

    assert _read_times(adapters)([Connection()], NOW) == {"c_pg": [datetime(2026, 11, 24, 9, tzinfo=UTC)]}
    assert _read_times(Adapters(config=RecoveryConfig.from_env(warehouse_url=None, warehouse_secret_id=None))) is None


def test_given_no_read_seen_for_a_connection_then_the_lambda_recommends_nothing_for_it():
    h = Harness("auto")
    cid = h.sim.connection_ids[0]
    _history(h, cid)

    class Risks:
        def put(self, assessment, *, at):
            pass

    service = PredictService(fivetran=h.client, history=h.history, risks=Risks(), clock=h.clock, preempt=h.service,
                             read_times=lambda connections, now: {})
    service.run()
    assert service.recommendations == [] and h.audit == []


def test_given_dynamodb_when_a_schedule_is_noted_then_the_memo_returns_it_with_its_approval():
    import boto3
    from moto import mock_aws

    from fivetran_recovery.prediction.store import DynamoScheduleMemo

    with mock_aws():
        table = boto3.resource("dynamodb", region_name="us-east-1").create_table(
            TableName="incidents", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        memo = DynamoScheduleMemo(table)
        assert memo.last("c") is None
        memo.note("c", 1440, at=NOW)
        assert memo.last("c") == {"minutes": 1440, "at": NOW, "approval_id": None}
        memo.note("c", 1440, at=NOW, approval_id="apr-1")
        assert memo.last("c")["approval_id"] == "apr-1"
        assert [i["pk"] for i in table.scan()["Items"]] == ["RISK#c"]  # inside predict's RISK#* grant
