"""The HTTP face of ingest: API Gateway v2 event in, API Gateway response out.

Every status code the endpoint can answer is decided here, from the outcome or the error class:
200 accepted/ignored, 400 bad input, 401 signature, 413 size, 503 when the queue or the secret cannot be
reached (Fivetran retries, so nothing is lost), 500 only for a bug. Routing is Powertools' APIGatewayHttpResolver
(`ROUTER`): `POST /webhooks/fivetran`; any other route answers its 404.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from fivetran_recovery.httpapi import request_value, resolve
from fivetran_recovery.ingest.errors import (
    CreatedOutOfWindow,
    IngestError,
    InvalidBodyEncoding,
    InvalidPayload,
    InvalidSignature,
    MalformedJson,
    MissingSignature,
    NotAnObject,
    PayloadTooLarge,
    QueueUnavailable,
    SecretUnavailable,
)
from fivetran_recovery.ingest.request import request_from_api_gateway
from fivetran_recovery.ingest.use_case import IngestOutcome, IngestWebhook

HTTP_STATUS_BY_ERROR: dict[type[IngestError], int] = {
    InvalidBodyEncoding: 400,
    MalformedJson: 400,
    NotAnObject: 400,
    InvalidPayload: 400,
    CreatedOutOfWindow: 400,
    MissingSignature: 401,
    InvalidSignature: 401,
    PayloadTooLarge: 413,
    QueueUnavailable: 503,
    SecretUnavailable: 503,
}
_JSON_HEADERS = {"content-type": "application/json"}


def status_for(error: IngestError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS_BY_ERROR:
            return HTTP_STATUS_BY_ERROR[cls]  # type: ignore[index]
    return 500


def json_response(status_code: int, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "headers": dict(_JSON_HEADERS),
        "body": json.dumps(payload, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def outcome_response(outcome: IngestOutcome) -> dict[str, Any]:
    if outcome.status == "accepted" and outcome.known_event_type and outcome.event_key:  # the hot path
        body = f'{{"status":"accepted","event_key":"{outcome.event_key}"}}'  # event_key is hex
        return {"statusCode": 200, "headers": dict(_JSON_HEADERS), "body": body, "isBase64Encoded": False}
    payload: dict[str, Any] = {"status": outcome.status}
    if outcome.event_key:
        payload["event_key"] = outcome.event_key
    if outcome.reason:
        payload["reason"] = outcome.reason
    if not outcome.known_event_type:
        payload["known_event_type"] = False
    return json_response(200, payload)


def error_response(error: IngestError) -> dict[str, Any]:
    return json_response(status_for(error), {"status": "rejected", "error": error.code, "message": error.detail})


INTERNAL_ERROR = {"status": "error", "error": "internal_error", "message": "the webhook could not be processed"}


ROUTER = APIGatewayHttpResolver()
WEBHOOK_PATH = "/webhooks/fivetran"


@ROUTER.post(WEBHOOK_PATH)
def _webhook() -> Response:
    answer = handle_api_gateway_event(ROUTER.current_event.raw_event, request_value("ingest"))
    return Response(status_code=answer["statusCode"], body=answer["body"], headers=answer["headers"])


def route_webhook(event: Mapping[str, Any], ingest: IngestWebhook, context: Any = None) -> dict[str, Any]:
    """The Lambda's entry: route an API Gateway (HTTP API v2) event through `ROUTER`."""
    return resolve(ROUTER, event, context, ingest=ingest)


def handle_api_gateway_event(event: Mapping[str, Any], ingest: IngestWebhook) -> dict[str, Any]:
    """Never raises: every input gets an answer, and only a bug answers 500."""
    try:
        request = request_from_api_gateway(event, max_bytes=ingest.max_body_bytes)
        outcome = ingest.handle(request)
    except IngestError as error:
        response = error_response(error)
        ingest.telemetry.rejected(error, response["statusCode"])
        return response
    except Exception:
        ingest.telemetry.crashed()
        return json_response(500, INTERNAL_ERROR)
    return outcome_response(outcome)
