"""What every channel (Slack, Jira, ServiceNow, the local outbox) is given: one `Notice`, never a secret."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, model_validator

from fivetran_recovery.redaction import redact, redact_value

NoticeKind = Literal[
    "approval_request", "monitor", "escalation", "summary", "owner_action", "blocked", "decision", "ticket",
    "at_risk",  # a forecast for the owner (prediction/preempt.py), not a failure incident
]


class Notice(BaseModel):
    kind: NoticeKind
    incident_id: str
    connection_id: str
    title: str
    summary: str = ""
    rca: dict[str, Any] = Field(default_factory=dict)
    planned_actions: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    approval_id: str | None = None
    approval_url: str | None = None
    expires_at: str | None = None
    link: str | None = Field(None, repr=False, description="e.g. a Connect Card URI for the owner; not logged")
    facts: dict[str, str] = Field(default_factory=dict)
    channel: str | None = None
    dedupe_key: str | None = Field(None, description="one notice of one run: a channel that can look it up "
                                   "(`find`) is never sent it twice")

    @model_validator(mode="after")
    def _redacted(self) -> Notice:
        """Every text a channel shows is redacted here, once for all channels (the link is the owner's own)."""
        self.title, self.summary = redact(self.title), redact(self.summary)
        self.rca = redact_value(self.rca)  # type: ignore[assignment]
        self.planned_actions = [redact(a) for a in self.planned_actions]
        self.reasons = [redact(r) for r in self.reasons]
        self.facts = {k: redact(v) for k, v in self.facts.items()}
        return self

    def plain_text(self) -> str:
        """The notice as plain text (tickets, console, e-mail)."""
        lines = [self.title, "", f"Incident: {self.incident_id}", f"Connection: {self.connection_id}"]
        if self.rca:
            lines.append(
                f"Root cause: {self.rca.get('category')} / {self.rca.get('pattern')} "
                f"(confidence {float(self.rca.get('confidence', 0)):.2f})"
            )
        if self.summary:
            lines += ["", self.summary]
        if self.planned_actions:
            lines += ["", "Planned actions:", *(f"  {a}" for a in self.planned_actions)]
        if self.reasons:
            lines += ["", "Why:", *(f"  - {r}" for r in self.reasons)]
        lines += [f"{k}: {v}" for k, v in self.facts.items()]
        if self.approval_id:
            lines += ["", f"Approval id: {self.approval_id}"]
            if self.approval_url:
                lines.append(f"Decide: {self.approval_url}")
            if self.expires_at:
                lines.append(f"Expires: {self.expires_at} (no action if nobody decides)")
        return "\n".join(lines)


def mask_email(email: str) -> str:
    """`j***@example.org`: enough to say where an owner-only link went, not the address itself."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


class NotifierError(RuntimeError):
    """A channel refused or failed the notice (the message names the channel's error code, never a token)."""


class Notifier(Protocol):
    name: str

    def post(self, notice: Notice) -> dict[str, Any]:
        """Deliver; returns references needed to update it later (e.g. Slack channel + ts, a ticket key)."""
        ...

    def update(self, ref: dict[str, Any], notice: Notice) -> None: ...
