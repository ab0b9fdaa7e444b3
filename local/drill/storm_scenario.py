"""The alert storm through the whole local stack: every raw webhook of local/drill/storm.py signed and posted to
the gateway, queued, diagnosed (LLM calls answered by the loopback fake of the Messages API), triaged against
the emulated DynamoDB tables, then checked with the storm's own checker.

The storm's events keep their spacing but are moved to start now: triage holds are measured in event time, so
events dated in the past would find every hold already over.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx

from local.defaults import webhook_secret
from local.drill import steps
from local.drill.runner import Scenario, ScenarioResult
from local.drill.storm import StormObservation, check_storm, storm_scenario
from local.stack import LocalStack

SEED = 6


def _post_signed(client: httpx.Client, url: str, secret: str, payload: dict) -> int:
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(url, content=body, headers={"X-Fivetran-Signature-256": signature,
                                                   "Content-Type": "application/json"}).status_code


def post_signed_webhook(stack: LocalStack, payload: dict) -> int:
    """Send one webhook to the stack as Fivetran would: compact JSON, signed with the stack's secret."""
    secret = stack.options.webhook_secret or webhook_secret()
    with httpx.Client(timeout=30) as client:
        return _post_signed(client, f"{stack.base_url}/webhooks/fivetran", secret, payload)


def _observation(stack: LocalStack, incidents: dict) -> StormObservation:
    """Notifications as sent (the local outbox) and pages as decided (incidents marked paged)."""
    from fivetran_recovery.triage.decision import Notification, NotificationKind, PageAction

    paged = {i.id for i in incidents.values() if i.paged}
    sent = []
    for notice in (n for n in steps.outbox(stack) if n["op"] == "post"):
        incident_id = notice.get("incident_id", "")
        page = PageAction.TRIGGER if incident_id in paged else None
        paged.discard(incident_id)
        sent.append(Notification(kind=NotificationKind.INCIDENT_OPENED, incident_id=incident_id,
                                 channel=notice.get("channel"), page=page))
    deep = sum(1 for r in steps.audit_records(stack) if r.get("kind") == "diagnosis")
    return StormObservation(deep_diagnoses=deep, notifications=sent)


def play_storm(stack: LocalStack, result: ScenarioResult) -> None:
    from fivetran_recovery.composition import Adapters
    from fivetran_recovery.stores.dynamodb_incidents import DynamoDigestStore

    scenario = storm_scenario(SEED)
    shift = datetime.now(UTC) - min(e.created for e in scenario.events)
    secret = stack.options.webhook_secret or webhook_secret()
    statuses: dict[int, int] = {}
    with httpx.Client(timeout=30) as client:
        for event in scenario.events:
            payload = event.model_dump(mode="json", exclude_none=True, by_alias=False)
            payload["connector_id"] = payload.pop("connection_id")
            payload["created"] = (event.created + shift).isoformat().replace("+00:00", "Z")
            status = _post_signed(client, f"{stack.base_url}/webhooks/fivetran", secret, payload)
            statuses[status] = statuses.get(status, 0) + 1
    stack.wait_for_executions(timeout=120, until=("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "RUNNING"))

    adapters = Adapters()
    store = adapters.incidents
    digest = DynamoDigestStore(client=adapters.dynamodb_client, table_name=adapters.settings.incidents_table)
    scenario.events = [e.model_copy(update={"created": e.created + shift}) for e in scenario.events]
    incidents = {i.id: i for c in scenario.storm_connections + scenario.unrelated_connections
                 + scenario.flaky_connections for i in store.list_by_connection(c, limit=100)}
    observed = _observation(stack, incidents)
    outcome = check_storm(scenario, incidents=store, digest=digest, observed=observed)

    result.incidents = outcome.incidents
    result.llm_calls = stack.llm_calls
    result.fivetran_write_calls = len(steps.write_calls(stack))
    result.details = {**outcome.as_dict(), "webhook_answers": statuses}
    result.checks = {
        "every webhook accepted": set(statuses) == {200},
        "4 incidents (1 parent with 50 children, 3 separate)": outcome.incidents == 4 and outcome.parents == 1
        and outcome.children_per_parent == [50] and outcome.separate == 3,
        "0 pages for the self-healed": outcome.pages_for_self_healed == 0,
        "at most 4 LLM calls": stack.llm_calls <= 4 and outcome.deep_diagnoses <= 4,
        "every raw event accounted for": not outcome.unaccounted,
    }
    result.outcome = (f"{outcome.raw_failure_events} raw failures -> {outcome.incidents} incidents "
                      f"({outcome.parents} parent with {outcome.children_per_parent} children, {outcome.separate} "
                      f"separate), {outcome.self_healed} self-healed, {outcome.notifications} notifications, "
                      f"{outcome.pages} pages; noise reduction {outcome.noise_reduction:.1f}x; "
                      f"problems: {'; '.join(outcome.problems) or 'none'}")
    result.passed = True


STORM = Scenario(
    "alert_storm",
    "50 connections on one destination fail 3x, 3 fail for their own reasons, 5 self-heal: 4 incidents, "
    "0 pages for the self-healed, <= 4 LLM calls, every event accounted for",
    play_storm,
    environment={"POWERTOOLS_METRICS_DISABLED": "true"},
)
