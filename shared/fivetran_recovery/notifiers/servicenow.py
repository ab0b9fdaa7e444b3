"""ServiceNow: open an incident through the Table API (POST /api/now/table/incident), basic auth."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from fivetran_recovery.notifiers.base import Notice, NotifierError


class ServiceNowNotifier:
    name = "servicenow"

    def __init__(self, *, base_url: str, username: str, password: SecretStr, http_client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self._auth = (username, password)
        self._http = http_client or httpx.Client(timeout=10.0)

    def post(self, notice: Notice) -> dict[str, Any]:
        user, password = self._auth
        payload = {
            "short_description": f"[Fivetran] {notice.title}"[:160],
            "description": notice.plain_text(),
            "urgency": "2" if notice.kind == "approval_request" else "3",
            "impact": "2",
            "correlation_id": notice.incident_id,
        }
        try:
            response = self._http.post(
                f"{self.base_url}/api/now/table/incident",
                json=payload,
                auth=(user, password.get_secret_value()),
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise NotifierError(f"servicenow create incident: {type(exc).__name__}") from None
        if response.status_code != 201:
            raise NotifierError(f"servicenow create incident: HTTP {response.status_code}")
        result = response.json().get("result", {})
        return {"sys_id": result.get("sys_id"), "number": result.get("number")}

    def update(self, ref: dict[str, Any], notice: Notice, *, decided: str | None = None) -> None:
        if not ref.get("sys_id"):
            return
        user, password = self._auth
        try:
            response = self._http.patch(
                f"{self.base_url}/api/now/table/incident/{ref['sys_id']}",
                json={"work_notes": decided or notice.plain_text()},
                auth=(user, password.get_secret_value()),
            )
        except httpx.HTTPError as exc:
            raise NotifierError(f"servicenow update: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise NotifierError(f"servicenow update: HTTP {response.status_code}")
