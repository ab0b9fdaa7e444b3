"""Verification that a remediation worked: the next sync succeeded and freshness is back."""

from fivetran_recovery.verification.service import VerificationService, evaluate

__all__ = ["VerificationService", "evaluate"]
