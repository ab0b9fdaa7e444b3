"""Rollout mode and criticality per connection.

The deployment's mode (ROLLOUT_MODE) is the default; CONNECTION_POLICIES may set a connection's own mode and
criticality, so one connection can be trusted with `auto` while the rest stay on `recommend`. A deployment in
`monitor` is a kill switch: no per-connection setting can make it write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from fivetran_recovery.settings import RolloutMode

if TYPE_CHECKING:
    from fivetran_recovery.config import RecoveryConfig

CRITICAL_LEVELS = frozenset({"critical", "high"})
CRITICAL_TAGS = frozenset({"finance", "financial", "customer", "pii", "billing", "revenue", "critical"})


def effective_mode(deployment: RolloutMode | str, connection_mode: RolloutMode | str | None = None) -> RolloutMode:
    deployment = RolloutMode(deployment)
    if deployment is RolloutMode.MONITOR or connection_mode is None:
        return deployment
    return RolloutMode(connection_mode)


def is_critical(criticality: str | None) -> bool:
    return (criticality or "").strip().lower() in CRITICAL_LEVELS


def criticality_from_tags(tags: Iterable[str]) -> str:
    """'critical' when any tag names finance or customer data, else 'normal'."""
    return "critical" if {t.strip().lower() for t in tags} & CRITICAL_TAGS else "normal"


def resolve(connection_id: str, deployment: RolloutMode | str, config: RecoveryConfig) -> tuple[RolloutMode, str]:
    """(mode, criticality) for one connection under this deployment."""
    override = config.connection_policies.get(connection_id)
    mode = effective_mode(deployment, override.mode if override else None)
    criticality = (override.criticality if override and override.criticality else "normal").lower()
    return mode, criticality
