"""Composition root of the notify function."""

from __future__ import annotations

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.composition.approve import approval_service
from fivetran_recovery.workflow.notify import NotifyService


def notify_service(adapters: Adapters) -> NotifyService:
    from fivetran_recovery.recovery_sql.audit_mirror import audit_mirror_for  # sqlglot: not at cold start

    return NotifyService(
        config=adapters.config,
        approvals=approval_service(adapters),
        records=adapters.records,
        audit=adapters.audit,
        dispatcher=adapters.dispatcher,
        clock=adapters.clock,
        audit_mirror=audit_mirror_for(adapters.warehouse, adapters.config.audit_mirror_schema),
    )
