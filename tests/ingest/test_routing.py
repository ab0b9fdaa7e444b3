"""The ingest Lambda routes through Powertools' APIGatewayHttpResolver: the webhook route answers as the adapter
does, anything else is the resolver's 404."""

from __future__ import annotations

import json

from fivetran_recovery.ingest import handle_api_gateway_event, route_webhook


def test_given_the_webhook_route_when_routed_then_the_same_answer_as_the_adapter(
    make_event, live_body, ingest, queue
):
    routed = route_webhook(make_event(live_body), ingest)
    assert routed["statusCode"] == 200 and json.loads(routed["body"])["status"] == "accepted"
    again = handle_api_gateway_event(make_event(live_body), ingest)
    assert (again["statusCode"], json.loads(again["body"])) == (200, json.loads(routed["body"]))
    assert len(queue.messages) == 1


def test_given_another_route_when_routed_then_404_and_nothing_queued(make_event, live_body, ingest, queue):
    event = {**make_event(live_body), "routeKey": "GET /webhooks/fivetran", "rawPath": "/webhooks/fivetran"}
    assert route_webhook(event, ingest)["statusCode"] == 404
    other = {**make_event(live_body), "routeKey": "POST /elsewhere", "rawPath": "/elsewhere"}
    assert route_webhook(other, ingest)["statusCode"] == 404
    assert queue.messages == []
