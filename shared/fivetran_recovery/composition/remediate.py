"""Composition root of the remediate function."""

from __future__ import annotations

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.remediation.service import RemediationService


def remediation_service(adapters: Adapters) -> RemediationService:
    return RemediationService(
        settings=adapters.settings,
        config=adapters.config,
        records=adapters.records,
        audit=adapters.audit,
        approvals=adapters.approvals,
        ledger=adapters.ledger,
        fivetran=adapters.fivetran,
        history=adapters.history,
        registry=adapters.registry,
        warehouse=adapters.warehouse,
        dispatcher=adapters.dispatcher,
        clock=adapters.clock,
    )
