"""`fivetran-recovery predict --log FILE`: one JSON line per connection with its failure risk."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command(
        "predict",
        help="Reads Fivetran Platform Connector LOG rows (CSV with a header, or JSON lines) and writes one JSON line "
        "per connection: connection_id, risk (0..1), level, reasons, signals. Riskiest first.",
        short_help="Score failure risk per connection from Platform Connector LOG rows.",
    )(predict)


def predict(
    log: Annotated[str, typer.Option("--log", help="LOG rows file (CSV or JSON lines), or - for stdin")],
    now: Annotated[
        str | None, typer.Option("--now", help="ISO-8601 time to measure 'hours since success' from (default: now)")
    ] = None,
) -> int:
    return run(SimpleNamespace(log=log, now=now))


def _open(path: str):
    return sys.stdin if path == "-" else open(path, encoding="utf-8", newline="")


def run(args: Any) -> int:
    from fivetran_recovery.prediction import LogRowError, assess_connections
    from fivetran_recovery.prediction.log_rows import LogReader, parse_timestamp
    from fivetran_recovery.prediction.syncs import SyncBuilder

    try:
        now = parse_timestamp(args.now) if args.now else datetime.now(UTC)
    except ValueError:
        print(f"predict: --now is not an ISO-8601 time: {args.now!r}", file=sys.stderr)
        return 2
    try:
        with _open(args.log) as stream:
            reader = LogReader(stream, source=args.log, until=now if args.now else None)
            syncs = SyncBuilder().add_all(reader).result()
    except OSError as exc:
        print(f"predict: cannot read {args.log}: {exc.strerror}", file=sys.stderr)
        return 2
    except LogRowError as exc:
        print(f"predict: {exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"predict: {args.log} is not UTF-8 text (a binary file?)", file=sys.stderr)
        return 2
    if reader.rows_after_until:
        print(f"predict: ignored {reader.rows_after_until} row(s) stamped after --now {now.isoformat()}",
              file=sys.stderr)
    for assessment in assess_connections(syncs, now=now):
        print(json.dumps(assessment.model_dump(mode="json")))
    return 0
