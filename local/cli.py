"""`fivetran-recovery`: the operator CLI. Each subcommand lives in local/commands/<name>.py with
`register(subparsers)`; modules are imported lazily so `--help` and small commands stay fast."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "serve": "start the local stack (what `make run` runs)",
    "drill": "play the failure scenarios end to end on the local stack and report each",
    "diagnose": "diagnose JSON lines (webhook payloads, LOG rows or {id, message}), one diagnosis per line",
    "predict": "score failure risk per connection from Platform Connector LOG rows",
    "audit": "inspect and verify the hash-chained audit trail",
    "simulator": "run or drive the Fivetran simulator",
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fivetran-recovery", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, help_text in COMMANDS.items():
        if name == wanted:
            module = importlib.import_module(f"local.commands.{name}")
            module.register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:  # a command whose module registered nothing runnable
        print(f"fivetran-recovery: {args.command}: not available", file=sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
