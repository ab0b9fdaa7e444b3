"""Composition root of the verify function."""

from __future__ import annotations

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.remediation.auto_rollback import rollback_runner
from fivetran_recovery.verification.service import VerificationService


def verification_service(adapters: Adapters) -> VerificationService:
    return VerificationService(
        audit=adapters.audit,
        records=adapters.records,
        fivetran=adapters.fivetran,
        warehouse=adapters.warehouse,
        rollback=rollback_runner(fivetran=adapters.fivetran, audit=adapters.audit, clock=adapters.clock),
        autonomy=adapters.autonomy,
    )
