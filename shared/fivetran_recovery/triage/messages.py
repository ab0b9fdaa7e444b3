"""Incident channel messages: Slack Block Kit for "opened" and each status change (with an ETA when known).

Two forms of the same content: `incident_message` (Block Kit JSON, for a notifier that posts blocks) and
`incident_notice` (the shared `Notice`, for any `notifiers.base.Notifier`: Slack, tickets, the local outbox).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fivetran_recovery.models.incident import Criticality, Incident, IncidentKind, IncidentStatus
from fivetran_recovery.notifiers.base import Notice
from fivetran_recovery.triage.decision import Notification, NotificationKind

HEADER_LIMIT = 150  # Block Kit: header text max 150 characters
SECTION_LIMIT = 3000  # section text max 3000 characters
FIELD_LIMIT = 2000  # a section field max 2000 characters
MAX_FIELDS = 10

STATUS_TEXT = {
    IncidentStatus.OPEN: "Open",
    IncidentStatus.SELF_HEALED: "Self-healed",
    IncidentStatus.SUPPRESSED: "Suppressed (maintenance)",
    IncidentStatus.DIAGNOSED: "Diagnosed",
    IncidentStatus.AWAITING_APPROVAL: "Waiting for approval",
    IncidentStatus.REMEDIATING: "Remediating",
    IncidentStatus.RECOVERED: "Recovered",
    IncidentStatus.ESCALATED: "Escalated: needs a human",
    IncidentStatus.CLOSED: "Closed",
}
STATUS_ICON = {
    IncidentStatus.OPEN: ":rotating_light:",
    IncidentStatus.DIAGNOSED: ":mag:",
    IncidentStatus.AWAITING_APPROVAL: ":raised_hand:",
    IncidentStatus.REMEDIATING: ":hammer_and_wrench:",
    IncidentStatus.RECOVERED: ":white_check_mark:",
    IncidentStatus.ESCALATED: ":sos:",
    IncidentStatus.CLOSED: ":lock:",
}


class SlackMessage(BaseModel):
    text: str
    blocks: list[dict[str, Any]]


def escape(text: str) -> str:
    """Slack mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_eta(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 90:
        return f"about {max(seconds, 1)} s"
    if seconds < 5400:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def title(incident: Incident) -> str:
    where = (
        f"{incident.child_count} connections on {incident.destination_group_id or 'several destinations'}"
        if incident.kind is IncidentKind.PARENT
        else f"{incident.connection_id}"
    )
    prefix = "[CRITICAL] " if incident.criticality is Criticality.CRITICAL else ""
    return f"{prefix}{incident.category.value} / {incident.pattern} on {where}"


def _facts(incident: Incident, notification: Notification) -> dict[str, str]:
    status = notification.status or incident.status
    facts = {
        "Status": STATUS_TEXT.get(status, status.value),
        "Criticality": incident.criticality.value,
        "Owner": incident.owner or "-",
        "Failures": str(incident.counts.failures),
        "First seen": f"{incident.first_seen:%Y-%m-%d %H:%M} UTC",
    }
    if incident.kind is IncidentKind.PARENT:
        shown = incident.child_connections[:10]  # the store's sample of the newest children
        more = incident.child_count - len(shown)
        facts["Connections"] = f"{incident.child_count}: {', '.join(shown)}" + (f" (+{more} more)" if more > 0 else "")
    if incident.table:
        facts["Table"] = incident.table
    eta = format_eta(notification.eta_seconds if notification.eta_seconds is not None else incident.eta_seconds)
    if eta:
        facts["ETA"] = eta
    return facts


def incident_message(incident: Incident, notification: Notification) -> SlackMessage:
    """Block Kit for the incident's root message (posted on open, updated on every status change)."""
    status = notification.status or incident.status
    icon = STATUS_ICON.get(status, ":information_source:")
    header = clip(f"{STATUS_TEXT.get(status, status.value)}: {title(incident)}", HEADER_LIMIT)
    facts = _facts(incident, notification)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip(f"*{k}*\n{escape(v)}", FIELD_LIMIT)}
                for k, v in list(facts.items())[:MAX_FIELDS]
            ],
        },
    ]
    summary = incident.diagnosis.summary if incident.diagnosis else ""
    if notification.note:
        summary = f"{summary}\n_{notification.note}_" if summary else f"_{notification.note}_"
    if summary:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(f"{icon} {escape(summary)}", SECTION_LIMIT)}}
        )
    if incident.external_status:
        lines = [f"{r.source}: {r.name} ({r.status})" for r in incident.external_status[:5]]
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(
                        "*External status*\n" + "\n".join(f"• {escape(line)}" for line in lines), SECTION_LIMIT
                    ),
                },
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": clip(
                        f"incident `{escape(incident.id)}` · fingerprint `{escape(incident.fingerprint)}`", FIELD_LIMIT
                    ),
                },
            ],
        }
    )
    return SlackMessage(text=clip(f"{icon} {header}", 3000), blocks=blocks)


_NOTICE_KIND = {
    NotificationKind.INCIDENT_OPENED: "escalation",
    NotificationKind.STATUS_UPDATE: "monitor",
    NotificationKind.RECOVERED: "summary",
}


def incident_notice(incident: Incident, notification: Notification) -> Notice:
    """The same content as a shared `Notice` (for notifiers that render notices themselves)."""
    status = notification.status or incident.status
    diagnosis = incident.diagnosis
    rca: dict[str, Any] = {}
    if diagnosis is not None:
        rca = {
            "category": diagnosis.category.value,
            "pattern": diagnosis.pattern,
            "confidence": diagnosis.confidence,
            "summary": diagnosis.summary,
        }
    facts = _facts(incident, notification)
    if incident.external_status:
        facts["External status"] = "; ".join(f"{r.source}: {r.name} ({r.status})" for r in incident.external_status)
    return Notice(
        kind=_NOTICE_KIND[notification.kind],  # type: ignore[arg-type]
        incident_id=incident.id,
        connection_id=incident.connection_id or f"{incident.child_count} connections",
        title=clip(f"{STATUS_TEXT.get(status, status.value)}: {title(incident)}", HEADER_LIMIT),
        summary=notification.note or (diagnosis.summary if diagnosis else ""),
        rca=rca,
        facts=facts,
        channel=incident.channel,
    )
