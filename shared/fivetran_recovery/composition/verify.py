"""Composition root of the verify function."""

from __future__ import annotations

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.verification.service import VerificationService


def verification_service(adapters: Adapters) -> VerificationService:
    return VerificationService(
        audit=adapters.audit, records=adapters.records, fivetran=adapters.fivetran, warehouse=adapters.warehouse
    )
