"""The simulated account's webhooks: the ones created through the API (`/v1/webhooks...`) and the target the
simulator is configured with, and which of them an event goes to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from local.simulator.fleet import iso
from local.simulator.rules import SimApiError, bad_request, cursor_offset, make_cursor
from local.simulator.webhooks import Delivery, Target, WebhookSender

ALL_EVENTS = (
    "sync_start",
    "sync_end",
    "pause_connector",
    "resume_connector",
    "edit_connector",
    "force_update_connector",
    "resync_connector",
    "resync_table",
    "connection_successful",
    "connection_failure",
)
CONFIGURED_ID = "sim_configured"


@dataclass
class Hook:
    id: str
    type: str  # account | group
    url: str
    target: Target
    events: list[str]
    active: bool
    secret: str | None
    created_at: datetime
    group_id: str | None = None
    listed: bool = True  # False for the simulator's configured target (not an API webhook)

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "group_id": self.group_id,
            "url": self.url,
            "events": list(self.events),
            "active": self.active,
            "secret": "******" if self.secret else None,  # Fivetran returns secrets masked
            "created_at": iso(self.created_at),
            "created_by": "sim_operator",
        }


@dataclass
class _Retry:
    delivery: Delivery
    first_failed_at: datetime
    wait: float  # seconds waited before the retry now due
    due: datetime


def _label(target: Target) -> str:
    return target if isinstance(target, str) else getattr(target, "__name__", "callable")


class WebhookRegistry:
    def __init__(
        self,
        sender: WebhookSender,
        now: Callable[[], datetime],
        *,
        require_https: bool = True,
        verify_on_create: bool = True,
        retry: bool = True,
        retry_step: float = 300.0,
        retry_for: float = 24 * 3600.0,
    ) -> None:
        self._sender = sender
        self._now = now
        self._require_https = require_https
        self._verify_on_create = verify_on_create
        self._retry, self._retry_step, self._retry_for = retry, retry_step, retry_for
        self._lock = threading.Lock()
        self._hooks: dict[str, Hook] = {}
        self._retries: dict[tuple[str, bytes], _Retry] = {}
        self._seq = 0
        self.disabled: list[dict[str, Any]] = []  # {webhook_id, at}: webhooks Fivetran disabled after 24 h
        # Drill controls: the receiver is down (every delivery fails), or Fivetran drops an event on its side.
        self.down: set[str] = set()
        self.drop: dict[str, set[str]] = {}  # connection id -> events never delivered (kept in `dropped`)
        self.dropped: list[tuple[str, bytes]] = []
        sender.on_result = self._on_result

    # -- retries: FACTS.md 1.5 (each wait 5 minutes longer than the last, for 24 h, then the webhook is disabled)
    def _on_result(self, delivery: Delivery) -> None:
        if not self._retry:
            return
        key = (delivery.webhook_id, delivery.body)
        now = self._now()
        with self._lock:
            hook = self._hooks.get(delivery.webhook_id)
            if hook is None:
                return
            if delivery.ok:
                self._retries.pop(key, None)
                return
            entry = self._retries.get(key)
            if entry is None:
                entry = self._retries[key] = _Retry(delivery, now, 0.0, now)
            if (now - entry.first_failed_at).total_seconds() >= self._retry_for:
                self._disable(hook, now)
                return
            entry.delivery = delivery
            entry.wait += self._retry_step
            entry.due = now + timedelta(seconds=entry.wait)

    def _disable(self, hook: Hook, now: datetime) -> None:
        hook.active = False
        self.disabled.append({"webhook_id": hook.id, "at": iso(now)})
        for key in [k for k in self._retries if k[0] == hook.id]:
            del self._retries[key]

    def retry_due(self) -> int:
        """Queue every retry that is due by now; returns how many (call as virtual time moves)."""
        now = self._now()
        with self._lock:
            due = [e for e in self._retries.values() if e.due <= now and self._hooks[e.delivery.webhook_id].active]
            for entry in due:
                entry.due = datetime.max.replace(tzinfo=now.tzinfo)  # until its result comes back
        for entry in due:
            self._sender.redeliver(entry.delivery, target=self._target(self._hooks[entry.delivery.webhook_id]))
        return len(due)

    def _target(self, hook: Hook) -> Target:
        if hook.id not in self.down:
            return hook.target

        def unreachable(body: bytes, headers: dict[str, str]) -> int:
            raise ConnectionError("the webhook receiver is down (simulated)")

        return unreachable

    def _check_url(self, url: Any) -> None:
        schemes = ("https://",) if self._require_https else ("https://", "http://")
        if not isinstance(url, str) or not url.startswith(schemes):
            raise bad_request("url must be an HTTPS URL" if self._require_https else "url must be a URL")

    def _verify(self, url: str, secret: str | None, test_body: bytes | None) -> None:
        """The synchronous test delivery Fivetran makes on create and on activation (FACTS.md 1.1)."""
        if not self._verify_on_create or test_body is None:
            return
        check = self._sender.deliver_now("verification", url, secret or None, "sync_start", test_body)
        if not check.ok:
            detail = f"status {check.status}" if check.status is not None else check.error
            raise bad_request(f"the webhook test to {url} failed ({detail})")

    def configure(self, target: Target, secret: str | None = None, events: list[str] | None = None) -> None:
        hook = Hook(
            CONFIGURED_ID,
            "account",
            _label(target),
            target,
            list(events or ALL_EVENTS),
            True,
            secret,
            self._now(),
            listed=False,
        )
        with self._lock:
            self._hooks[CONFIGURED_ID] = hook

    def send(self, event: str, group_id: str, body: bytes, connection_id: str | None = None) -> None:
        """Queue `body` for every active webhook subscribed to `event` (group webhooks: their group only)."""
        if connection_id is not None and event in self.drop.get(connection_id, ()):
            self.dropped.append((event, body))  # lost on Fivetran's side: no delivery, no retry
            return
        with self._lock:
            hooks = list(self._hooks.values())
        for hook in hooks:
            if hook.active and event in hook.events and (hook.type != "group" or hook.group_id == group_id):
                self._sender.enqueue(hook.id, self._target(hook), hook.secret, event, body)

    def create(
        self, body: dict[str, Any], *, group_id: str | None = None, test_body: bytes | None = None
    ) -> dict[str, Any]:
        """Register a webhook. With `verify_on_create`, an active webhook first gets `test_body` synchronously,
        and is not created (400) if the receiver does not answer 2xx, as Fivetran does (FACTS.md 1.1)."""
        url, events = body.get("url"), body.get("events")
        self._check_url(url)
        if not isinstance(events, list) or not events or not all(isinstance(e, str) and e for e in events):
            raise bad_request("events must be a non-empty list of event names")
        active, secret = body.get("active", True), body.get("secret")
        if not isinstance(active, bool) or (secret is not None and not isinstance(secret, str)):
            raise bad_request("active must be a boolean and secret a string")
        if active:
            try:
                self._verify(url, secret, test_body)
            except SimApiError as exc:
                raise bad_request(f"{exc.message}; the webhook was not created") from None
        with self._lock:
            self._seq += 1
            hook = Hook(
                f"sim_webhook_{self._seq}",
                "group" if group_id else "account",
                url,
                url,
                list(events),
                active,
                secret or None,
                self._now(),
                group_id=group_id,
            )
            self._hooks[hook.id] = hook
            return hook.render()

    def list(self, *, cursor: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str | None]:
        if not 1 <= limit <= 1000:
            raise bad_request("limit must be in the range 1..1000")
        with self._lock:
            hooks = [h for h in self._hooks.values() if h.listed]
        start = cursor_offset(cursor)
        next_cursor = make_cursor(start + limit) if start + limit < len(hooks) else None
        return [h.render() for h in hooks[start : start + limit]], next_cursor

    def _get(self, webhook_id: str) -> Hook:
        hook = self._hooks.get(webhook_id)
        if hook is None or not hook.listed:
            raise SimApiError(404, "NotFound_Webhook", f"Webhook with id '{webhook_id}' does not exist.")
        return hook

    def get(self, webhook_id: str) -> dict[str, Any]:
        with self._lock:
            return self._get(webhook_id).render()

    def patch(self, webhook_id: str, body: dict[str, Any], *, test_body: bytes | None = None) -> dict[str, Any]:
        with self._lock:
            hook = self._get(webhook_id)
            activating = body.get("active") is True and not hook.active
            url, secret = body.get("url", hook.url), body.get("secret", hook.secret)
        if "url" in body:
            self._check_url(body["url"])
        if activating or (body.get("run_tests") is True):
            self._verify(url, secret, test_body)  # activation sends a test first; a failed one keeps it inactive
        with self._lock:
            if "url" in body:
                hook.url = hook.target = body["url"]
            if "events" in body:
                if not isinstance(body["events"], list) or not body["events"]:
                    raise bad_request("events must be a non-empty list of event names")
                hook.events = list(body["events"])
            if "active" in body:
                hook.active = bool(body["active"])
            if "secret" in body:
                hook.secret = body["secret"] or None
            return hook.render()

    def delete(self, webhook_id: str) -> None:
        with self._lock:
            self._get(webhook_id)
            del self._hooks[webhook_id]

    def test(self, webhook_id: str, event: str, body: bytes) -> dict[str, Any]:
        """Deliver `body` synchronously (as Fivetran's webhook test does) and report the receiver's answer."""
        with self._lock:
            hook = self._get(webhook_id)
            target, secret = hook.target, hook.secret
        delivery = self._sender.deliver_now(webhook_id, target, secret, event, body)
        message = (
            f"The webhook was delivered, status {delivery.status}"
            if delivery.status is not None
            else f"The webhook could not be delivered: {delivery.error}"
        )
        return {"succeed": delivery.ok, "status": delivery.status or 0, "message": message}
