"""One decision, recorded before it is delivered, delivered at most once (issue 13, crash injection).

The approvals table's conditional decide is the intent: it holds the decision and, until the delivery is marked,
the task token. Then, in order: the `approval` audit record (written ahead: a workflow resumed by this decision
always finds it on the trail), SendTaskSuccess/Failure, `mark_delivered` (drops the token), the
`approval_delivery` record. An invocation that dies anywhere in that sequence is completed by the next decision
request for the approval (a human clicking again, Slack retrying) or by the approval timeout, never by deciding
again: a missing audit record is added, an undelivered decision is sent with its stored token. The task token is
Step Functions' own idempotency key: a token whose task already closed is refused (TaskTimedOut), so a resend
never resumes a workflow twice.
"""

from __future__ import annotations

from typing import Any

RETRY_NOTE = "completed on retry: the deciding invocation stopped before the delivery was marked"
RETRY_REFUSED = ("the decision stands; the workflow did not take it again (an earlier send of it was taken, or the "
                 "workflow stopped waiting): see the incident's trail")
TIMED_OUT = "not delivered: the workflow stopped waiting (approval timeout) before the decision reached it"


def decision_detail(approval: dict[str, Any], *, note: str | None = None) -> dict[str, Any]:
    """The `approval` record's detail, from the stored decision alone (so a retry writes the same record)."""
    detail = {
        "approval_id": approval["approval_id"],
        "decision": approval.get("status"),
        "source": approval.get("decision_source"),
        "comment": approval.get("comment", ""),
        "decided_at": approval.get("decided_at"),
        "resolution": approval.get("resolution"),
    }
    return {**detail, "note": note} if note else detail


def recorded(audit: Any, approval: dict[str, Any], kind: str) -> bool:
    return any(r.kind == kind and r.detail.get("approval_id") == approval["approval_id"]
               for r in audit.for_incident(approval["incident_id"]))


def record_decision(audit: Any, approval: dict[str, Any], *, note: str | None = None) -> None:
    audit.append(chain_id=approval["connection_id"], incident_id=approval["incident_id"], kind="approval",
                 actor=approval.get("decided_by") or "unknown", detail=decision_detail(approval, note=note))


def record_delivery(audit: Any, approval: dict[str, Any], delivery: str, *, note: str | None = None) -> None:
    detail = {"approval_id": approval["approval_id"], "decision": approval.get("status"), "delivery": delivery}
    audit.append(chain_id=approval["connection_id"], incident_id=approval["incident_id"], kind="approval_delivery",
                 actor="approve", detail={**detail, "note": note} if note else detail)


def complete_records(audit: Any, approval: dict[str, Any]) -> None:
    """A decided approval whose delivery is marked but whose records were cut off: add what is missing."""
    if not recorded(audit, approval, "approval"):
        record_decision(audit, approval, note="recorded on retry: the deciding invocation stopped before its record")
    delivery = approval.get("delivery")
    if delivery and not recorded(audit, approval, "approval_delivery"):
        record_delivery(audit, approval, str(delivery), note="recorded on retry")
