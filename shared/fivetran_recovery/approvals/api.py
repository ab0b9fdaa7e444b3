"""HTTP routing of the approve function (API Gateway HTTP API, payload format 2.0): the three routes of
template.yaml, JSON responses, errors as {"error": "..."}."""

from __future__ import annotations

import base64
import json
from typing import Any

from fivetran_recovery.approvals.service import ApprovalService

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": JSON_HEADERS, "body": json.dumps(body, sort_keys=True)}


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def route(event: dict[str, Any], service: ApprovalService) -> dict[str, Any]:
    http = (event.get("requestContext") or {}).get("http") or {}
    method = (http.get("method") or event.get("httpMethod") or "").upper()
    path = event.get("rawPath") or http.get("path") or event.get("path") or ""
    stage = (event.get("requestContext") or {}).get("stage")
    if stage and stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1 :]
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    params = event.get("pathParameters") or {}
    parts = [p for p in path.split("/") if p]
    if method == "POST" and parts == ["slack", "interactions"]:
        return _response(*service.slack_interaction(headers, _raw_body(event)))
    if len(parts) >= 2 and parts[0] == "approvals":
        approval_id = params.get("approval_id") or parts[1]
        if method == "GET" and len(parts) == 2:
            return _response(*service.show(approval_id, headers.get("authorization")))
        if method == "POST" and len(parts) == 3 and parts[2] == "decision":
            return _response(*service.decide_api(approval_id, headers.get("authorization"), _raw_body(event)))
    return _response(404, {"error": f"no route for {method} {path}"})
