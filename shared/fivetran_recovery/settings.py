"""Settings: one validated model, read from the environment once.

Precedence everywhere: explicit argument > environment variable > default.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

M = TypeVar("M", bound=BaseModel)


class RolloutMode(StrEnum):
    """Phased rollout: observe first, then suggest, then act."""

    MONITOR = "monitor"
    RECOMMEND = "recommend"
    AUTO = "auto"


class SettingsError(ValueError):
    """The environment does not describe a valid deployment."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # AWS resources (names/ARNs/URLs come from template.yaml through environment variables).
    incidents_table: str = Field("fivetran-recovery-incidents", alias="INCIDENTS_TABLE")
    history_table: str = Field("fivetran-recovery-history", alias="HISTORY_TABLE")
    approvals_table: str = Field("fivetran-recovery-approvals", alias="APPROVALS_TABLE")
    audit_table: str = Field("fivetran-recovery-audit", alias="AUDIT_TABLE")
    # KMS HMAC key that signs audit records and the Object Lock bucket holding chain heads; empty: not used.
    audit_key_id: str = Field("", alias="AUDIT_KEY_ID")
    audit_anchor_bucket: str = Field("", alias="AUDIT_ANCHOR_BUCKET")
    idempotency_table: str = Field("fivetran-recovery-idempotency", alias="IDEMPOTENCY_TABLE")
    events_queue_url: str = Field("", alias="EVENTS_QUEUE_URL")
    state_machine_arn: str = Field("", alias="STATE_MACHINE_ARN")

    # Secrets Manager ids: values are never placed in the environment.
    fivetran_secret_id: str = Field("fivetran-recovery/fivetran-api", alias="FIVETRAN_SECRET_ID")
    webhook_secret_id: str = Field("fivetran-recovery/webhook", alias="WEBHOOK_SECRET_ID")
    slack_secret_id: str = Field("fivetran-recovery/slack", alias="SLACK_SECRET_ID")
    anthropic_secret_id: str = Field("fivetran-recovery/anthropic", alias="ANTHROPIC_SECRET_ID")
    pagerduty_secret_id: str | None = Field(None, alias="PAGERDUTY_SECRET_ID")
    secrets_max_age_seconds: int = Field(300, alias="SECRETS_MAX_AGE_SECONDS", ge=0)

    # Behaviour.
    rollout_mode: RolloutMode = Field(RolloutMode.RECOMMEND, alias="ROLLOUT_MODE")
    fivetran_api_url: str = Field("https://api.fivetran.com/v1", alias="FIVETRAN_API_URL")
    # The Fivetran client's per-class timeouts times this (the local stack runs Fivetran 60x faster: 1/60).
    fivetran_timeout_scale: float = Field(1.0, alias="FIVETRAN_TIMEOUT_SCALE", gt=0, le=1)
    anthropic_model: str = Field("claude-sonnet-4-6", alias="ANTHROPIC_MODEL")
    anthropic_base_url: str | None = Field(None, alias="ANTHROPIC_BASE_URL")
    # anthropic: the Anthropic API with the key in ANTHROPIC_SECRET_ID; bedrock: Claude on Amazon Bedrock in this
    # account and region, signed with the function's role (ANTHROPIC_MODEL is then a Bedrock model id). Either way
    # LLM_BASE_URL (template LlmBaseUrl; empty = unset) or ANTHROPIC_BASE_URL may point at a corporate proxy or a
    # VPC endpoint.
    llm_provider: Literal["anthropic", "bedrock"] = Field("anthropic", alias="LLM_PROVIDER")
    llm_base_url: str = Field("", alias="LLM_BASE_URL")
    aws_region: str | None = Field(None, alias="AWS_REGION")
    llm_enabled: bool = Field(True, alias="LLM_ENABLED")
    max_webhook_bytes: int = Field(256 * 1024, alias="MAX_WEBHOOK_BYTES", gt=0)
    # an event's `created` must lie within [now - max age, now + max future]: Fivetran retries a delivery for up to
    # 24 hours, so anything older is a replay or a forgery; a few minutes ahead allows for clock skew
    webhook_max_age_seconds: int = Field(25 * 3600, alias="WEBHOOK_MAX_AGE_SECONDS", gt=0)
    webhook_max_future_seconds: int = Field(300, alias="WEBHOOK_MAX_FUTURE_SECONDS", ge=0)
    approval_timeout_seconds: int = Field(24 * 3600, alias="APPROVAL_TIMEOUT_SECONDS", gt=0)
    self_heal_window_seconds: int = Field(900, alias="SELF_HEAL_WINDOW_SECONDS", ge=0)
    # how often (per container) the sweep snapshots the schema of connections that have no known-good one yet
    schema_snapshot_sweep_seconds: int = Field(3600, alias="SCHEMA_SNAPSHOT_SWEEP_SECONDS", ge=0)
    schema_snapshot_sweep_limit: int = Field(50, alias="SCHEMA_SNAPSHOT_SWEEP_LIMIT", ge=0)
    group_wait_seconds: int = Field(120, alias="GROUP_WAIT_SECONDS", ge=0)
    # A confirmed incident with no workflow this long after confirmation is resumed by the sweep (2x diagnose's
    # timeout: its own consumer is done by then), at most WORKFLOW_START_ATTEMPTS times, then escalated.
    workflow_resume_after_seconds: int = Field(120, alias="WORKFLOW_RESUME_AFTER_SECONDS", ge=0)
    workflow_start_attempts: int = Field(3, alias="WORKFLOW_START_ATTEMPTS", ge=1)
    # How far ahead of our clock an event's `created` may be and still order it; later ones count as received now.
    max_event_skew_seconds: int = Field(600, alias="MAX_EVENT_SKEW_SECONDS", ge=0)
    # The reconciliation sweep leaves a sync that ended less than this long ago (on Fivetran's clock) to its next
    # run: its webhook is most likely still on its way.
    reconcile_settle_seconds: int = Field(300, alias="RECONCILE_SETTLE_SECONDS", ge=0)
    # A remediation step's claim is held this long: the remediate function's timeout plus a margin (budget.py).
    step_lease_seconds: int = Field(315, alias="STEP_LEASE_SECONDS", gt=0)
    # Comma-separated Statuspage summary URLs replacing config/status_feeds.yaml's (the local stack's simulator).
    status_feed_urls: str | None = Field(None, alias="STATUS_FEED_URLS")
    stage: str = Field("prod", alias="STAGE")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `environ` (default: os.environ); keyword overrides win."""
        return model_from_env(cls, environ, overrides)


def model_from_env(model: type[M], environ: dict[str, str] | None, overrides: dict[str, Any]) -> M:
    """A settings model whose fields are aliased by environment variable: `environ` (default: os.environ), then
    keyword `overrides` (by field name); errors name the variable, never its value (it may be a secret)."""
    env = dict(os.environ if environ is None else environ)
    fields = model.model_fields
    values: dict[str, Any] = {f.alias: env[f.alias] for f in fields.values() if f.alias and f.alias in env}
    for name, value in overrides.items():
        values[fields[name].alias or name] = value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{fields[str(e['loc'][0])].alias if str(e['loc'][0]) in fields else e['loc'][0]}: {e['msg']}"
            for e in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (cleared by tests via get_settings.cache_clear())."""
    return Settings.from_env()
