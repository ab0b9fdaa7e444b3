"""The webhook endpoints of the Fivetran client (a mixin of `FivetranClient`: it uses its `_data`, `_request`
and `_paginate`). Fivetran insists on HTTPS and tests the URL on create and on activation (FACTS.md 1.1)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from fivetran_recovery.fivetran.models import Webhook, WebhookTestResult
from fivetran_recovery.fivetran.paths import segment as _segment
from fivetran_recovery.fivetran.retry import Idempotency


class WebhookMethods:
    def list_webhooks(self) -> list[Webhook]:
        return [Webhook.model_validate(item) for item in self._paginate("webhooks")]

    def create_account_webhook(
        self, url: str, events: list[str], *, secret: SecretStr | str | None = None, active: bool = True
    ) -> Webhook:
        return self._create_webhook("webhooks/account", url, events, secret=secret, active=active)

    def create_group_webhook(
        self,
        group_id: str,
        url: str,
        events: list[str],
        *,
        secret: SecretStr | str | None = None,
        active: bool = True,
    ) -> Webhook:
        path = f"webhooks/group/{_segment(group_id, 'group_id')}"
        return self._create_webhook(path, url, events, secret=secret, active=active)

    def _create_webhook(
        self, path: str, url: str, events: list[str], *, secret: SecretStr | str | None, active: bool
    ) -> Webhook:
        _check_url(url)
        if not events or not all(isinstance(e, str) and e for e in events):
            raise ValueError("events must be a non-empty list of event names")
        body: dict[str, Any] = {"url": url, "events": list(events), "active": active}
        if secret is not None:
            body["secret"] = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        return Webhook.model_validate(self._data("POST", path, json=body, idempotency=Idempotency.UNSAFE))

    def get_webhook(self, webhook_id: str) -> Webhook:
        return Webhook.model_validate(self._data("GET", f"webhooks/{_segment(webhook_id, 'webhook_id')}"))

    def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        events: list[str] | None = None,
        active: bool | None = None,
        secret: SecretStr | str | None = None,
    ) -> Webhook:
        """PATCH a webhook; e.g. `active=True` re-activates one Fivetran disabled after days of failures."""
        body: dict[str, Any] = {}
        if url is not None:
            _check_url(url)
            body["url"] = url
        if events is not None:
            if not events or not all(isinstance(e, str) and e for e in events):
                raise ValueError("events must be a non-empty list of event names")
            body["events"] = list(events)
        if active is not None:
            body["active"] = active
        if secret is not None:
            body["secret"] = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if not body:
            raise ValueError("update_webhook needs url, events, active or secret")
        path = f"webhooks/{_segment(webhook_id, 'webhook_id')}"
        return Webhook.model_validate(self._data("PATCH", path, json=body))

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"webhooks/{_segment(webhook_id, 'webhook_id')}")

    def test_webhook(self, webhook_id: str, event: str = "sync_start") -> WebhookTestResult:
        path = f"webhooks/{_segment(webhook_id, 'webhook_id')}/test"
        data = self._data("POST", path, json={"event": event}, idempotency=Idempotency.UNSAFE)
        return WebhookTestResult.model_validate(data)


def _check_url(url: Any) -> None:
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError("webhook url must be an HTTPS URL (Fivetran answers 400 to any other)")
