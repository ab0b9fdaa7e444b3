"""The console's JSON API (`/health`, `/api/...`) on Powertools' router: query and body validation by the
resolver, and the OpenAPI document generated from these declarations (docs/openapi/console.json)."""

# No `from __future__ import annotations` here: the routes are wrapped by `guarded` (defined in access.py), and
# Powertools resolves string annotations in the wrapper's module, where Query/Body/DecisionBody are not names.
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import Router

from fivetran_recovery.approvals.service import DecisionBody
from fivetran_recovery.console import schemas
from fivetran_recovery.console.access import Refused, console_of, guarded, who

router = Router()
JSON_TYPE = "application/json"
StatusFilter = Literal["open", "self_healed", "suppressed", "diagnosed", "awaiting_approval", "remediating",
                       "recovered", "escalated", "closed"]  # models.incident.IncidentStatus


def _doc(model: type, description: str = "OK") -> dict[int, Any]:
    error = {"content": {JSON_TYPE: {"model": schemas.Error}}}
    return {200: {"description": description, "content": {JSON_TYPE: {"model": model}}},
            401: {"description": "no valid session or bearer token", **error},
            403: {"description": "refused (CSRF token, allow-list)", **error},
            404: {"description": "not found", **error}}


def answer(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=JSON_TYPE, body=json.dumps(body, default=str))


def _refused(exc: Refused) -> Response:
    return answer(exc.status, {"error": str(exc)})


signed_in = guarded(router, _refused)  # every /api route: a session (CSRF on POST) or a bearer token


@router.get("/health", summary="Liveness: no auth, no secrets",
            responses={200: {"description": "up", "content": {JSON_TYPE: {"model": schemas.Health}}}})
def health():
    return answer(200, {"status": "ok", "service": "fivetran-recovery", "time": datetime.now(UTC).isoformat()})


@router.get("/api/incidents", summary="Open and recent incidents, newest first", responses=_doc(schemas.IncidentList))
@signed_in
def list_incidents(
    status: Annotated[StatusFilter | None, Query(description="open = every open status")] = None,
    connection: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    destination: Annotated[str | None, Query(max_length=200)] = None,
):
    reads = console_of(router).reads
    return answer(200, reads.list_incidents(status=status, connection=connection, category=category,
                                            destination=destination))


@router.get("/api/incidents/<incident_id>", summary="One incident: timeline, RCA, plan and dry run, approvals",
            responses=_doc(schemas.IncidentDetail))
@signed_in
def get_incident(incident_id: str):
    detail = console_of(router).reads.incident(incident_id)
    return answer(200, detail) if detail else answer(404, {"error": f"no incident {incident_id}"})


@router.get("/api/incidents/<incident_id>/audit", summary="An incident's audit records, in time order",
            responses=_doc(schemas.AuditRecords))
@signed_in
def incident_audit(incident_id: str):
    return answer(200, {"records": console_of(router).reads.audit_for_incident(incident_id)})


@router.get("/api/approvals", summary="Approvals by status (default: the pending queue)",
            responses=_doc(schemas.ApprovalList))
@signed_in
def list_approvals(
    status: Annotated[Literal["pending", "approved", "rejected", "expired", "all"], Query()] = "pending",
):
    return answer(200, console_of(router).reads.list_approvals(None if status == "all" else status))


@router.post("/api/approvals/<approval_id>/decision", summary="Approve or reject (comment required to reject)",
             responses=_doc(schemas.DecisionResult))
@signed_in
def decide(approval_id: str, body: Annotated[DecisionBody, Body()]):
    me = who()
    if body.decision == "reject" and not body.comment.strip():
        return answer(400, {"error": "a rejection needs a comment saying why"})
    source = "console" if me.session else "api"
    status, result = console_of(router).approvals.decide(approval_id, body, approver=me.approver, source=source)
    return answer(status, result)


@router.get("/api/connections", summary="Connections: state, open incident, risk, schedule advice, automation",
            responses=_doc(schemas.ConnectionList))
@signed_in
def list_connections():
    return answer(200, console_of(router).reads.list_connections())


@router.post("/api/connections/<connection_id>/automation", summary="Stop or resume automation on a connection",
             responses=_doc(schemas.AutomationChange))
@signed_in
def set_automation(connection_id: str, body: Annotated[schemas.AutomationRequest, Body()]):
    me = who()
    try:
        change = console_of(router).set_automation(connection_id, stop=body.action == "stop", by=me.approver,
                                                   reason=body.reason)
    except ValueError as exc:
        return answer(400, {"error": str(exc)})
    return answer(200, change)


@router.get("/api/audit", summary="Every audit chain, verified", responses=_doc(schemas.AuditChains))
@signed_in
def audit_chains():
    return answer(200, console_of(router).reads.audit_chains())


@router.get("/api/audit/<chain_id>", summary="One connection's chain: verification and records",
            responses=_doc(schemas.AuditChain))
@signed_in
def audit_chain(chain_id: str):
    return answer(200, console_of(router).reads.audit_chain(chain_id))
