"""The LOG reader takes the warehouses' exports of the Platform Connector LOG table and streams them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fivetran_recovery.prediction.log_rows import LogReader, LogRowError, parse_timestamp, read_log_rows
from fivetran_recovery.prediction.syncs import syncs_from_log

DATA = Path(__file__).resolve().parent.parent / "data" / "prediction"
WHEN = datetime(2021, 12, 9, 14, 27, 0, 504000, tzinfo=UTC)


@pytest.mark.parametrize("value", [
    "2021-12-09 14:27:00.504",              # Fivetran's seed, Snowflake TIMESTAMP_NTZ, Redshift TIMESTAMP
    "2021-12-09 14:27:00.504 UTC",          # BigQuery CSV / JSON export
    "2021-12-09 14:27:00.504000 UTC",
    "2021-12-09 06:27:00.504 -0800",        # Snowflake TIMESTAMP_TZ default output format
    "2021-12-09 14:27:00.504+00",           # Redshift TIMESTAMPTZ
    "2021-12-09T14:27:00.504Z",
    "2021-12-09 14:27:00.504000000",        # nanoseconds
    1639060020.504, "1639060020504", 1639060020504000,  # epoch s, ms, us
])
def test_given_each_warehouse_time_format_when_parsed_then_the_same_utc_instant(value):
    assert parse_timestamp(value) == WHEN


def test_given_a_snowflake_unload_with_uppercase_columns_and_offsets_when_read_then_rows_are_normalised():
    text = ('ID,TIME_STAMP,_FIVETRAN_SYNCED,CONNECTOR_ID,EVENT,MESSAGE_DATA,MESSAGE_EVENT,SYNC_ID\n'
            'a,2021-12-09 06:27:00.504 -0800,2021-12-09 20:00:00.000 -0800,conn,SEVERE,'
            '"{""status"":""FAILURE"",""reason"":""boom""}",sync_end,s1\n')
    [row] = read_log_rows(text)
    assert (row.connection_id, row.time_stamp, row.event, row.message_event, row.sync_id) == (
        "conn", WHEN, "SEVERE", "sync_end", "s1")
    assert row.message_data == {"status": "FAILURE", "reason": "boom"}


def test_given_a_bigquery_json_export_with_native_json_when_read_then_message_data_is_kept():
    lines = [json.dumps({"id": "a", "time_stamp": "2021-12-09 14:27:00.504 UTC", "connection_id": "c",
                         "event": "WARNING", "message_event": "warning",
                         "message_data": {"type": "retry_api_call", "message": "Retrying after 30 seconds."}}),
             json.dumps({"id": "b", "time_stamp": "2021-12-09 14:28:00 UTC", "connection_id": "c", "event": "INFO",
                         "message_event": "sync_end", "message_data": json.dumps(json.dumps({"status": "SUCCESSFUL"}))})]
    first, second = read_log_rows("\n".join(lines))
    assert first.time_stamp == WHEN and first.message_data["type"] == "retry_api_call"
    assert second.message_data == {"status": "SUCCESSFUL"}  # double-encoded text


def test_given_a_redshift_pipe_unload_with_header_when_read_then_rows_are_read():
    text = ("id|time_stamp|connection_id|event|message_event|message_data|sync_id\n"
            'a|2021-12-09 14:27:00.504+00|c|INFO|sync_end|{"status":"SUCCESSFUL"}|s1\n'
            "b|2021-12-09 14:27:01+00|c|INFO|status|says actor but not a json|\n")
    first, second = read_log_rows(text)
    assert first.time_stamp == WHEN and first.message_data == {"status": "SUCCESSFUL"}
    assert second.message_data == {"message": "says actor but not a json"} and second.sync_id is None


def test_given_a_redshift_unload_without_header_when_read_then_the_error_says_to_add_one():
    with pytest.raises(LogRowError, match=r"log.txt:1: CSV header lacks .*HEADER"):
        list(read_log_rows('a|2021-12-09 14:27:00+00|c|INFO|sync_end|{}|s1\n', source="log.txt"))


@pytest.mark.parametrize("text, where", [
    ("id,time_stamp,connection_id,event,message_event,message_data\n"
     "a,2021-12-09 14:27:00,c,INFO,sync_start,\nb,yesterday,c,INFO,sync_end,\n", "f:3: time_stamp"),
    ("id,time_stamp,connection_id,event,message_event,message_data\n\na,2021-12-09 14:27:00,c,INFO\n", "f:3: 4 fields"),
    ("id,time_stamp,connection_id,event,message_event,message_data\n"
     'a,2021-12-09,c,INFO,x,"{""a"":\n1}"\nb,2021-12-09,,INFO,x,\n', "f:4: connection_id is empty"),
    ('{"id": "1", "time_stamp": "2021-12-09", "connection_id": "c"}\n\n{"id": "2"', "f:3: not JSON"),
])
def test_given_a_bad_row_when_read_then_the_error_names_its_line(text, where):
    with pytest.raises(LogRowError, match=where):
        list(read_log_rows(text, source="f"))


def test_given_a_large_input_when_read_then_rows_stream_before_the_input_ends():
    def lines():
        yield "id,time_stamp,connection_id,event,message_event,message_data,sync_id\n"
        for i in range(3):
            yield f"r{i},2021-12-09 14:2{i}:00,c,INFO,sync_start,,s{i}\n"
        raise AssertionError("read past what was asked for")

    rows = iter(LogReader(lines()))
    assert [next(rows).id for _ in range(3)] == ["r0", "r1", "r2"]


def test_given_until_when_read_then_later_rows_are_dropped_and_counted():
    text = (DATA / "platform_connector_log_seed.csv").read_text()
    reader = LogReader(text.splitlines(keepends=True), until=datetime(2021, 12, 10, tzinfo=UTC))
    rows = list(reader)
    assert all(r.time_stamp <= reader.until for r in rows)
    assert reader.rows_read == len(rows) == 24 and reader.rows_after_until == 11


def test_given_the_seed_reusing_a_sync_id_on_two_days_when_grouped_then_two_syncs_with_write_times():
    syncs = syncs_from_log(read_log_rows((DATA / "platform_connector_log_seed.csv").read_text()))
    days = [s for s in syncs["this_connection"] if s.started_at]
    assert [s.started_at.date().isoformat() for s in days] == ["2021-12-09", "2021-12-10"]
    assert days[0].status == "SUCCESSFUL" and round(days[0].duration_seconds) == 55
    assert days[0].write_seconds > 0 and days[0].records == 4 + 9 + 5 + 1 + 11624686068
