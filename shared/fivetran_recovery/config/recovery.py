"""Settings of the recovery workflow that the core `Settings` does not carry (notifiers, approvals, policy).

Same rules as `fivetran_recovery.settings`: read from the environment once, explicit argument > environment >
default, secret values never in the environment (only Secrets Manager ids).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fivetran_recovery.settings import model_from_env

# The SQL dialects recovery SQL is written for (recovery_sql renders them; WAREHOUSE_DIALECT names one).
WAREHOUSE_DIALECTS = ("snowflake", "bigquery", "redshift", "duckdb")


class ConnectionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: str | None = Field(None, pattern="^(monitor|recommend|auto)$")
    criticality: str | None = None
    channel: str | None = None
    owner: str | None = None


class RecoveryConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    approver_secret_id: str = Field("fivetran-recovery/approvers", alias="APPROVER_SECRET_ID")
    console_session_secret_id: str = Field("fivetran-recovery/console-session", alias="CONSOLE_SESSION_SECRET_ID")
    console_secure_cookie: bool = Field(True, alias="CONSOLE_SECURE_COOKIE")
    notifiers: list[str] = Field(default_factory=lambda: ["slack"], alias="NOTIFIERS")
    slack_api_url: str = Field("https://slack.com/api", alias="SLACK_API_URL")
    slack_channel: str = Field("#data-incidents", alias="SLACK_CHANNEL")
    jira_base_url: str | None = Field(None, alias="JIRA_BASE_URL")
    jira_project_key: str = Field("DATA", alias="JIRA_PROJECT_KEY")
    jira_issue_type: str = Field("Task", alias="JIRA_ISSUE_TYPE")
    jira_api_version: int = Field(2, alias="JIRA_API_VERSION")
    jira_secret_id: str = Field("fivetran-recovery/jira", alias="JIRA_SECRET_ID")
    servicenow_base_url: str | None = Field(None, alias="SERVICENOW_BASE_URL")
    servicenow_secret_id: str = Field("fivetran-recovery/servicenow", alias="SERVICENOW_SECRET_ID")
    outbox_path: str | None = Field(None, alias="NOTIFY_OUTBOX_PATH")
    approval_base_url: str = Field("", alias="APPROVAL_BASE_URL")
    human_change_window_minutes: int = Field(30, alias="HUMAN_CHANGE_WINDOW_MINUTES", ge=0)
    # a classifier signature acts alone only when its measured precision reaches this (rca/calibration.py)
    auto_min_precision: float = Field(0.95, alias="AUTO_MIN_PRECISION", ge=0.0, le=1.0)
    # earned autonomy (autonomy/): where a playbook starts, and how many verified successes in a row promote it
    playbook_initial_stage: str = Field("recommend", alias="PLAYBOOK_INITIAL_STAGE",
                                        pattern="^(monitor|recommend|auto)$")
    playbook_promote_after: int = Field(5, alias="PLAYBOOK_PROMOTE_AFTER", ge=1)
    slack_replay_window_seconds: int = Field(300, alias="SLACK_REPLAY_WINDOW_SECONDS", gt=0)
    warehouse_dialect: str = Field("snowflake", alias="WAREHOUSE_DIALECT")
    warehouse_url: str | None = Field(None, alias="WAREHOUSE_URL")
    warehouse_secret_id: str | None = Field(None, alias="WAREHOUSE_SECRET_ID")  # the deployed adapter's credentials
    # The schema (BigQuery: dataset) of the warehouse's copy of the audit trail; empty: no mirror.
    audit_mirror_schema: str = Field("fivetran_recovery", alias="AUDIT_MIRROR_SCHEMA")
    step_wait_scale: float = Field(1.0, alias="STEP_WAIT_SCALE", ge=0.0, le=1.0)
    lock_ttl_seconds: int = Field(2 * 24 * 3600, alias="WORKFLOW_LOCK_TTL_SECONDS", gt=0)
    connection_policies: dict[str, ConnectionPolicy] = Field(default_factory=dict, alias="CONNECTION_POLICIES")

    @field_validator("notifiers", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("connection_policies", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("warehouse_dialect")
    @classmethod
    def _dialect(cls, value: str) -> str:
        if value not in WAREHOUSE_DIALECTS:
            raise ValueError(f"must be one of {', '.join(WAREHOUSE_DIALECTS)}")
        return value

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> RecoveryConfig:
        return model_from_env(cls, environ, overrides)


@lru_cache(maxsize=1)
def get_recovery_config() -> RecoveryConfig:
    return RecoveryConfig.from_env()
