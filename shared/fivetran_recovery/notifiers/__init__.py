"""Notification channels and the dispatcher that fans a notice out to every configured one.

The HTTP channels (Slack, Jira, ServiceNow) and httpx under them are imported when a channel is built or
first named (`from fivetran_recovery.notifiers import SlackNotifier` still works), not with this package:
importing `notifiers.base` for `Notice` is part of four handlers' cold start."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from fivetran_recovery.config import RecoveryConfig, SecretMissing, SecretSource, field
from fivetran_recovery.notifiers.base import Notice, Notifier, NotifierError, mask_email
from fivetran_recovery.notifiers.outbox import ConsoleNotifier, OutboxNotifier

if TYPE_CHECKING:
    import httpx

    from fivetran_recovery.notifiers.jira import JiraNotifier
    from fivetran_recovery.notifiers.servicenow import ServiceNowNotifier
    from fivetran_recovery.notifiers.slack import SlackNotifier

_CHANNEL_MODULES = {"JiraNotifier": "jira", "ServiceNowNotifier": "servicenow", "SlackNotifier": "slack"}


def __getattr__(name: str) -> Any:
    if name in _CHANNEL_MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_CHANNEL_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _failures() -> tuple[type[Exception], ...]:
    """What a failing channel raises: ours, or an httpx error (httpx imported only once something failed)."""
    import httpx

    return (NotifierError, httpx.HTTPError)


logger = logging.getLogger(__name__)

__all__ = [
    "ConsoleNotifier",
    "Dispatcher",
    "JiraNotifier",
    "Notice",
    "Notifier",
    "NotifierError",
    "OutboxNotifier",
    "ServiceNowNotifier",
    "SlackNotifier",
    "build_notifiers",
]

TICKET_CHANNELS = ("jira", "servicenow")


def build_notifiers(
    config: RecoveryConfig,
    secrets: SecretSource,
    *,
    slack_secret_id: str,
    http_client: httpx.Client | None = None,
) -> list[Notifier]:
    """The channels named in NOTIFIERS (slack, jira, servicenow, outbox, console), built lazily per process.

    A channel whose secret cannot be read is left out (logged); with none left, notices go to the log (console)
    so a misconfigured channel never stops the workflow itself (approvals can still be decided via the API).
    """
    built: list[Notifier] = []
    for name in config.notifiers:
        try:
            built.append(_build_one(name, config, secrets, slack_secret_id=slack_secret_id, http_client=http_client))
        except SecretMissing as exc:
            logger.warning("notifier unavailable", extra={"notifier": name, "reason": str(exc)})
    return built or [ConsoleNotifier()]


def _build_one(
    name: str,
    config: RecoveryConfig,
    secrets: SecretSource,
    *,
    slack_secret_id: str,
    http_client: httpx.Client | None,
) -> Notifier:
    if name == "slack":
        from fivetran_recovery.notifiers.slack import SlackNotifier

        return SlackNotifier(
            bot_token=SecretStr(str(field(secrets, slack_secret_id, "bot_token"))),
            channel=config.slack_channel,
            base_url=config.slack_api_url,
            http_client=http_client,
        )
    if name == "jira":
        if not config.jira_base_url:
            raise ValueError("NOTIFIERS names jira but JIRA_BASE_URL is not set")
        from fivetran_recovery.notifiers.jira import JiraNotifier

        return JiraNotifier(
            base_url=config.jira_base_url,
            email=str(field(secrets, config.jira_secret_id, "email")),
            api_token=SecretStr(str(field(secrets, config.jira_secret_id, "api_token"))),
            project_key=config.jira_project_key,
            issue_type=config.jira_issue_type,
            api_version=config.jira_api_version,
            http_client=http_client,
        )
    if name == "servicenow":
        if not config.servicenow_base_url:
            raise ValueError("NOTIFIERS names servicenow but SERVICENOW_BASE_URL is not set")
        from fivetran_recovery.notifiers.servicenow import ServiceNowNotifier

        return ServiceNowNotifier(
            base_url=config.servicenow_base_url,
            username=str(field(secrets, config.servicenow_secret_id, "username")),
            password=SecretStr(str(field(secrets, config.servicenow_secret_id, "password"))),
            http_client=http_client,
        )
    if name == "outbox":
        return OutboxNotifier(config.outbox_path)
    if name == "console":
        return ConsoleNotifier()
    raise ValueError(f"unknown notifier {name!r} in NOTIFIERS")


class Dispatcher:
    """Posts a notice to every channel; one failing channel does not stop the others. Tickets are opened only
    for the kinds that need a human (approval requests, escalations, tickets)."""

    def __init__(self, notifiers: list[Notifier], *, owner_email: Callable[[str, Any], str | None] | None = None):
        self._notifiers: list[Notifier] | None = notifiers
        self._build: Callable[[], list[Notifier]] | None = None
        self._owner_email = owner_email

    def owner_email(self, connection_id: str, connection: Any = None) -> str | None:
        """The e-mail of the person who gets this connection's owner-only links (None when unknown)."""
        return self._owner_email(connection_id, connection) if self._owner_email else None

    @classmethod
    def lazy(cls, build: Callable[[], list[Notifier]], *,
             owner_email: Callable[[str, Any], str | None] | None = None) -> Dispatcher:
        """A dispatcher whose channels are built (their secrets read) on the first notice, not at wiring time."""
        dispatcher = cls([], owner_email=owner_email)
        dispatcher._notifiers, dispatcher._build = None, build
        return dispatcher

    @property
    def notifiers(self) -> list[Notifier]:
        if self._notifiers is None:
            assert self._build is not None
            self._notifiers = self._build()
        return self._notifiers

    def _for(self, notice: Notice) -> list[Notifier]:
        return [n for n in self.notifiers
                if n.name not in TICKET_CHANNELS or notice.kind in ("approval_request", "escalation", "ticket")]

    def post(self, notice: Notice, *, skip: frozenset[str] = frozenset()) -> tuple[dict[str, Any], dict[str, str]]:
        """Post to every channel (but those in `skip`); returns (refs by channel, errors by channel)."""
        refs: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for notifier in self._for(notice):
            if notifier.name in skip:
                continue
            try:
                refs[notifier.name] = notifier.post(notice)
            except _failures() as exc:
                errors[notifier.name] = str(exc)
                logger.warning("notifier failed", extra={"notifier": notifier.name, "error": str(exc)})
        return refs, errors

    def find(self, notice: Notice) -> tuple[dict[str, Any], list[str]]:
        """Where this notice (its dedupe key) is posted already: (refs by channel, channels that cannot tell:
        no `find`, or it failed)."""
        found: dict[str, Any] = {}
        unknown: list[str] = []
        for notifier in self._for(notice):
            finder = getattr(notifier, "find", None)
            try:
                ref = finder(notice) if finder is not None and notice.dedupe_key else None
            except (NotifierError, httpx.HTTPError) as exc:
                logger.warning("notifier cannot tell", extra={"notifier": notifier.name, "error": str(exc)})
                ref, finder = None, None
            if ref is not None:
                found[notifier.name] = ref
            elif finder is None:
                unknown.append(notifier.name)
        return found, unknown

    def post_direct(self, notice: Notice, *, email: str | None) -> tuple[str | None, dict[str, str]]:
        """Deliver an owner-only notice (its `link` a credential) to that person alone: the first channel that can
        reach them directly (Slack DM by e-mail, the local outbox); never the shared channel. Returns where it went
        (e.g. "Slack DM to j***@example.org"), or None and why not."""
        if not email:
            return None, {"owner": "no owner e-mail is configured for this connection (owners.yaml owner_email)"}
        errors: dict[str, str] = {}
        for notifier in self.notifiers:
            direct = getattr(notifier, "post_direct", None)
            if direct is None:
                continue
            try:
                ref = direct(notice, email=email)
            except _failures() as exc:
                errors[notifier.name] = str(exc)
                continue
            return f"{ref.get('via', notifier.name)} to {mask_email(email)}", errors
        return None, errors or {"owner": "no configured channel can reach a person directly"}

    def update(self, refs: dict[str, Any], notice: Notice, *, decided: str | None = None) -> dict[str, str]:
        errors: dict[str, str] = {}
        for notifier in self.notifiers:
            ref = refs.get(notifier.name)
            if ref is None:
                continue
            try:
                notifier.update(ref, notice, decided=decided)  # type: ignore[call-arg]
            except _failures() as exc:
                errors[notifier.name] = str(exc)
        return errors
