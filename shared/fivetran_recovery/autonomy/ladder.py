"""The ladder itself, pure: a playbook's standing and what one outcome does to it.

- `verified` (a run that wrote something and was verified): the streak grows; at `promote_after` in a row the
  playbook climbs one stage (recommend -> auto; monitor is left only by a human, since nothing runs there);
- `failed` (verification failed) or `reversed` (a human rolled the change back): down one stage at once, streak 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

STAGES = ("monitor", "recommend", "auto")
OUTCOMES = ("verified", "failed", "reversed")


@dataclass(frozen=True)
class Standing:
    playbook_id: str
    stage: str
    streak: int = 0  # verified successes in a row since the last change or failure
    verified: int = 0
    failed: int = 0
    reversed: int = 0
    changed_at: datetime | None = None
    reason: str = "initial stage"
    version: int = 0  # optimistic concurrency in the store
    recent: list[str] = field(default_factory=list)  # the last outcomes, newest last (incident:outcome)

    def as_dict(self, promote_after: int) -> dict:
        return {"playbook_id": self.playbook_id, "stage": self.stage, "streak": self.streak,
                "promote_after": promote_after, "verified": self.verified, "failed": self.failed,
                "reversed": self.reversed, "changed_at": self.changed_at.isoformat() if self.changed_at else None,
                "reason": self.reason, "recent": list(self.recent)}


@dataclass(frozen=True)
class Change:
    playbook_id: str
    before: str
    after: str
    reason: str

    @property
    def kind(self) -> str:
        return "promotion" if STAGES.index(self.after) > STAGES.index(self.before) else "demotion"


def cap(mode: str, stage: str) -> str:
    """The lower of the deployment's (or connection's) mode and the playbook's stage."""
    return STAGES[min(STAGES.index(mode), STAGES.index(stage))]


def apply_outcome(standing: Standing, outcome: str, *, incident_id: str, promote_after: int,
                  now: datetime) -> tuple[Standing, Change | None]:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    recent = [*standing.recent, f"{incident_id}:{outcome}"][-10:]
    if outcome == "verified":
        streak = standing.streak + 1
        updated = replace(standing, streak=streak, verified=standing.verified + 1, recent=recent)
        if standing.stage == "recommend" and streak >= promote_after:
            reason = f"{streak} verified successes in a row, no failed verification or reversal"
            return replace(updated, stage="auto", streak=0, changed_at=now, reason=reason), Change(
                standing.playbook_id, standing.stage, "auto", reason)
        return updated, None
    counts = {"failed": standing.failed + (outcome == "failed"),
              "reversed": standing.reversed + (outcome == "reversed")}
    what = "verification failed" if outcome == "failed" else "a human reversed the change"
    lower = STAGES[max(0, STAGES.index(standing.stage) - 1)]
    updated = replace(standing, streak=0, recent=recent, **counts)
    if lower == standing.stage:
        return updated, None
    reason = f"{what} on incident {incident_id}"
    return replace(updated, stage=lower, changed_at=now, reason=reason), Change(
        standing.playbook_id, standing.stage, lower, reason)
