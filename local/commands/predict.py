"""`fivetran-recovery predict --log FILE`: one JSON line per connection with its failure risk."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="score failure risk per connection from Platform Connector LOG rows",
        description="Reads Fivetran Platform Connector LOG rows (CSV with a header, or JSON lines) and writes one "
        "JSON line per connection: connection_id, risk (0..1), level, reasons, signals. Riskiest first.",
    )
    parser.add_argument("--log", required=True, help="LOG rows file (CSV or JSON lines), or - for stdin")
    parser.add_argument("--now", help="ISO-8601 time to measure 'hours since success' from (default: now)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
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
