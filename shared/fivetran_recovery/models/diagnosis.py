"""The root-cause diagnosis: one fixed taxonomy, shared by the rules, the LLM and every consumer."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Category(StrEnum):
    CREDENTIAL = "credential"
    PERMISSION = "permission"
    SOURCE_API_LIMIT = "source_api_limit"
    NETWORK = "network"
    SCHEMA_DRIFT = "schema_drift"
    DESTINATION = "destination"
    SOURCE_CONFIG = "source_config"
    DATA_QUALITY = "data_quality"
    FIVETRAN_INTERNAL = "fivetran_internal"
    UNKNOWN = "unknown"


class Evidence(BaseModel):
    """One fact a diagnosis rests on, with where it came from."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="where the fact came from, e.g. webhook.reason, connection.status.tasks")
    detail: str = Field(description="the matched text or observed fact")


class Diagnosis(BaseModel):
    category: Category
    pattern: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
    retryable: bool
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    summary: str = Field(default="", max_length=2000)
    playbook: str | None = None
    analyzer: str = Field(default="rules", description="rules | llm")

    @field_validator("pattern", mode="before")
    @classmethod
    def _snake(cls, value: object) -> object:
        return value.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else value

    @classmethod
    def unknown(cls, summary: str = "Not enough evidence to name a cause.") -> Diagnosis:
        return cls(category=Category.UNKNOWN, pattern="unknown", retryable=False, confidence=0.1, summary=summary)

    @property
    def is_unknown(self) -> bool:
        return self.category is Category.UNKNOWN

    def is_confident(self, threshold: float) -> bool:
        """Whether this diagnosis is sure enough to act on without a second opinion (the LLM)."""
        return not self.is_unknown and self.confidence >= threshold
