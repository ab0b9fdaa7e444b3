"""Slack: chat.postMessage / chat.update with Block Kit. Approval requests carry Approve/Reject buttons whose
value is the approval id (never the task token); the approve function verifies who clicked."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from fivetran_recovery.notifiers.base import Notice, NotifierError

SECTION_LIMIT = 2900  # Slack caps a section's text at 3000 characters
HEADER_LIMIT = 150
METADATA_TYPE = "fivetran_recovery_notice"
HISTORY_LIMIT = 200  # a crashed notify is retried within minutes: its message is among the channel's latest


def _link(url: str, label: str) -> str:
    """A Slack link only for an https URL, escaped so it cannot close the link or add mrkdwn of its own."""
    if not url.startswith("https://"):
        return escape(f"{label}: {url}")
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def escape(text: str) -> str:
    """Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ICONS = {
    "approval_request": ":raised_hand:",
    "monitor": ":eyes:",
    "escalation": ":rotating_light:",
    "summary": ":white_check_mark:",
    "owner_action": ":key:",
    "blocked": ":no_entry:",
    "decision": ":ballot_box_with_check:",
    "ticket": ":ticket:",
}


def _mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _head_blocks(notice: Notice) -> list[dict[str, Any]]:
    header = _clip(f"{notice.title}", HEADER_LIMIT)
    return [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Connection*\n`{escape(notice.connection_id)}`"},
                {"type": "mrkdwn", "text": f"*Incident*\n`{escape(notice.incident_id)}`"},
            ],
        },
    ]


def _cause_blocks(notice: Notice) -> list[dict[str, Any]]:
    """The root cause when the notice has one, else its summary."""
    if notice.rca:
        rca = notice.rca
        text = (
            f"*Root cause* {_ICONS.get(notice.kind, '')}\n*{escape(str(rca.get('category')))}* / "
            f"`{escape(str(rca.get('pattern')))}` (confidence {float(rca.get('confidence', 0)):.2f})\n"
            f"{escape(str(rca.get('summary') or notice.summary))}"
        )
        return [_mrkdwn_section(_clip(text, SECTION_LIMIT))]
    if notice.summary:
        return [_mrkdwn_section(_clip(escape(notice.summary), SECTION_LIMIT))]
    return []


def _detail_blocks(notice: Notice) -> list[dict[str, Any]]:
    """Planned actions, facts, reasons and the re-authorisation link, each when present."""
    blocks: list[dict[str, Any]] = []
    if notice.planned_actions:
        actions = "\n".join(notice.planned_actions)
        blocks.append(
            _mrkdwn_section(f"*Planned actions (exact calls)*\n```{escape(_clip(actions, SECTION_LIMIT - 40))}```")
        )
    if notice.facts:
        fields = [
            {"type": "mrkdwn", "text": _clip(f"*{escape(k)}*\n{escape(v)}", 1900)}
            for k, v in list(notice.facts.items())[:10]
        ]
        blocks.append({"type": "section", "fields": fields})
    if notice.reasons:
        blocks.append(_context(_clip(escape("; ".join(notice.reasons)), 2900)))
    if notice.link:
        blocks.append(_mrkdwn_section(_link(notice.link, "Re-authorise the connection")))
    return blocks


def _approval_blocks(notice: Notice) -> list[dict[str, Any]]:
    """Approve/Reject buttons whose value is the approval id (never the task token), and when it expires."""
    approve = {
        "type": "button",
        "action_id": "approve",
        "text": {"type": "plain_text", "text": "Approve"},
        "style": "primary",
        "value": notice.approval_id,
        "confirm": {
            "title": {"type": "plain_text", "text": "Run these actions?"},
            "text": {"type": "mrkdwn", "text": "The planned actions above will run on Fivetran."},
            "confirm": {"type": "plain_text", "text": "Approve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        },
    }
    reject = {
        "type": "button",
        "action_id": "reject",
        "text": {"type": "plain_text", "text": "Reject"},
        "style": "danger",
        "value": notice.approval_id,
    }
    blocks: list[dict[str, Any]] = [
        {"type": "actions", "block_id": f"approval:{notice.approval_id}", "elements": [approve, reject]}
    ]
    if notice.expires_at:
        blocks.append(_context(f"Expires {escape(notice.expires_at)}: no action if nobody decides."))
    return blocks


def build_blocks(notice: Notice, *, decided: str | None = None) -> list[dict[str, Any]]:
    """The Block Kit message for a notice; once `decided`, the buttons give way to the decision line."""
    blocks = _head_blocks(notice) + _cause_blocks(notice) + _detail_blocks(notice)
    if notice.approval_id and decided is None:
        blocks += _approval_blocks(notice)
    if decided:
        blocks.append(_context(escape(decided)))
    return blocks


class SlackNotifier:
    name = "slack"

    def __init__(
        self,
        *,
        bot_token: SecretStr,
        channel: str,
        base_url: str = "https://slack.com/api",
        http_client: httpx.Client | None = None,
    ):
        self._token = bot_token
        self.channel = channel
        self.base_url = base_url.rstrip("/")
        self._http = http_client or httpx.Client(timeout=10.0)

    def _call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Content-Type": "application/json; charset=utf-8",
        }
        try:
            response = self._http.post(f"{self.base_url}/{method}", json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise NotifierError(f"slack {method}: {type(exc).__name__}") from None
        if response.status_code == 429:
            raise NotifierError(f"slack {method}: rate limited (Retry-After {response.headers.get('Retry-After')})")
        try:
            body = response.json()
        except ValueError:
            raise NotifierError(f"slack {method}: HTTP {response.status_code}, not JSON") from None
        if not body.get("ok"):
            raise NotifierError(f"slack {method}: {body.get('error', 'unknown_error')}")
        return body

    def _read(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """A read method: GET with query parameters (Slack takes JSON bodies only for its write methods)."""
        try:
            response = self._http.get(f"{self.base_url}/{method}", params=params,
                                      headers={"Authorization": f"Bearer {self._token.get_secret_value()}"})
            body = response.json()
        except (httpx.HTTPError, ValueError):
            raise NotifierError(f"slack {method}: unreachable or not JSON") from None
        if not body.get("ok"):
            raise NotifierError(f"slack {method}: {body.get('error', 'unknown_error')}")
        return body

    def post(self, notice: Notice) -> dict[str, Any]:
        payload = {
            "channel": notice.channel or self.channel,
            "text": _clip(f"{notice.title} — {notice.connection_id}", 3000),
            "blocks": build_blocks(notice),
            "unfurl_links": False,
        }
        if notice.dedupe_key:  # message metadata: how `find` recognises this notice after a crash
            payload["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"notice_key": notice.dedupe_key}}
        body = self._call("chat.postMessage", payload)
        return {"channel": body.get("channel"), "ts": body.get("ts")}

    def find(self, notice: Notice) -> dict[str, Any] | None:
        """The message already posted for this notice (its metadata holds the dedupe key), from the channel's
        recent history (conversations.history, scope channels:history); None when there is none."""
        channel = notice.channel or self.channel
        body = self._read("conversations.history",
                          {"channel": channel, "include_all_metadata": "true", "limit": HISTORY_LIMIT})
        for message in body.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (metadata.get("event_type") == METADATA_TYPE
                    and (metadata.get("event_payload") or {}).get("notice_key") == notice.dedupe_key):
                return {"channel": body.get("channel") or channel, "ts": message.get("ts")}
        return None

    def post_direct(self, notice: Notice, *, email: str) -> dict[str, Any]:
        """A direct message to the Slack user with this e-mail (users.lookupByEmail, scope users:read.email)."""
        body = self._read("users.lookupByEmail", {"email": email})
        user = (body.get("user") or {}).get("id")
        payload = {"channel": user, "text": _clip(f"{notice.title} — {notice.connection_id}", 3000),
                   "blocks": build_blocks(notice), "unfurl_links": False}
        sent = self._call("chat.postMessage", payload)
        return {"channel": sent.get("channel"), "ts": sent.get("ts"), "via": "Slack DM"}

    def update(self, ref: dict[str, Any], notice: Notice, *, decided: str | None = None) -> None:
        payload = {
            "channel": ref["channel"],
            "ts": ref["ts"],
            "text": _clip(f"{notice.title} — {notice.connection_id}", 3000),
            "blocks": build_blocks(notice, decided=decided),
        }
        self._call("chat.update", payload)
