"""Send a TriageDecision's notifications through the notifiers' Dispatcher (every configured channel) and
PagerDuty. This is what the diagnose function calls after `Triage.process` / `Triage.sweep`.

PagerDuty routing keys come from a secret `{"routing_keys": {"<pagerduty_service>": "<key>"}}` named by the
settings field `pagerduty_secret_id` when the deployment has one; without it pages are reported as undeliverable
in the logs (the channel message still goes out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from fivetran_recovery.config import SecretMissing, SecretSource, field
from fivetran_recovery.models.incident import Incident
from fivetran_recovery.notifiers.base import NotifierError
from fivetran_recovery.stores.base import IncidentStore
from fivetran_recovery.triage.decision import Notification, TriageDecision
from fivetran_recovery.triage.dispatch import NotificationDispatcher, Pager, pager_resolver
from fivetran_recovery.triage.messages import incident_notice
from fivetran_recovery.triage.routing import Routing

logger = logging.getLogger(__name__)


class DispatcherChannelSender:
    """Adapts `notifiers.Dispatcher` (post(notice) -> (refs by channel, errors)) to a ChannelSender."""

    def __init__(self, dispatcher: Any) -> None:
        self._dispatcher = dispatcher

    def post(self, incident: Incident, notification: Notification) -> dict[str, Any]:
        refs, errors = self._dispatcher.post(_root(incident, notification))
        if errors and not refs:
            raise NotifierError("; ".join(f"{name}: {error}" for name, error in errors.items()))
        return refs

    def find(self, incident: Incident, notification: Notification) -> dict[str, Any] | None:
        """The incident's root message, if a channel has it already (by its dedupe key), else None."""
        found, _unknown = self._dispatcher.find(_root(incident, notification))
        return found or None

    def update(self, ref: dict[str, Any], incident: Incident, notification: Notification) -> None:
        errors = self._dispatcher.update(ref, incident_notice(incident, notification))
        if errors:
            raise NotifierError("; ".join(f"{name}: {error}" for name, error in errors.items()))


def _root(incident: Incident, notification: Notification) -> Any:
    """The incident's root message, keyed so a channel can tell it has it (notifiers.base.Notice.dedupe_key)."""
    notice = incident_notice(incident, notification)
    notice.dedupe_key = f"{incident.id}:root"
    return notice


def send_notifications(
    decision: TriageDecision,
    *,
    dispatcher: Any,
    incidents: IncidentStore,
    pager_for: Callable[[Incident], Pager | None] | None = None,
) -> tuple[int, int]:
    """Returns (channel messages delivered, pages decided): a page is counted even if PagerDuty is not set up."""
    if not decision.notifications:
        return 0, 0
    channel = DispatcherChannelSender(dispatcher)
    sender = NotificationDispatcher(incidents=incidents, channel=channel, pager_for=pager_for)
    results = sender.dispatch(decision.notifications)
    return sum(1 for r in results if r.channel_ok), sum(1 for n in decision.notifications if n.pages)


def pager_from_secret(
    secrets: SecretSource, secret_id: str | None, owners_file: Path
) -> Callable[[Incident], Pager | None] | None:
    """The PagerDuty pager per incident, from the routing keys secret and owners.yaml; None without a secret id
    or when the secret has no routing keys (pages are then reported as undeliverable)."""
    if not secret_id:
        return None
    try:
        keys = field(secrets, secret_id, "routing_keys")
    except SecretMissing:
        logger.warning("PagerDuty secret has no routing_keys: pages cannot be delivered")
        return None
    routing = Routing.load(owners_file)
    return pager_resolver(routing, {name: SecretStr(str(key)) for name, key in dict(keys).items()})
