"""Jira: create an issue through the REST API (v2 takes a plain-text description, v3 an Atlassian Document
Format one). Basic auth with an account e-mail and API token from Secrets Manager."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from fivetran_recovery.notifiers.base import Notice, NotifierError

SUMMARY_LIMIT = 254


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: one paragraph per line (empty lines dropped)."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in text.splitlines() if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


class JiraNotifier:
    name = "jira"

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        api_token: SecretStr,
        project_key: str,
        issue_type: str = "Task",
        api_version: int = 2,
        http_client: httpx.Client | None = None,
    ):
        if api_version not in (2, 3):
            raise ValueError("api_version must be 2 or 3")
        self.base_url = base_url.rstrip("/")
        self._auth = (email, api_token)
        self.project_key = project_key
        self.issue_type = issue_type
        self.api_version = api_version
        self._http = http_client or httpx.Client(timeout=10.0)

    def issue_fields(self, notice: Notice) -> dict[str, Any]:
        text = notice.plain_text()
        return {
            "project": {"key": self.project_key},
            "summary": (f"[Fivetran] {notice.title}")[:SUMMARY_LIMIT],
            "issuetype": {"name": self.issue_type},
            "description": text if self.api_version == 2 else adf(text),
            "labels": ["fivetran-recovery", f"incident-{notice.incident_id}"[:255].replace(" ", "_")],
        }

    def post(self, notice: Notice) -> dict[str, Any]:
        email, token = self._auth
        url = f"{self.base_url}/rest/api/{self.api_version}/issue"
        try:
            response = self._http.post(
                url,
                json={"fields": self.issue_fields(notice)},
                auth=(email, token.get_secret_value()),
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise NotifierError(f"jira create issue: {type(exc).__name__}") from None
        if response.status_code != 201:
            raise NotifierError(f"jira create issue: HTTP {response.status_code}")
        body = response.json()
        return {"key": body.get("key"), "id": body.get("id"), "self": body.get("self")}

    def update(self, ref: dict[str, Any], notice: Notice, *, decided: str | None = None) -> None:
        """Add the decision or outcome as a comment on the issue."""
        if not ref.get("key"):
            return
        email, token = self._auth
        text = decided or notice.plain_text()
        body = {"body": text if self.api_version == 2 else adf(text)}
        url = f"{self.base_url}/rest/api/{self.api_version}/issue/{ref['key']}/comment"
        try:
            response = self._http.post(url, json=body, auth=(email, token.get_secret_value()))
        except httpx.HTTPError as exc:
            raise NotifierError(f"jira comment: {type(exc).__name__}") from None
        if response.status_code != 201:
            raise NotifierError(f"jira comment: HTTP {response.status_code}")
