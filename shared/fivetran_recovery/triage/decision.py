"""What triage decided about one event, and what it asks the caller to send."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from fivetran_recovery.models.incident import Incident, IncidentStatus


class TriageAction(StrEnum):
    OPEN = "open"
    ATTACH = "attach"
    CORRELATED_CHILD = "correlated_child"
    CORRELATED_PARENT_OPENED = "correlated_parent_opened"
    SUPPRESSED = "suppressed"
    SELF_HEALED = "self_healed"
    RECOVERED = "recovered"
    CONFIRMED = "confirmed"
    STATUS_CHANGED = "status_changed"
    NOT_A_FAILURE = "not_a_failure"
    IGNORED = "ignored"


class NotificationKind(StrEnum):
    INCIDENT_OPENED = "incident_opened"
    STATUS_UPDATE = "status_update"
    RECOVERED = "recovered"


class PageAction(StrEnum):
    """PagerDuty Events API v2 event_action."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Notification(BaseModel):
    """One message to send: to the owner's channel, and to PagerDuty when `page` is set."""

    kind: NotificationKind
    incident_id: str
    channel: str | None
    page: PageAction | None = None
    status: IncidentStatus | None = None
    eta_seconds: int | None = None
    note: str = ""

    @property
    def pages(self) -> bool:
        return self.page is PageAction.TRIGGER


class TriageDecision(BaseModel):
    action: TriageAction
    incident: Incident | None = None
    parent: Incident | None = None
    should_diagnose_deeply: bool = Field(
        False, description="true once per real problem: gates context gathering and the LLM"
    )
    should_start_workflow: bool = False
    notifications: list[Notification] = Field(default_factory=list)
    reason: str = ""
    event_key: str | None = None

    @property
    def target(self) -> Incident | None:
        """The incident to diagnose and remediate: the parent when there is one."""
        return self.parent or self.incident
