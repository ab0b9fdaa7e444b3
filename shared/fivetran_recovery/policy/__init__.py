"""Policy: rollout mode, criticality and human changes decide whether a fix runs, waits, or is only shown."""

from fivetran_recovery.policy.decide import decide
from fivetran_recovery.policy.dry_run import render_step
from fivetran_recovery.policy.human import recent_human_change
from fivetran_recovery.policy.modes import criticality_from_tags, effective_mode, is_critical, resolve

__all__ = [
    "criticality_from_tags",
    "decide",
    "effective_mode",
    "is_critical",
    "recent_human_change",
    "render_step",
    "resolve",
]
