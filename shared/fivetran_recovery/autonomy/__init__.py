"""Earned autonomy per playbook: each playbook's rollout stage (monitor -> recommend -> auto) under the deployment's
ceiling, promoted by verified successes and demoted by a failed verification or a human's reversal."""

from fivetran_recovery.autonomy.ladder import STAGES, Change, Standing, apply_outcome
from fivetran_recovery.autonomy.service import EarnedAutonomy
from fivetran_recovery.autonomy.store import DynamoStandingStore, MemoryStandingStore

__all__ = ["STAGES", "Change", "DynamoStandingStore", "EarnedAutonomy", "MemoryStandingStore", "Standing",
           "apply_outcome"]
