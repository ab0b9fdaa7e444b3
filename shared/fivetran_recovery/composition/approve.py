"""Composition root of the API function (approve grown into the API: approvals, the console's JSON API and its
pages) and of the approval use case the notify function requests with."""

from __future__ import annotations

from fivetran_recovery.approvals.auth import ApproverDirectory
from fivetran_recovery.approvals.service import ApprovalService
from fivetran_recovery.composition.adapters import Adapters


def approval_service(adapters: Adapters) -> ApprovalService:
    return ApprovalService(
        settings=adapters.settings,
        config=adapters.config,
        approvals=adapters.approvals,
        records=adapters.records,
        audit=adapters.audit,
        dispatcher=adapters.dispatcher,
        secrets=adapters.secrets,
        sfn=adapters.sfn,
        clock=adapters.clock,
        team_of=lambda workflow: _team_of(workflow),
        schema_of=lambda connection_id: _schema_of(adapters, connection_id),
        start_workflow=_starter(adapters),
    )


def _starter(adapters: Adapters):
    """Approving a preemptive plan starts its recovery workflow (the API function's STATE_MACHINE_ARN)."""
    from fivetran_recovery.remediation.rollback_service import sfn_starter

    arn = adapters.settings.state_machine_arn
    return (lambda name, payload: sfn_starter(adapters.sfn, arn)(name, payload)) if arn else None


def _team_of(workflow: dict) -> str | None:
    """The owners.yaml team of the workflow's connection (routed as alerts are)."""
    from fivetran_recovery.config import resolve_config_dir
    from fivetran_recovery.triage.routing import Routing

    event = workflow.get("event") or {}
    route = Routing.load(resolve_config_dir() / "owners.yaml").resolve(
        connection_id=workflow["connection_id"], destination_group_id=event.get("destination_group_id"),
        connector_type=event.get("connector_type"))
    return route.owner


def _schema_of(adapters: Adapters, connection_id: str) -> dict | None:
    from fivetran_recovery.fivetran import FivetranError

    try:
        read = getattr(adapters.fivetran, "full_schema_config", None) or adapters.fivetran.get_schema_config
        config = read(connection_id)
    except FivetranError:
        return None
    return config.model_dump(mode="json") if hasattr(config, "model_dump") else dict(config)


def console_service(adapters: Adapters):
    from fivetran_recovery.config import field
    from fivetran_recovery.console.reads import ConsoleReads
    from fivetran_recovery.console.scans import scan_approvals, scan_incidents
    from fivetran_recovery.console.service import ConsoleService
    from fivetran_recovery.console.session import SessionSigner
    from fivetran_recovery.prediction.store import DynamoRiskStore
    from fivetran_recovery.stores.dynamodb_incidents import DynamoDigestStore

    settings, config = adapters.settings, adapters.config
    client = adapters.dynamodb_client
    reads = ConsoleReads(
        incidents=adapters.incidents,
        incident_scan=lambda: scan_incidents(client, settings.incidents_table),
        approvals=adapters.approvals,
        approval_scan=lambda: scan_approvals(client, settings.approvals_table, adapters.approvals),
        audit=adapters.audit,
        records=adapters.records,
        overrides=adapters.overrides,
        risks=adapters.cached("risks", lambda: DynamoRiskStore(adapters.table(settings.incidents_table))),
        fivetran=adapters.fivetran,
        digest=DynamoDigestStore(client=client, table_name=settings.incidents_table),
        playbooks=lambda: adapters.autonomy.report(adapters.registry.ids()),
        clock=adapters.clock,
    )
    return ConsoleService(
        reads=reads,
        approvals=approval_service(adapters),
        overrides=adapters.overrides,
        directory=lambda: ApproverDirectory.from_secret(adapters.secrets.get(config.approver_secret_id)),
        rollback=lambda: _rollback(adapters),
        signer=lambda: SessionSigner(str(field(adapters.secrets, config.console_session_secret_id, "session_key")),
                                     secure=config.console_secure_cookie),
    )


def _rollback(adapters: Adapters):
    """"Roll back this action" from the console: the same service as the CLI's (composition/rollback.py)."""
    from fivetran_recovery.composition.rollback import rollback_service

    return adapters.cached("rollback", lambda: rollback_service(adapters))
