"""The use case: read a playbook's stage for a plan, record a run's outcome, audit every promotion and demotion."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fivetran_recovery.autonomy.ladder import STAGES, Change, Standing, apply_outcome, cap
from fivetran_recovery.autonomy.store import StaleStanding, StandingStore

AUDIT_ACTOR = "autonomy"


@dataclass(kw_only=True)
class EarnedAutonomy:
    store: StandingStore
    audit: Any  # AuditLog: append(chain_id=, incident_id=, kind=, actor=, detail=)
    clock: Callable[[], datetime]
    promote_after: int = 5
    initial_stage: str = "recommend"

    def __post_init__(self) -> None:
        if self.initial_stage not in STAGES:
            raise ValueError(f"initial stage must be one of {', '.join(STAGES)}")
        if self.promote_after < 1:
            raise ValueError("promote_after must be at least 1")

    def standing(self, playbook_id: str) -> Standing:
        return self.store.get(playbook_id) or Standing(playbook_id=playbook_id, stage=self.initial_stage)

    def effective_mode(self, playbook_id: str, mode: str) -> tuple[str, str | None]:
        """(the mode this playbook may use under `mode`, why it is lower, if it is)."""
        standing = self.standing(playbook_id)
        capped = cap(mode, standing.stage)
        if capped == mode:
            return mode, None
        toward = (f" ({standing.streak}/{self.promote_after} verified successes toward auto)"
                  if standing.stage == "recommend" else "")
        return capped, f"playbook {playbook_id} has earned stage {standing.stage} so far{toward}: {standing.reason}"

    def earned_auto(self, playbook_id: str) -> bool:
        """Whether the playbook stands at auto by its record (a promotion, or a human's decision), not by default."""
        standing = self.store.get(playbook_id)
        return standing is not None and standing.stage == "auto"

    def record(self, playbook_id: str, outcome: str, *, incident_id: str, connection_id: str = "",
               actor: str = AUDIT_ACTOR) -> Change | None:
        """Apply one outcome (retried on a concurrent write); a stage change is written to the audit trail."""
        for _ in range(5):
            current = self.standing(playbook_id)
            if f"{incident_id}:{outcome}" in current.recent:
                return None  # this incident's outcome is counted already (a retried verify)
            updated, change = apply_outcome(current, outcome, incident_id=incident_id,
                                            promote_after=self.promote_after, now=self.clock())
            try:
                self.store.put(updated)
            except StaleStanding:
                continue
            if change is not None:
                self.audit.append(chain_id=connection_id or f"playbook:{playbook_id}", incident_id=incident_id,
                                  kind=f"playbook_{change.kind}", actor=actor,
                                  detail={"playbook_id": playbook_id, "from": change.before, "to": change.after,
                                          "reason": change.reason, "outcome": outcome})
            return change
        raise StaleStanding(playbook_id)

    def set_stage(self, playbook_id: str, stage: str, *, actor: str, reason: str) -> Change | None:
        """A human's decision (e.g. out of monitor): audited like any other change."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}")
        current = self.standing(playbook_id)
        if current.stage == stage:
            return None
        from dataclasses import replace

        self.store.put(replace(current, stage=stage, streak=0, changed_at=self.clock(), reason=reason))
        change = Change(playbook_id, current.stage, stage, reason)
        self.audit.append(chain_id=f"playbook:{playbook_id}", incident_id=f"playbook:{playbook_id}",
                          kind=f"playbook_{change.kind}", actor=actor,
                          detail={"playbook_id": playbook_id, "from": change.before, "to": change.after,
                                  "reason": reason, "outcome": "set_by_human"})
        return change

    def report(self, playbook_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Every playbook's stage and track record, as data (the CLI prints it, the console can show it)."""
        return [self.standing(pid).as_dict(self.promote_after) for pid in sorted(playbook_ids)]
