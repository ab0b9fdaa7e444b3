"""The recent past of one connection, as the classifier needs it: is this a blip or a pattern?"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fivetran_recovery.rca.fingerprint import normalise_message

SUCCESS = "SUCCESSFUL"
NON_FAILURES = frozenset({SUCCESS, "RESCHEDULED", "CANCELED", "CANCELLED"})
MAX_OUTCOMES = 50


class RecentHistory(BaseModel):
    """Outcomes of the connection's latest syncs, oldest first, not counting the event being diagnosed."""

    model_config = ConfigDict(frozen=True)

    outcomes: list[str] = Field(default_factory=list, description="sync_end statuses, oldest first")
    same_signature_failures: int = Field(
        0, ge=0, description="earlier failures in the window with the same incident signature as this one"
    )
    last_success_at: datetime | None = None

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success (the event being diagnosed not included)."""
        count = 0
        for outcome in reversed(self.outcomes):
            if outcome.upper() == SUCCESS:
                break
            if outcome.upper() not in NON_FAILURES:
                count += 1
        return count

    @property
    def previous_succeeded(self) -> bool:
        return bool(self.outcomes) and self.outcomes[-1].upper() == SUCCESS

    @property
    def repeated(self) -> int:
        """How many times the same failure has already happened recently."""
        return max(self.same_signature_failures, 0)

    @classmethod
    def from_events(cls, events: Iterable[Any], *, current_message: str | None = None) -> RecentHistory:
        """Build the history from earlier `sync_end` events, oldest first: webhook payloads (dicts or models)
        or Platform Connector LOG rows. `same_signature_failures` counts the failures just before now whose
        message is the same as `current_message` once ids, numbers and names are normalised away."""
        outcomes: list[str] = []
        reasons: list[str] = []
        last_success: datetime | None = None
        for event in events:
            status, reason, when = _status_of(event)
            if status is None:
                continue
            outcomes.append(status)
            reasons.append(reason)
            if status == SUCCESS and when is not None:
                last_success = when
        outcomes, reasons = outcomes[-MAX_OUTCOMES:], reasons[-MAX_OUTCOMES:]
        same = 0
        if current_message:
            wanted = normalise_message(current_message)
            for status, reason in zip(reversed(outcomes), reversed(reasons), strict=True):
                if status in NON_FAILURES or normalise_message(reason) != wanted:
                    break
                same += 1
        return cls(outcomes=outcomes, same_signature_failures=same, last_success_at=last_success)


def _status_of(event: Any) -> tuple[str | None, str, datetime | None]:
    """(status, reason, time) of one sync_end event in any of the accepted shapes; status None if not one."""
    raw = event.model_dump(mode="json") if hasattr(event, "model_dump") else event
    if not isinstance(raw, Mapping):
        return None, "", None
    data: Any = raw.get("data")
    if data is None and "message_data" in raw:
        data = raw.get("message_data")
        for _ in range(2):  # LOG rows may be double-encoded
            if isinstance(data, str):
                try:
                    data = json.loads(data)
                except ValueError:
                    data = {}
    if not isinstance(data, Mapping) or not data.get("status"):
        return None, "", None
    when = raw.get("created") or raw.get("time_stamp")
    parsed = None
    if isinstance(when, datetime):
        parsed = when
    elif isinstance(when, str):
        try:
            parsed = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    return str(data["status"]).upper(), str(data.get("reason") or ""), parsed
