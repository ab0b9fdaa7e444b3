"""Composition root of "roll back this action" (the CLI's rollback command and the console's API)."""

from __future__ import annotations

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.remediation.rollback_service import RollbackService, sfn_starter


def rollback_service(adapters: Adapters) -> RollbackService:
    return RollbackService(
        audit=adapters.audit,
        settings=adapters.settings,
        config=adapters.config,
        registry=adapters.registry,
        start_workflow=sfn_starter(adapters.sfn, adapters.settings.state_machine_arn),
    )
