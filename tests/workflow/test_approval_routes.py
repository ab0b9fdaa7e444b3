"""The approval routes on Powertools' resolver: stage prefixes stripped, path parameters passed, unknown routes a
JSON 404 naming the route."""

from __future__ import annotations

import json

from fivetran_recovery.approvals.api import route


class RecordingService:
    def __init__(self):
        self.calls = []

    def show(self, approval_id, authorization):
        self.calls.append(("show", approval_id, authorization))
        return 200, {"approval_id": approval_id}

    def decide_api(self, approval_id, authorization, body):
        self.calls.append(("decide", approval_id, authorization, body))
        return 409, {"error": "already decided"}


def event(method: str, raw_path: str, stage: str = "$default", body: str = "") -> dict:
    return {"version": "2.0", "rawPath": raw_path, "headers": {"Authorization": "Bearer t"}, "body": body,
            "isBase64Encoded": False, "requestContext": {"http": {"method": method, "path": raw_path}, "stage": stage}}


def test_given_a_named_stage_when_routed_then_the_prefix_is_stripped_and_the_id_passed():
    service = RecordingService()
    response = route(event("GET", "/prod/approvals/apr-1", stage="prod"), service)
    assert (response["statusCode"], json.loads(response["body"])) == (200, {"approval_id": "apr-1"})
    assert response["headers"]["Cache-Control"] == "no-store"
    assert service.calls == [("show", "apr-1", "Bearer t")]


def test_given_a_decision_when_routed_then_the_raw_body_reaches_the_service_and_its_status_is_kept():
    service = RecordingService()
    response = route(event("POST", "/approvals/apr-2/decision", body='{"decision":"approve"}'), service)
    assert response["statusCode"] == 409
    assert service.calls == [("decide", "apr-2", "Bearer t", b'{"decision":"approve"}')]


def test_given_an_unknown_route_when_routed_then_a_json_404_naming_it():
    response = route(event("POST", "/approvals/apr-3"), RecordingService())
    assert (response["statusCode"], json.loads(response["body"])) == (404, {"error": "no route for POST /approvals/apr-3"})
