"""LOG reader benchmark: rows/s and peak memory of the Platform Connector LOG reader against the bare parse.

Run:  .venv/bin/python bench/log_reader_bench.py [--rows 1000000] [--small 250000]

Generates a LOG export of --rows rows (the column order of Fivetran's seed, hourly syncs of many connections:
sync_start, write_to_table_start/_end per table, records_modified, some warnings, sync_end), then runs, each in a
fresh interpreter so peak memory (max RSS) is its own:
- the floor: `csv.DictReader` over the file plus `json.loads` of every non-empty `message_data`;
- the reader: `LogReader` yielding normalised rows (time stamps parsed to UTC, message_data decoded);
- the predict path: the reader folded into syncs by `SyncBuilder` (what `fivetran-recovery predict` holds).
Targets (issue 14): reader time <= 1.5x the floor, peak memory < 300 MB. Then --small rows of each warehouse's
export shape (Snowflake: UPPERCASE columns, `… -0800` offsets; BigQuery: `… UTC`; Redshift: `|`-delimited,
`+00` offsets) with their ratio to the same floor, and the peak memory at --small against --rows (flat = same).
The last line says whether the targets are met (reported, not enforced: timings move with the machine's load).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TABLES = ("orders", "customers", "line_items", "events")

FLOOR = """
import csv, json
n = 0
with open(PATH, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f, delimiter=DELIM):
        data = row.get("message_data") or row.get("MESSAGE_DATA")
        if data:
            json.loads(data)
        n += 1
"""
READER = """
from fivetran_recovery.prediction.log_rows import LogReader
n = 0
with open(PATH, newline="", encoding="utf-8") as f:
    for row in LogReader(f, source=PATH):
        n += 1
"""
PREDICT_PATH = """
from fivetran_recovery.prediction.log_rows import LogReader
from fivetran_recovery.prediction.syncs import SyncBuilder
with open(PATH, newline="", encoding="utf-8") as f:
    syncs = SyncBuilder().add_all(LogReader(f, source=PATH)).result()
n = sum(len(v) for v in syncs.values())
"""
HARNESS = """
import resource, sys, time
sys.path[:0] = {paths!r}
PATH, DELIM = {path!r}, {delim!r}
t = time.perf_counter()
{code}
elapsed = time.perf_counter() - t
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, n)
"""


def _stamp(value: datetime, shape: str) -> str:
    base = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return {"seed": base, "snowflake": base + " -0000", "bigquery": base + " UTC", "redshift": base + "+00"}[shape]


def _sync_rows(rng: random.Random, connection: str, index: int, start: datetime):
    sync_id = f"{connection}-{index:06d}"
    t = start
    yield t, "INFO", "sync_start", "", sync_id
    for table in TABLES:
        t += timedelta(seconds=rng.uniform(1, 20))
        yield t, "INFO", "write_to_table_start", json.dumps({"table": table}), sync_id
        t += timedelta(seconds=rng.uniform(1, 60))
        yield t, "INFO", "write_to_table_end", json.dumps({"table": table}), sync_id
        modified = {"schema": "shop", "table": table, "count": rng.randint(0, 5000),
                    "operationType": "REPLACED_OR_INSERTED"}
        yield t, "INFO", "records_modified", json.dumps(modified), sync_id
    if rng.random() < 0.2:
        yield t, "WARNING", "warning", json.dumps({"type": "retry_api_call",
                                                   "message": "Retrying after 30 seconds. Error : 429"}), sync_id
    status = "SUCCESSFUL" if rng.random() > 0.03 else "FAILURE"
    yield t + timedelta(seconds=2), "INFO" if status == "SUCCESSFUL" else "SEVERE", "sync_end", \
        json.dumps({"status": status, **({"reason": "timeout"} if status == "FAILURE" else {})}), sync_id


def generate(path: Path, rows: int, shape: str, seed: int = 7) -> None:
    rng = random.Random(seed)
    delim = "|" if shape == "redshift" else ","
    header = ["id", "time_stamp", "_fivetran_synced", "connection_id", "event", "message_data", "message_event",
              "transformation_id", "sync_id"]
    if shape == "snowflake":
        header = [c.upper() for c in header]
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    connections = [f"conn_{i:03d}" for i in range(200)]
    written = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delim, escapechar="\\" if delim == "|" else None)
        writer.writerow(header)
        hour = 0
        while written < rows:
            for connection in connections:
                start = t0 + timedelta(hours=hour, minutes=rng.uniform(0, 50))
                for stamp, event, message_event, data, sync_id in _sync_rows(rng, connection, hour, start):
                    writer.writerow([f"r{written}", _stamp(stamp, shape), _stamp(stamp + timedelta(hours=6), shape),
                                     connection, event, data, message_event, "", sync_id])
                    written += 1
                    if written >= rows:
                        return
            hour += 1


def run(code: str, path: Path, delim: str) -> tuple[float, float, int]:
    paths = [str(REPO_ROOT / "shared"), str(REPO_ROOT)]
    script = HARNESS.format(paths=paths, path=str(path), delim=delim, code=code)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600)
    elapsed, peak, count = out.stdout.split()
    return float(elapsed), float(peak), int(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "log_seed.csv"
        generate(big, args.rows, "seed")
        floor_s, floor_mb, n = run(FLOOR, big, ",")
        reader_s, reader_mb, n2 = run(READER, big, ",")
        predict_s, predict_mb, syncs = run(PREDICT_PATH, big, ",")
        assert n == n2 == args.rows, (n, n2)
        print(f"LOG reader, {args.rows:,} rows ({big.stat().st_size / 1e6:.0f} MB CSV, seed column order)")
        def line(label: str, seconds: float, peak: float) -> str:
            return f"  {label:36s}: {seconds:6.2f} s  {n / seconds:9,.0f} rows/s  peak {peak:5.0f} MB"

        print(line("floor  csv.DictReader + json.loads", floor_s, floor_mb))
        print(line("reader LogReader", reader_s, reader_mb)
              + f"  = {reader_s / floor_s:.2f}x the floor (target <= 1.5x, < 300 MB)")
        print(line("predict path  reader + SyncBuilder", predict_s, predict_mb)
              + f"  = {predict_s / floor_s:.2f}x ({syncs:,} syncs held)")
        ok &= reader_s <= 1.5 * floor_s and reader_mb < 300
        print(f"Export shapes, {args.small:,} rows each (ratio to the floor on the same file):")
        for shape in ("snowflake", "bigquery", "redshift"):
            path = Path(tmp) / f"log_{shape}.csv"
            generate(path, args.small, shape)
            delim = "|" if shape == "redshift" else ","
            f_s, _, _ = run(FLOOR, path, delim)
            r_s, r_mb, count = run(READER, path, delim)
            assert count == args.small, (shape, count)
            print(f"  {shape:9s}: reader {r_s:5.2f} s vs floor {f_s:5.2f} s = {r_s / f_s:.2f}x, peak {r_mb:4.0f} MB "
                  f"(vs {reader_mb:.0f} MB at {args.rows:,} rows: flat)")
            ok &= r_s <= 1.5 * f_s and abs(r_mb - reader_mb) < 30
    print("targets met" if ok else "TARGET MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
