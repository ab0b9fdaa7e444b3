"""A human's recent change to a connection stops the automation: we never fight an operator.

Fivetran pauses connections itself too (`pause_connector` with actor Fivetran: broken for too long, trial over):
that is not a human, and `fivetran_pause` says so.

Signals: the connection is paused and we did not pause it; or a pause/resume/edit/re-sync/delete webhook for the
connection arrived within the window and is not explained by one of our own audited actions (Fivetran sends the
same webhooks for our API calls as for a user's clicks, so our own calls are matched out by type).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

HUMAN_CHANGE_EVENTS = frozenset(
    {"pause_connector", "resume_connector", "edit_connector", "delete_connector", "resync_connector", "resync_table"}
)
# The webhook Fivetran emits for each of our own write actions.
OWN_ACTION_EVENTS: dict[str, str] = {
    "pause": "pause_connector",
    "resume": "resume_connector",
    "update_schedule": "edit_connector",
    "update_schema_config": "edit_connector",
    "resync": "resync_connector",
    "resync_tables": "resync_table",
}


def _actor(event: Mapping[str, Any]) -> str:
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    return str(event.get("actor") or data.get("actor") or "").strip().lower()


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


FIVETRAN_ACTOR = "fivetran"


def fivetran_pause(recent_events: Iterable[Mapping[str, Any]]) -> str | None:
    """Why Fivetran itself paused the connection (its latest pause/resume is a `pause_connector` whose actor is
    Fivetran: a connection broken for too long, a trial that ended), or None."""
    latest: tuple[datetime, Mapping[str, Any]] | None = None
    for event in recent_events:
        if event.get("event") not in ("pause_connector", "resume_connector"):
            continue
        at = parse_time(event.get("created") or event.get("at"))
        if at is not None and (latest is None or at >= latest[0]):
            latest = (at, event)
    if latest is None or latest[1].get("event") != "pause_connector":
        return None
    data = latest[1].get("data") if isinstance(latest[1].get("data"), Mapping) else {}
    actor = str(latest[1].get("actor") or data.get("actor") or "")
    if actor.strip().lower() != FIVETRAN_ACTOR:
        return None
    return str(data.get("reason") or "paused by Fivetran")


def recent_human_change(
    connection: Mapping[str, Any] | None,
    recent_events: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    window: timedelta,
    own_actions: Iterable[str] = (),
    we_paused: bool = False,
) -> str | None:
    """Why the automation must stop, or None when no human change is visible.

    `own_actions` are the write actions we ourselves made on this connection recently (pause, resume, ...).
    Each explains one webhook of the matching type; they are matched by count, not by time, so a skew between
    our clock and Fivetran's cannot turn our own pause into a "human" one. Events dated after `now` (clock skew)
    are counted, never ignored: when in doubt, the automation stops.
    """
    recent_events = list(recent_events)
    by_fivetran = fivetran_pause(recent_events)
    if connection is not None and connection.get("paused") is True and not we_paused and not by_fivetran:
        return "the connection is paused and not by us: a human paused it"
    explained = Counter(OWN_ACTION_EVENTS[a] for a in own_actions if a in OWN_ACTION_EVENTS)
    changes = []
    for event in recent_events:
        name = event.get("event")
        if name == "pause_connector" and by_fivetran and _actor(event) == FIVETRAN_ACTOR:
            continue  # Fivetran's own pause (actor Fivetran) is not a human's change
        at = parse_time(event.get("created") or event.get("at"))  # a webhook, or a stored HistoryRecord
        if name in HUMAN_CHANGE_EVENTS and at is not None and at >= now - window:
            changes.append((at, name))
    for at, name in sorted(changes, reverse=True):  # newest first: the latest change is the one we report
        if explained[name] > 0:
            explained[name] -= 1
            continue
        minutes = max(0, int((now - at).total_seconds() // 60))
        return f"a human changed the connection {minutes} min ago ({name})"
    return None
