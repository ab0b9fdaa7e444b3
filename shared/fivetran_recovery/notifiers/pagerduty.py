"""PagerDuty Events API v2: trigger, acknowledge and resolve alerts, deduplicated by the incident fingerprint.

POST https://events.pagerduty.com/v2/enqueue with `routing_key`, `event_action` (trigger | acknowledge | resolve),
`dedup_key` and, for a trigger, `payload{summary, source, severity, component, group, class, custom_details}`.
PagerDuty answers 202 with `{"status": "success", "dedup_key": ...}`, 400 for an invalid event, 429 when throttled.
The routing key is a secret (it lets anyone open alerts on the service): SecretStr, never logged or echoed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from fivetran_recovery.models.incident import Criticality, Incident

ENQUEUE_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
EventAction = Literal["trigger", "acknowledge", "resolve"]
SEVERITY = {
    Criticality.CRITICAL: "critical",
    Criticality.HIGH: "error",
    Criticality.MEDIUM: "warning",
    Criticality.LOW: "info",
}


class PagerDutyError(RuntimeError):
    """PagerDuty refused or could not take the event (the message never contains the routing key)."""


def build_event(
    action: EventAction, incident: Incident, *, routing_key: SecretStr, link: str | None = None
) -> dict[str, Any]:
    """The Events API v2 body for `incident` (acknowledge and resolve need only the dedup key)."""
    event: dict[str, Any] = {
        "routing_key": routing_key.get_secret_value(),
        "event_action": action,
        "dedup_key": incident.fingerprint[:DEDUP_KEY_LIMIT],
    }
    if action != "trigger":
        return event
    summary = _summary(incident)
    event["payload"] = {
        "summary": summary[:SUMMARY_LIMIT],
        "source": incident.connection_id or f"destination {incident.destination_group_id or '-'}",
        "severity": SEVERITY[incident.criticality],
        "component": incident.connector_type or incident.connection_id or "fivetran",
        "group": incident.destination_group_id or "fivetran",
        "class": f"{incident.category.value}/{incident.pattern}",
        "custom_details": {
            "incident_id": incident.id,
            "kind": incident.kind.value,
            "status": incident.status.value,
            "owner": incident.owner,
            "failures": incident.counts.failures,
            "connections": incident.child_connections or [incident.connection_id],  # a parent's: a sample
            "first_seen": incident.first_seen.isoformat(),
            "diagnosis": incident.diagnosis.summary if incident.diagnosis else None,
            "external_status": [f"{r.source}: {r.name} ({r.status})" for r in incident.external_status],
        },
    }
    if link:
        event["links"] = [{"href": link, "text": "Incident"}]
    return event


def _summary(incident: Incident) -> str:
    where = (
        f"{incident.child_count} connections on {incident.destination_group_id or 'many destinations'}"
        if incident.child_count
        else f"connection {incident.connection_id}"
    )
    cause = incident.diagnosis.summary if incident.diagnosis and incident.diagnosis.summary else incident.pattern
    return f"Fivetran {incident.category.value}/{incident.pattern} on {where}: {cause}"


class PagerDutyNotifier:
    """Sends Events API v2 events; retries 429/5xx/connection errors a bounded number of times."""

    name = "pagerduty"

    def __init__(
        self,
        *,
        routing_key: SecretStr,
        client: httpx.Client | None = None,
        url: str = ENQUEUE_URL,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not routing_key.get_secret_value():
            raise ValueError("PagerDuty routing key is empty")
        self._routing_key = routing_key
        self._client = client or httpx.Client(timeout=10.0)
        self._url = url
        self._max_attempts = max(1, max_attempts)
        self._sleep = sleep

    def trigger(self, incident: Incident, *, link: str | None = None) -> str:
        return self._send(build_event("trigger", incident, routing_key=self._routing_key, link=link))

    def acknowledge(self, incident: Incident) -> str:
        return self._send(build_event("acknowledge", incident, routing_key=self._routing_key))

    def resolve(self, incident: Incident) -> str:
        return self._send(build_event("resolve", incident, routing_key=self._routing_key))

    def send(self, action: EventAction, incident: Incident) -> str:
        return self._send(build_event(action, incident, routing_key=self._routing_key))

    def _send(self, event: dict[str, Any]) -> str:
        """Returns the dedup key PagerDuty acknowledged."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._client.post(self._url, json=event)
            except httpx.HTTPError as error:
                if attempt == self._max_attempts:
                    raise PagerDutyError(f"pagerduty enqueue failed: {type(error).__name__}") from None
                self._sleep(min(2**attempt, 10))
                continue
            if response.status_code in (200, 201, 202):
                body = _json(response)
                return str(body.get("dedup_key") or event["dedup_key"])
            if (response.status_code == 429 or response.status_code >= 500) and attempt < self._max_attempts:
                self._sleep(_retry_after(response, attempt))
                continue
            body = _json(response)
            detail = "; ".join(str(e) for e in body.get("errors", [])) or body.get("message") or "no detail"
            raise PagerDutyError(f"pagerduty enqueue: HTTP {response.status_code}: {str(detail)[:300]}")
        raise PagerDutyError("pagerduty enqueue: gave up")  # pragma: no cover (loop always returns or raises)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "")), 30.0)
    except ValueError:
        return float(min(2**attempt, 10))
