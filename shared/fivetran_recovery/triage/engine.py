"""Triage: one incident per real problem, no alert storms, nothing silently swallowed.

`Triage.process` takes every webhook event with its fast (rules) diagnosis and decides:

- not a failure: test deliveries, RESCHEDULED (Fivetran waiting for quota or flushing a priority-first sync,
  "intended behavior"), CANCELED by a user, `sync_start`. A cancel nobody is named for goes to the digest.
- suppressed: inside a maintenance window -> the digest, with the window's name.
- attach: the fingerprint already has an open incident -> counts, last seen, new evidence.
- correlated: a parent incident is open for the same destination+pattern (or, for outage-prone categories, the
  same pattern anywhere) -> a child of it; enough connections failing alike within the window -> a new parent
  that adopts the open incidents of the others.
- open: a new incident. Retryable failures start *pending* for the self-heal window (Fivetran's own retry usually
  fixes them); failures whose cause may be shared start pending for a short group wait (siblings arrive
  together). Per-connection causes are confirmed at once. A success closes a pending incident as self-healed
  (digest, no page); a repeat failure or the end of the hold (`sweep`) confirms it.

Confirmation is a conditional write, so exactly one consumer wins it: that decision alone carries
`should_diagnose_deeply` (context + LLM), `should_start_workflow` and the first notification (page if critical).

This module sorts events; the rooms behind it: `lifecycle.py` (open, attach, confirm, close, statuses),
`correlation.py` (parents and children), `confirmation.py` (pending -> confirmed once), `paging.py` (which
notification and page), `changes.py` (the incident mutations and digest entries).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.models.incident import IncidentStatus
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import CorrelationStore, DigestKind, DigestStore, IncidentStore
from fivetran_recovery.triage.calendar import MaintenanceCalendar
from fivetran_recovery.triage.changes import digest_entry
from fivetran_recovery.triage.confirmation import Confirmer
from fivetran_recovery.triage.correlation import Correlator
from fivetran_recovery.triage.decision import TriageAction, TriageDecision
from fivetran_recovery.triage.lifecycle import IncidentLifecycle
from fivetran_recovery.triage.paging import Paging
from fivetran_recovery.triage.policy import TriagePolicy
from fivetran_recovery.triage.routing import Routing
from fivetran_recovery.triage.status_feed import StatusFeedReader

USER_CANCEL = re.compile(r"\buser\b|dashboard|manual|api request|cancel+ed by", re.IGNORECASE)


class Triage:
    def __init__(
        self,
        *,
        incidents: IncidentStore,
        correlation: CorrelationStore,
        digest: DigestStore,
        calendar: MaintenanceCalendar,
        routing: Routing,
        status_feed: StatusFeedReader | None = None,
        policy: TriagePolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        tags_for: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.incidents = incidents
        self.digest = digest
        self.routing = routing
        self.status_feed = status_feed
        self.policy = policy or TriagePolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        paging = Paging(self.policy)
        confirmer = Confirmer(incidents=incidents, paging=paging, status_feed=status_feed)
        correlator = Correlator(
            incidents=incidents,
            correlation=correlation,
            routing=routing,
            policy=self.policy,
            paging=paging,
            confirmer=confirmer,
        )
        self.lifecycle = IncidentLifecycle(
            incidents=incidents,
            digest=digest,
            calendar=calendar,
            routing=routing,
            policy=self.policy,
            paging=paging,
            confirmer=confirmer,
            correlator=correlator,
            tags_for=tags_for,
        )

    def process(
        self, event: WebhookEvent, diagnosis: Diagnosis, *, now: datetime | None = None, manual_schedule: bool = False
    ) -> TriageDecision:
        """Decide what one webhook event means. `diagnosis` is the fast (rules) one; ignored for successes.

        `manual_schedule`: the connection only syncs when asked, so a RESCHEDULED sync will not resume on its own
        ("you must manually trigger all syncs, including syncs that are rescheduled"): it is handled as a failure.
        """
        now = now or self.clock()
        key = event.event_key
        if event.is_test:
            return TriageDecision(action=TriageAction.IGNORED, reason="test delivery", event_key=key)
        if not event.connection_id:
            return TriageDecision(action=TriageAction.IGNORED, reason="event names no connection", event_key=key)
        status = (event.status or "").upper()
        if event.event == "sync_end" and status == "SUCCESSFUL":
            return self.lifecycle.on_success(event, now)
        if event.event == "sync_end" and status == "RESCHEDULED" and manual_schedule:
            return self.lifecycle.on_failure(event, diagnosis, now)
        if event.event == "sync_end" and status == "RESCHEDULED":
            return TriageDecision(
                action=TriageAction.NOT_A_FAILURE,
                reason="RESCHEDULED: Fivetran waits for quota or flushes a priority-first sync",
                event_key=key,
            )
        if event.event == "sync_end" and status in {"CANCELED", "CANCELLED"}:
            return self._on_canceled(event, diagnosis)
        if event.is_failure:
            return self.lifecycle.on_failure(event, diagnosis, now)
        return TriageDecision(action=TriageAction.IGNORED, reason=f"{event.event} is not a sync outcome", event_key=key)

    def sweep(self, *, now: datetime | None = None) -> list[TriageDecision]:
        """Confirm pending incidents whose hold passed without recovery (call per batch and on a schedule)."""
        return self.lifecycle.sweep(now or self.clock())

    def update_status(
        self,
        incident_id: str,
        status: IncidentStatus,
        *,
        now: datetime | None = None,
        note: str = "",
        eta_seconds: int | None = None,
        diagnosis: Diagnosis | None = None,
    ) -> TriageDecision:
        """Record a workflow status change (diagnosed, awaiting approval, remediating, recovered, ...)."""
        return self.lifecycle.update_status(
            incident_id, status, now=now or self.clock(), note=note, eta_seconds=eta_seconds, diagnosis=diagnosis
        )

    def _on_canceled(self, event: WebhookEvent, diagnosis: Diagnosis) -> TriageDecision:
        reason = (event.data or {}).get("reason") or ""
        if USER_CANCEL.search(reason):
            return TriageDecision(
                action=TriageAction.NOT_A_FAILURE, reason="CANCELED by a user", event_key=event.event_key
            )
        self.digest.add(digest_entry(event, DigestKind.CANCELED_UNATTRIBUTED, diagnosis=diagnosis))
        return TriageDecision(
            action=TriageAction.NOT_A_FAILURE,
            reason="CANCELED without a named user: listed in the digest",
            event_key=event.event_key,
        )
