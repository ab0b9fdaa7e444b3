"""Human approval: a stored task token behind an approval id, decided once by an authorised approver."""

from fivetran_recovery.approvals.auth import ApproverDirectory, AuthError, slack_signature, verify_slack_request
from fivetran_recovery.approvals.service import REJECTED_ERROR, ApprovalService
from fivetran_recovery.approvals.store import ApprovalConflict, ApprovalStore

__all__ = [
    "REJECTED_ERROR",
    "ApprovalConflict",
    "ApprovalService",
    "ApprovalStore",
    "ApproverDirectory",
    "AuthError",
    "slack_signature",
    "verify_slack_request",
]
