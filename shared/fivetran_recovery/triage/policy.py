"""The knobs of triage, with defaults that match Fivetran's behaviour (FACTS.md sections 1.3 and 5)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.settings import Settings

# Causes that are one connection's own business: never worth waiting for siblings before paging.
PER_CONNECTION_CATEGORIES = frozenset({Category.SCHEMA_DRIFT, Category.DATA_QUALITY, Category.SOURCE_CONFIG})
# Causes that can be shared across destinations (a vendor or network outage).
CROSS_DESTINATION_CATEGORIES = frozenset(
    {Category.FIVETRAN_INTERNAL, Category.NETWORK, Category.SOURCE_API_LIMIT, Category.DESTINATION}
)


class TriagePolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    self_heal_window_seconds: int = Field(
        900, ge=0, description="a retryable failure waits this long for Fivetran's own retry before paging"
    )
    group_wait_seconds: int = Field(
        120, ge=0, description="a non-retryable failure that may be shared waits this long for its siblings"
    )
    correlation_window_seconds: int = Field(1800, gt=0, description="failures this close together correlate")
    min_connections_destination: int = Field(3, ge=2, description="connections on one destination for a parent")
    min_connections_pattern: int = Field(5, ge=2, description="connections across destinations for a parent")
    confirm_after_failures: int = Field(2, ge=1, description="a pending incident failing this often is real")
    immediate_categories: frozenset[Category] = PER_CONNECTION_CATEGORIES
    cross_destination_categories: frozenset[Category] = CROSS_DESTINATION_CATEGORIES
    page_criticalities: frozenset[str] = frozenset({"critical"})

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> TriagePolicy:
        values: dict[str, object] = {"self_heal_window_seconds": settings.self_heal_window_seconds,
                                     "group_wait_seconds": settings.group_wait_seconds}
        values.update(overrides)
        return cls.model_validate(values)
