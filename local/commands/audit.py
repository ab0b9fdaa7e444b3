"""`fivetran-recovery audit verify|show`: check the hash-chained audit trail, or print one incident's records.

Records come from the running stack's API by default (the local stack `make run` started, or a deployed one with
--api-url and $FIVETRAN_RECOVERY_TOKEN), from the AuditTable with --table (the deployed one with AWS credentials,
or any DynamoDB endpoint such as a moto server via --endpoint-url), or from a JSON-lines export (--file). `verify`
exits 1 and names the first broken link of each broken chain; 0 when every chain is intact.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from types import SimpleNamespace
from typing import Annotated, Any

import typer

from local.commands._output import error


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="audit", help="Inspect and verify the hash-chained audit trail.", no_args_is_help=True)
    group.command("verify", help="Check every chain (or one connection's) and report broken links.")(verify)
    group.command("show", help="Print the records of one incident, in time order.")(show)
    app.add_typer(group, name="audit")


FileOpt = Annotated[
    str | None, typer.Option("--file", help="JSON lines of audit records (an export) instead of the table")
]
TableOpt = Annotated[
    str | None, typer.Option("--table", envvar="AUDIT_TABLE", help="AuditTable name (env AUDIT_TABLE)")
]
EndpointOpt = Annotated[
    str | None,
    typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL_DYNAMODB",
                 help="DynamoDB endpoint (e.g. a moto server); default: AWS"),
]
RegionOpt = Annotated[str | None, typer.Option("--region", help="AWS region (default: AWS_REGION)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="one JSON document instead of text")]
ApiUrlOpt = Annotated[str | None, typer.Option("--api-url", help="a deployed API (default: the local stack)")]


def verify(
    connection: Annotated[str | None, typer.Option("--connection", help="only this connection's chain")] = None,
    file: FileOpt = None, table: TableOpt = None, endpoint_url: EndpointOpt = None, region: RegionOpt = None,
    json_out: JsonOpt = False, api_url: ApiUrlOpt = None,
) -> int:
    args = _Args("verify", connection=connection, file=file, table=table, endpoint_url=endpoint_url,
                 region=region, json=json_out, api_url=api_url)
    return run(args)


def show(
    incident_id: Annotated[str | None, typer.Argument(metavar="[INCIDENT]", help="the incident id")] = None,
    incident: Annotated[str | None, typer.Option("--incident", help="the incident id")] = None,
    file: FileOpt = None, table: TableOpt = None, endpoint_url: EndpointOpt = None, region: RegionOpt = None,
    json_out: JsonOpt = False, api_url: ApiUrlOpt = None,
) -> int:
    if not (incident or incident_id):
        raise typer.BadParameter("give the incident id (audit show ID, or --incident ID)")
    args = _Args("show", incident=incident or incident_id, file=file, table=table, endpoint_url=endpoint_url,
                 region=region, json=json_out, api_url=api_url)
    return run(args)


class _Args(SimpleNamespace):
    def __init__(self, audit_command: str, **values: Any):
        values.setdefault("connection", None)
        values.setdefault("incident", None)
        values.setdefault("api_url", None)
        values["region"] = values.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        super().__init__(audit_command=audit_command, **values)


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


def _table_log(args: Any) -> Any:
    import boto3

    from fivetran_recovery.audit import AuditLog

    if not args.table:
        raise ValueError("give --table (or set AUDIT_TABLE), or --file")
    from fivetran_recovery.audit.seal import KmsMac, S3Anchors

    resource = boto3.resource("dynamodb", endpoint_url=args.endpoint_url, region_name=args.region)
    key, bucket = os.environ.get("AUDIT_KEY_ID"), os.environ.get("AUDIT_ANCHOR_BUCKET")
    return AuditLog(  # signatures (kms:VerifyMac) and anchors checked when the key / bucket are named
        resource.Table(args.table),
        signer=KmsMac(lambda: boto3.client("kms", region_name=args.region), key) if key else None,
        anchors=S3Anchors(lambda: boto3.client("s3", region_name=args.region), bucket) if bucket else None,
    )


def _checks(args: Any) -> list[Any]:
    from fivetran_recovery.audit import verify_records

    if args.file:
        chains = _FileSource(args.file).chains()
        ids = [args.connection] if args.connection else sorted(chains)
        return [verify_records(i, chains.get(i, [])) for i in ids]
    if not args.table:
        return _api_checks(args)
    log = _table_log(args)
    return [log.verify_chain(args.connection)] if args.connection else log.verify_all()


def _api(args: Any) -> Any:
    from local.commands._client import ApiClient

    return ApiClient(args.api_url)


def _api_checks(args: Any) -> list[Any]:
    from fivetran_recovery.audit.chain import ChainCheck

    if args.connection:
        return [ChainCheck.model_validate(_api(args).get(f"/api/audit/{args.connection}")["check"])]
    return [ChainCheck.model_validate(c) for c in _api(args).get("/api/audit")["chains"]]


def _api_records(args: Any) -> list[Any]:
    from fivetran_recovery.audit.chain import AuditRecord

    return [AuditRecord.model_validate(r) for r in _api(args).get(f"/api/incidents/{args.incident}/audit")["records"]]


def run(args: Any) -> int:
    try:
        if args.audit_command == "verify":
            return _verify(args)
        return _show(args)
    except (OSError, ValueError) as exc:
        error("audit", str(exc))
        return 2
    except Exception as exc:  # ApiError (cannot reach the stack) and AWS errors: one line, never a traceback
        from local.commands._client import ApiError

        if isinstance(exc, ApiError):
            error("audit", str(exc))
            return 2
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
        error("audit", f"cannot read the audit table: {code or type(exc).__name__}")
        return 2


def _verify(args: Any) -> int:
    checks = _checks(args)
    broken = [c for c in checks if not c.ok]
    if args.json:
        print(json.dumps({"ok": not broken, "chains": [c.model_dump() for c in checks]}, sort_keys=True))
    else:
        from local.commands._output import table

        table(["chain", "status", "records", "first broken link"],
              [(c.chain_id, "OK" if c.ok else "BROKEN", c.records,
                None if c.ok else f"first broken link at seq {c.broken_seq}: {c.reason}") for c in checks])
        print(f"{len(checks) - len(broken)} of {len(checks)} chains intact")
    return 1 if broken else 0


def _show(args: Any) -> int:
    if args.file:
        records = _FileSource(args.file).for_incident(args.incident)
    else:
        records = _table_log(args).for_incident(args.incident) if args.table else _api_records(args)
    if not records:
        error("audit", f"no records for incident {args.incident}")
        return 1
    if args.json:
        print(json.dumps([r.model_dump() for r in records], sort_keys=True))
        return 0
    from fivetran_recovery.workflow.summary import describe_record
    from local.commands._output import table

    table(["recorded at", "chain#seq", "kind", "actor", "what"],
          [(r.recorded_at, f"{r.chain_id}#{r.seq}", r.kind, r.actor, describe_record(r)) for r in records],
          title=f"incident {args.incident}")
    return 0
