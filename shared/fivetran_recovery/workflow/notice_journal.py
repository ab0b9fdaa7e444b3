"""A workflow notice sent once per run, whatever happens to the notify invocation (issue 13, crash injection).

Before the send, a `notice_intent` record (key = the run and the notice kind); the handler's own record
(`recommendation`, `escalation`, `summary`, ...) follows with the same `notice_key` and is the outcome. A retried
invocation (the state machine retries a killed one) then:

- finds the outcome record: nothing is sent again (the handler still redoes its idempotent rest: status, lock);
- finds only the intent: asks each channel whether the notice is there (Slack: the message metadata carries
  the key, read back with conversations.history; the outbox: its file). A channel that has it is not sent it
  again; one that cannot tell (no lookup, or the lookup failed) is sent it again, and the outcome record says
  so (`reconciled`): a notice possibly shown twice beats an escalation lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fivetran_recovery.models.workflow import run_key
from fivetran_recovery.notifiers.base import Notice

INTENT = "notice_intent"


@dataclass
class Sent:
    refs: dict[str, Any]
    errors: dict[str, str]
    key: str
    replayed: dict[str, Any] | None = None  # the outcome record's detail when the notice went out already
    reconciled: dict[str, str] = field(default_factory=dict)

    def record(self, detail: dict[str, Any]) -> dict[str, Any]:
        """The outcome record's detail: the handler's own plus the key and what reconciling found."""
        extra = {"reconciled": self.reconciled} if self.reconciled else {}
        return {**detail, "notice_key": self.key, **extra}


def send_once(*, audit: Any, dispatcher: Any, workflow: dict[str, Any], notice: Notice, purpose: str,
              actor: str) -> Sent:
    """`purpose`: which of the run's notices this is (its handler: monitor, approval_timeout, escalation, closed)."""
    key = f"{run_key(workflow)}:{purpose}"
    notice.dedupe_key = key
    mine = [r for r in audit.for_incident(workflow["incident_id"]) if r.detail.get("notice_key") == key]
    outcome = next((r for r in mine if r.kind != INTENT), None)
    if outcome is not None:
        return Sent({}, {}, key, replayed=dict(outcome.detail))
    if not mine:
        audit.append(chain_id=workflow["connection_id"], incident_id=workflow["incident_id"], kind=INTENT,
                     actor=actor, detail={"notice_key": key, "notice": notice.kind, "title": notice.title})
        refs, errors = dispatcher.post(notice)
        return Sent(refs, errors, key)
    found, unknown = dispatcher.find(notice)  # an earlier invocation stopped after its intent
    refs, errors = dispatcher.post(notice, skip=frozenset(found))
    reconciled = {name: "found: not sent again" for name in found}
    reconciled |= {name: "cannot tell: sent again" if name in unknown else "not there: sent" for name in refs}
    return Sent({**found, **refs}, errors, key, reconciled=reconciled)


class KeyedDispatcher:
    """A dispatcher for notices a handler sends through other code (the failure branch's steps): each post gets
    the run's key and its position, and on a retry each channel is asked first (as `send_once` does)."""

    def __init__(self, dispatcher: Any, key: str, *, retry: bool) -> None:
        self._dispatcher, self._key, self._retry, self._count = dispatcher, key, retry, 0

    def post(self, notice: Notice) -> tuple[dict[str, Any], dict[str, str]]:
        self._count += 1
        notice.dedupe_key = f"{self._key}:{self._count}"
        if not self._retry:
            return self._dispatcher.post(notice)
        found, _unknown = self._dispatcher.find(notice)
        refs, errors = self._dispatcher.post(notice, skip=frozenset(found))
        return {**found, **refs}, errors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dispatcher, name)
