"""Remediation: one playbook step per invocation, exactly once, within policy, audited."""

from fivetran_recovery.remediation.ledger import StepInProgress, StepLedger, StepOutcomeUnknown
from fivetran_recovery.remediation.service import PolicyViolation, RemediationService, StepUnresolved

__all__ = [
    "PolicyViolation",
    "RemediationService",
    "StepInProgress",
    "StepLedger",
    "StepOutcomeUnknown",
    "StepUnresolved",
]
