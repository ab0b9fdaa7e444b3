"""Alert triage: fingerprint, debounce, correlate, suppress and route (entry point: `Triage.process`)."""

from fivetran_recovery.triage.decision import (
    Notification,
    NotificationKind,
    PageAction,
    TriageAction,
    TriageDecision,
)
from fivetran_recovery.triage.engine import Triage
from fivetran_recovery.triage.policy import TriagePolicy

__all__ = [
    "Notification",
    "NotificationKind",
    "PageAction",
    "Triage",
    "TriageAction",
    "TriageDecision",
    "TriagePolicy",
]
