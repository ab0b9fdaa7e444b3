"""`fivetran-recovery schedule --log FILE --query-times FILE`: cost-aware schedule recommendations, one JSON line
per connection that would save sync time within the freshness budget at the times its data is read."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer

QUERY = "SELECT connection_id, read_at FROM query_times"


def register(app: typer.Typer) -> None:
    app.command(
        "schedule",
        help="Reads Platform Connector LOG rows and a query-times table (when each connection's tables were read "
        "downstream: CSV with connection_id,read_at, or a DuckDB file with a query_times table of those columns) "
        "and writes one JSON line per connection whose sync interval can grow: recommended_minutes, "
        "daily_sync_time, the sync minutes per day saved and the freshness (p90 data age at reads) before/after.",
        short_help="Cost-aware sync schedule recommendations (saving vs freshness at read times).",
    )(schedule)


def schedule(
    log: Annotated[str, typer.Option("--log", help="LOG rows file (CSV or JSON lines)")],
    query_times: Annotated[str, typer.Option("--query-times", help="CSV (connection_id,read_at) or DuckDB file")],
    now: Annotated[str | None, typer.Option("--now", help="ISO-8601 time to recommend as of")] = None,
    budget: Annotated[float, typer.Option("--budget-minutes", help="extra p90 data age allowed at reads")] = 120.0,
) -> int:
    return run(SimpleNamespace(log=log, query_times=query_times, now=now, budget=budget))


def load_query_times(path: str) -> dict[str, list[datetime]]:
    """Read times per connection from a CSV or a DuckDB database (table query_times)."""
    from fivetran_recovery.prediction.log_rows import parse_timestamp

    reads: dict[str, list[datetime]] = {}
    if Path(path).suffix.lower() in (".duckdb", ".db"):
        import duckdb

        with duckdb.connect(path, read_only=True) as db:
            rows: Any = db.execute(QUERY).fetchall()
    else:
        with open(path, encoding="utf-8", newline="") as f:
            rows = [(r["connection_id"], r["read_at"]) for r in csv.DictReader(f)]
    for connection_id, read_at in rows:
        stamp = read_at if isinstance(read_at, datetime) else parse_timestamp(str(read_at))
        reads.setdefault(str(connection_id), []).append(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
    return {k: sorted(v) for k, v in reads.items()}


def run(args: Any) -> int:
    from fivetran_recovery.prediction import LogRowError
    from fivetran_recovery.prediction.log_rows import LogReader, parse_timestamp
    from fivetran_recovery.prediction.risk import assess_syncs
    from fivetran_recovery.prediction.scheduling import recommend
    from fivetran_recovery.prediction.syncs import SyncBuilder

    try:
        now = parse_timestamp(args.now) if args.now else datetime.now(UTC)
        reads = load_query_times(args.query_times)
        with open(args.log, encoding="utf-8", newline="") as stream:
            syncs = SyncBuilder().add_all(LogReader(stream, source=args.log, until=now)).result()
    except (OSError, ValueError, KeyError, LogRowError) as exc:
        print(f"schedule: {exc}", file=sys.stderr)
        return 2
    for connection_id, records in sorted(syncs.items()):
        risk = assess_syncs(connection_id, records, now=now)
        rec = recommend(connection_id, records, reads.get(connection_id, []), now=now, risk_kind=risk.kind,
                        budget_minutes=args.budget)
        if rec is not None:
            print(json.dumps(rec.model_dump(mode="json")))
    return 0
