"""`fivetran-recovery audit verify|show`: check the hash-chained audit trail, or print one incident's records.

Records come from the AuditTable (the deployed one with AWS credentials, or any DynamoDB endpoint such as a moto
server via --endpoint-url) or from a JSON-lines export (--file). `verify` exits 1 and names the first broken
link of each broken chain; 0 when every chain is intact.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="inspect and verify the hash-chained audit trail",
        description=__doc__.splitlines()[0],
    )
    actions = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="check every chain (or one connection's) and report broken links")
    verify.add_argument("--connection", help="only this connection's chain")
    show = actions.add_parser("show", help="print the records of one incident, in time order")
    show.add_argument("--incident", required=True, help="the incident id")
    for sub in (verify, show):
        sub.add_argument("--file", help="JSON lines of audit records (an export) instead of the table")
        sub.add_argument("--table", default=os.environ.get("AUDIT_TABLE"), help="AuditTable name (env AUDIT_TABLE)")
        sub.add_argument(
            "--endpoint-url",
            default=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
            help="DynamoDB endpoint (e.g. a moto server); default: AWS",
        )
        sub.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
        sub.add_argument("--json", action="store_true", help="one JSON document instead of text")
    parser.set_defaults(handler=run)


class _FileSource:
    def __init__(self, path: str):
        from fivetran_recovery.audit import record_from_item

        self.records = []
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    self.records.append(record_from_item(json.loads(line)))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{number}: not an audit record ({type(exc).__name__})") from None

    def chains(self) -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = defaultdict(list)
        for record in self.records:
            grouped[record.chain_id].append(record)
        return {k: sorted(v, key=lambda r: r.seq) for k, v in grouped.items()}

    def for_incident(self, incident_id: str) -> list[Any]:
        return sorted((r for r in self.records if r.incident_id == incident_id), key=lambda r: (r.recorded_at, r.seq))


def _table_log(args: argparse.Namespace) -> Any:
    import boto3

    from fivetran_recovery.audit import AuditLog

    if not args.table:
        raise ValueError("give --table (or set AUDIT_TABLE), or --file")
    resource = boto3.resource("dynamodb", endpoint_url=args.endpoint_url, region_name=args.region)
    return AuditLog(resource.Table(args.table))


def _checks(args: argparse.Namespace) -> list[Any]:
    from fivetran_recovery.audit import verify_records

    if args.file:
        chains = _FileSource(args.file).chains()
        ids = [args.connection] if args.connection else sorted(chains)
        return [verify_records(i, chains.get(i, [])) for i in ids]
    log = _table_log(args)
    return [log.verify_chain(args.connection)] if args.connection else log.verify_all()


def run(args: argparse.Namespace) -> int:
    try:
        if args.audit_command == "verify":
            return _verify(args)
        return _show(args)
    except (OSError, ValueError) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2


def _verify(args: argparse.Namespace) -> int:
    checks = _checks(args)
    broken = [c for c in checks if not c.ok]
    if args.json:
        print(json.dumps({"ok": not broken, "chains": [c.model_dump() for c in checks]}, sort_keys=True))
    else:
        for check in checks:
            if check.ok:
                print(f"OK      {check.chain_id}: {check.records} records")
            else:
                print(f"BROKEN  {check.chain_id}: first broken link at seq {check.broken_seq}: {check.reason}")
        print(f"{len(checks) - len(broken)} of {len(checks)} chains intact")
    return 1 if broken else 0


def _show(args: argparse.Namespace) -> int:
    records = (
        _FileSource(args.file).for_incident(args.incident)
        if args.file
        else _table_log(args).for_incident(args.incident)
    )
    if not records:
        print(f"audit: no records for incident {args.incident}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.model_dump() for r in records], sort_keys=True))
        return 0
    from fivetran_recovery.workflow.summary import describe_record

    for record in records:
        print(
            f"{record.recorded_at}  {record.chain_id}#{record.seq:<4} {record.kind:<20} {record.actor:<22} "
            f"{describe_record(record)}"
        )
    return 0
