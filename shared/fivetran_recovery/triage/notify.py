"""Send a TriageDecision's notifications through the notifiers' Dispatcher (every configured channel) and
PagerDuty. This is what the diagnose function calls after `Triage.process` / `Triage.sweep`.

PagerDuty routing keys come from a secret `{"routing_keys": {"<pagerduty_service>": "<key>"}}` named by the
settings field `pagerduty_secret_id` when the deployment has one; without it pages are reported as undeliverable
in the logs (the channel message still goes out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from fivetran_recovery.models.incident import Incident
from fivetran_recovery.notifiers.base import NotifierError
from fivetran_recovery.stores.base import IncidentStore
from fivetran_recovery.triage.decision import Notification, TriageDecision
from fivetran_recovery.triage.dispatch import NotificationDispatcher, Pager, pager_resolver
from fivetran_recovery.triage.messages import incident_notice

logger = logging.getLogger(__name__)


class DispatcherChannelSender:
    """Adapts `notifiers.Dispatcher` (post(notice) -> (refs by channel, errors)) to a ChannelSender."""

    def __init__(self, dispatcher: Any) -> None:
        self._dispatcher = dispatcher

    def post(self, incident: Incident, notification: Notification) -> dict[str, Any]:
        refs, errors = self._dispatcher.post(incident_notice(incident, notification))
        if errors and not refs:
            raise NotifierError("; ".join(f"{name}: {error}" for name, error in errors.items()))
        return refs

    def update(self, ref: dict[str, Any], incident: Incident, notification: Notification) -> None:
        errors = self._dispatcher.update(ref, incident_notice(incident, notification))
        if errors:
            raise NotifierError("; ".join(f"{name}: {error}" for name, error in errors.items()))


def send_notifications(
    decision: TriageDecision,
    *,
    dispatcher: Any,
    services: Any = None,
    incidents: IncidentStore | None = None,
    pager_for: Callable[[Incident], Pager | None] | None = None,
) -> tuple[int, int]:
    """Returns (channel messages delivered, pages decided): a page is counted even if PagerDuty is not set up."""
    if not decision.notifications:
        return 0, 0
    store = incidents or _incidents_from(services)
    sender = NotificationDispatcher(
        incidents=store, channel=DispatcherChannelSender(dispatcher), pager_for=pager_for or _pager_from(services)
    )
    results = sender.dispatch(decision.notifications)
    return sum(1 for r in results if r.channel_ok), sum(1 for n in decision.notifications if n.pages)


def _incidents_from(services: Any) -> IncidentStore:
    if services is None:
        raise ValueError("send_notifications needs `incidents` or `services`")
    from fivetran_recovery.stores.dynamodb_incidents import DynamoIncidentStore

    return DynamoIncidentStore(client=services.dynamodb_client, table_name=services.settings.incidents_table)


def _pager_from(services: Any) -> Callable[[Incident], Pager | None] | None:
    secret_id = getattr(getattr(services, "settings", None), "pagerduty_secret_id", None)
    if not secret_id:
        return None
    from fivetran_recovery.triage.factory import resolve_config_dir
    from fivetran_recovery.triage.routing import Routing
    from fivetran_recovery.workflow.secrets import SecretMissing, field

    try:
        keys = field(services.secrets, secret_id, "routing_keys")
    except SecretMissing:
        logger.warning("PagerDuty secret has no routing_keys: pages cannot be delivered")
        return None
    routing = Routing.load(resolve_config_dir() / "owners.yaml")
    return pager_resolver(routing, {name: SecretStr(str(key)) for name, key in dict(keys).items()})
