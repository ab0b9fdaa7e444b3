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


def run(args: Any) -> int:
    from fivetran_recovery.prediction import LogRowError, assess_connections, read_log_rows, syncs_from_log

    try:
        now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    except ValueError:
        print(f"predict: --now is not an ISO-8601 time: {args.now!r}", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args.log == "-" else open(args.log, encoding="utf-8").read()  # noqa: SIM115
    except OSError as exc:
        print(f"predict: cannot read {args.log}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        rows = list(read_log_rows(text, source=args.log))
    except LogRowError as exc:
        print(f"predict: {exc}", file=sys.stderr)
        return 2
    for assessment in assess_connections(syncs_from_log(rows), now=now if now.tzinfo else now.replace(tzinfo=UTC)):
        print(json.dumps(assessment.model_dump(mode="json")))
    return 0
