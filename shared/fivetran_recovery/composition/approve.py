"""Composition root of the approve function (and of the approval use case the notify function requests with)."""

from __future__ import annotations

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
    )
