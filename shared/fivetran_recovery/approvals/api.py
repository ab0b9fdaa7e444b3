"""HTTP routes of the approval API (API Gateway HTTP API, payload format 2.0), on Powertools' event handler:
`GET /approvals/{approval_id}`, `POST /approvals/{approval_id}/decision` (bearer token of an allow-listed approver)
and `POST /slack/interactions` (Slack-signed). JSON responses, errors as {"error": "..."}.

`router` is included by the API function's resolver (console/app.py); the route functions find the
`ApprovalService` as `request_value("approvals")`, given per request to `fivetran_recovery.httpapi.resolve`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.router import Router

from fivetran_recovery.approvals.service import ApprovalService
from fivetran_recovery.httpapi import request_value, resolve

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}

router = Router()


def json_answer(status: int, body: Any) -> Response:
    return Response(status_code=status, body=json.dumps(body, sort_keys=True), headers=dict(JSON_HEADERS))


def raw_body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def _service() -> ApprovalService:
    return request_value("approvals")


def _headers() -> dict[str, str]:
    return {k.lower(): v for k, v in (router.current_event.headers or {}).items()}


@router.post("/slack/interactions")
def slack_interaction():
    return json_answer(*_service().slack_interaction(_headers(), raw_body(router.current_event.raw_event)))


@router.get("/approvals/<approval_id>")
def show_approval(approval_id: str):
    return json_answer(*_service().show(approval_id, _headers().get("authorization")))


@router.post("/approvals/<approval_id>/decision")
def decide_approval(approval_id: str):
    body = raw_body(router.current_event.raw_event)
    return json_answer(*_service().decide_api(approval_id, _headers().get("authorization"), body))


def not_found(_: NotFoundError) -> Response:
    event = router.current_event
    return json_answer(404, {"error": f"no route for {event.http_method.upper()} {event.path}"})


def approval_resolver() -> APIGatewayHttpResolver:
    """A resolver with the approval routes alone (the API function adds the console's)."""
    app = APIGatewayHttpResolver()
    app.include_router(router)
    app.not_found(not_found)
    return app


_RESOLVER = approval_resolver()


def route(event: Mapping[str, Any], service: ApprovalService, context: Any = None) -> dict[str, Any]:
    return resolve(_RESOLVER, event, context, approvals=service)
