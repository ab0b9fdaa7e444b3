"""Send what triage decided: the owner's channel (post on open, update on each status change) and PagerDuty.

Channels plug in through `ChannelSender`: `NoticeChannelSender` wraps any `notifiers.base.Notifier` (the Slack
notifier posts `chat.postMessage` and later `chat.update` with the returned channel id + ts);
`BlockKitChannelSender` wraps a notifier that posts raw Block Kit (`post_blocks`/`update_blocks`).
A failing channel or pager is reported in the result, never raised past the other notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel, SecretStr

from fivetran_recovery.models.incident import Incident
from fivetran_recovery.notifiers.base import Notifier
from fivetran_recovery.notifiers.pagerduty import PagerDutyNotifier
from fivetran_recovery.stores.base import IncidentStore
from fivetran_recovery.triage.decision import Notification, NotificationKind
from fivetran_recovery.triage.messages import incident_message, incident_notice
from fivetran_recovery.triage.routing import Routing

logger = logging.getLogger(__name__)


class ChannelSender(Protocol):
    def post(self, incident: Incident, notification: Notification) -> dict[str, Any]:
        """Post the incident's root message; returns the reference needed to update it."""
        ...

    def update(self, ref: dict[str, Any], incident: Incident, notification: Notification) -> None: ...


class Pager(Protocol):
    def send(self, action: Any, incident: Incident) -> str: ...


class NoticeChannelSender:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    def post(self, incident: Incident, notification: Notification) -> dict[str, Any]:
        ref = self._notifier.post(incident_notice(incident, notification))
        return {k: str(v) for k, v in ref.items() if v is not None}

    def update(self, ref: dict[str, Any], incident: Incident, notification: Notification) -> None:
        self._notifier.update(ref, incident_notice(incident, notification))


class BlocksPoster(Protocol):
    def post_blocks(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]: ...

    def update_blocks(self, ref: dict[str, Any], text: str, blocks: list[dict[str, Any]]) -> None: ...


class BlockKitChannelSender:
    def __init__(self, poster: BlocksPoster, *, default_channel: str) -> None:
        self._poster = poster
        self._default_channel = default_channel

    def post(self, incident: Incident, notification: Notification) -> dict[str, Any]:
        message = incident_message(incident, notification)
        ref = self._poster.post_blocks(incident.channel or self._default_channel, message.text, message.blocks)
        return {k: str(v) for k, v in ref.items() if v is not None}

    def update(self, ref: dict[str, Any], incident: Incident, notification: Notification) -> None:
        message = incident_message(incident, notification)
        self._poster.update_blocks(ref, message.text, message.blocks)


class DispatchResult(BaseModel):
    incident_id: str
    kind: NotificationKind
    channel_ok: bool | None = None
    page_ok: bool | None = None
    error: str | None = None


def pager_resolver(
    routing: Routing, routing_keys: Mapping[str, SecretStr], *, client: Any = None
) -> Callable[[Incident], Pager | None]:
    """Owner -> team -> `pagerduty_service` name -> that service's routing key (from the PagerDuty secret)."""
    cache: dict[str, PagerDutyNotifier] = {}

    def resolve(incident: Incident) -> Pager | None:
        team = routing.config.teams.get(incident.owner or "")
        service = team.pagerduty_service if team else None
        if not service or service not in routing_keys:
            return None
        if service not in cache:
            cache[service] = PagerDutyNotifier(routing_key=routing_keys[service], client=client)
        return cache[service]

    return resolve


class NotificationDispatcher:
    def __init__(
        self,
        *,
        incidents: IncidentStore,
        channel: ChannelSender,
        pager_for: Callable[[Incident], Pager | None] | None = None,
    ) -> None:
        self._incidents = incidents
        self._channel = channel
        self._pager_for = pager_for

    def dispatch(self, notifications: list[Notification]) -> list[DispatchResult]:
        return [self._one(n) for n in notifications]

    def _one(self, notification: Notification) -> DispatchResult:
        result = DispatchResult(incident_id=notification.incident_id, kind=notification.kind)
        incident = self._incidents.get(notification.incident_id)
        if incident is None:
            result.error = "incident not found"
            return result
        errors = []
        try:
            self._to_channel(incident, notification)
            result.channel_ok = True
        except Exception as error:  # a channel outage must not stop the page
            result.channel_ok = False
            errors.append(f"channel: {type(error).__name__}: {error}")
        if notification.page is not None:
            pager = self._pager_for(incident) if self._pager_for else None
            if pager is None:
                result.page_ok = False
                errors.append(f"no PagerDuty service for owner {incident.owner}")
            else:
                try:
                    pager.send(notification.page.value, incident)
                    result.page_ok = True
                except Exception as error:
                    result.page_ok = False
                    errors.append(f"page: {type(error).__name__}: {error}")
        if errors:
            result.error = "; ".join(errors)
            logger.warning("notification incomplete", extra={"incident_id": incident.id, "error": result.error})
        return result

    def _to_channel(self, incident: Incident, notification: Notification) -> None:
        if incident.channel_message_ref:  # one root message per incident: later notifications update it
            self._channel.update(incident.channel_message_ref, incident, notification)
            return
        finder = getattr(self._channel, "find", None)
        if finder is not None and notification.kind is not NotificationKind.INCIDENT_OPENED:
            # The root should exist: an invocation that died between posting it and remembering its ref left it
            # in the channel. Found by its dedupe key, it is updated, not posted again.
            found = finder(incident, notification)
            if found:
                self._channel.update(found, incident, notification)
                self._remember(incident, found)
                return
        self._remember(incident, self._channel.post(incident, notification))

    def _remember(self, incident: Incident, ref: dict[str, Any]) -> None:
        def remember(current: Incident) -> Incident | None:
            if current.channel_message_ref:
                return None
            current.channel_message_ref = ref
            return current

        self._incidents.update(incident.id, remember)
