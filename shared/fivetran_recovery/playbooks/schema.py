"""The playbook schema: what a playbook matches, how risky it is, and the steps it may take.

Steps come from a fixed set of actions (`Action`); each action knows whether it writes to Fivetran (or the
warehouse) and its inherent risk, so the policy can decide per step whether it may run on its own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fivetran_recovery.models.diagnosis import Category


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {"low": 0, "medium": 1, "high": 2}[self.value]

    @classmethod
    def highest(cls, *risks: Risk) -> Risk:
        return max(risks, key=lambda r: r.rank)


class Action(StrEnum):
    """The fixed set of things a playbook step may do."""

    SYNC_NOW = "sync_now"
    SYNC_IF_MANUAL = "sync_if_manual"
    PAUSE = "pause"
    RESUME = "resume"
    UPDATE_SCHEDULE = "update_schedule"
    RELOAD_SCHEMA = "reload_schema"
    RESYNC_TABLES = "resync_tables"
    RESYNC = "resync"
    UPDATE_SCHEMA_CONFIG = "update_schema_config"
    RUN_SETUP_TESTS = "run_setup_tests"
    CREATE_CONNECT_CARD = "create_connect_card"
    RUN_RECOVERY_SQL = "run_recovery_sql"
    WAIT = "wait"
    NOTIFY_OWNER = "notify_owner"
    OPEN_TICKET = "open_ticket"
    ESCALATE = "escalate"


class ActionTraits(BaseModel):
    model_config = ConfigDict(frozen=True)

    writes_fivetran: bool
    writes_warehouse: bool = False
    risk: Risk

    @property
    def is_write(self) -> bool:
        return self.writes_fivetran or self.writes_warehouse


ACTION_TRAITS: dict[Action, ActionTraits] = {
    Action.SYNC_NOW: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.SYNC_IF_MANUAL: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.PAUSE: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.RESUME: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.UPDATE_SCHEDULE: ActionTraits(writes_fivetran=True, risk=Risk.MEDIUM),
    Action.RELOAD_SCHEMA: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.RESYNC_TABLES: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.RESYNC: ActionTraits(writes_fivetran=True, risk=Risk.HIGH),
    Action.UPDATE_SCHEMA_CONFIG: ActionTraits(writes_fivetran=True, risk=Risk.HIGH),
    Action.RUN_SETUP_TESTS: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.CREATE_CONNECT_CARD: ActionTraits(writes_fivetran=True, risk=Risk.LOW),
    Action.RUN_RECOVERY_SQL: ActionTraits(writes_fivetran=False, writes_warehouse=True, risk=Risk.HIGH),
    Action.WAIT: ActionTraits(writes_fivetran=False, risk=Risk.LOW),
    Action.NOTIFY_OWNER: ActionTraits(writes_fivetran=False, risk=Risk.LOW),
    Action.OPEN_TICKET: ActionTraits(writes_fivetran=False, risk=Risk.LOW),
    Action.ESCALATE: ActionTraits(writes_fivetran=False, risk=Risk.LOW),
}


class Condition(StrEnum):
    """When a step acts; evaluated by remediate against fresh connection state just before acting."""

    ALWAYS = "always"
    SCHEDULE_MANUAL = "schedule_manual"
    SETUP_TESTS_PASSED = "setup_tests_passed"
    CONNECTION_PAUSED = "connection_paused"
    NOT_SYNCING = "not_syncing"


class Precondition(StrEnum):
    """Checked before the workflow acts at all; a failed precondition stops the automation."""

    CONNECTION_EXISTS = "connection_exists"
    NOT_PAUSED_BY_HUMAN = "not_paused_by_human"
    NO_RECENT_HUMAN_EDIT = "no_recent_human_edit"
    SETUP_NOT_INCOMPLETE = "setup_not_incomplete"


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    params: dict[str, Any] = Field(default_factory=dict)
    when: Condition = Condition.ALWAYS
    before_approval: bool = Field(
        False, description="protective step that, where policy allows it, runs before the approval is asked"
    )
    description: str = ""

    @property
    def traits(self) -> ActionTraits:
        return ACTION_TRAITS[self.action]

    @model_validator(mode="after")
    def _check_params(self) -> Step:
        _validate_params(self.action, self.params)
        return self


_ALLOWED_PARAMS: dict[Action, set[str]] = {
    Action.SYNC_NOW: {"force"},
    Action.SYNC_IF_MANUAL: {"force"},
    Action.PAUSE: set(),
    Action.RESUME: set(),
    Action.UPDATE_SCHEDULE: {"sync_frequency", "schedule_type", "relax_factor"},
    Action.RELOAD_SCHEMA: {"exclude_mode"},
    Action.RESYNC_TABLES: {"scope"},
    Action.RESYNC: {"scope"},
    Action.UPDATE_SCHEMA_CONFIG: {"schema_change_handling", "exclude"},
    Action.RUN_SETUP_TESTS: {"trust_certificates", "trust_fingerprints"},
    Action.CREATE_CONNECT_CARD: {"redirect_uri", "hide_setup_guide"},
    Action.RUN_RECOVERY_SQL: {"template"},
    Action.WAIT: {"seconds", "until", "max_seconds", "margin_seconds"},
    Action.NOTIFY_OWNER: {"message"},
    Action.OPEN_TICKET: {"summary"},
    Action.ESCALATE: {"reason"},
}

# Recovery-SQL templates a plan can fill from structured context alone (table, primary keys, affected column).
PLAN_TEMPLATES = ("dedup_primary_key", "dedup_latest", "drop_and_resync", "json_quarantine")
SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)


def _validate_params(action: Action, params: dict[str, Any]) -> None:
    unknown = set(params) - _ALLOWED_PARAMS[action]
    if unknown:
        raise ValueError(f"{action.value}: unknown params {sorted(unknown)}")
    if action is Action.UPDATE_SCHEDULE:
        freq = params.get("sync_frequency")
        if freq is not None and freq not in SYNC_FREQUENCIES:
            raise ValueError(f"update_schedule: sync_frequency must be one of {SYNC_FREQUENCIES}")
        if params.get("schedule_type") not in (None, "auto", "manual"):
            raise ValueError("update_schedule: schedule_type must be auto or manual")
    if action is Action.RELOAD_SCHEMA and params.get("exclude_mode", "PRESERVE") not in (
        "PRESERVE",
        "EXCLUDE",
        "INCLUDE",
    ):
        raise ValueError("reload_schema: exclude_mode must be PRESERVE, EXCLUDE or INCLUDE")
    if action is Action.UPDATE_SCHEMA_CONFIG:
        if params.get("schema_change_handling") not in (None, "ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL"):
            raise ValueError(
                "update_schema_config: schema_change_handling must be ALLOW_ALL, ALLOW_COLUMNS or BLOCK_ALL"
            )
        if params.get("exclude") not in (None, "from_diagnosis"):
            raise ValueError("update_schema_config: exclude must be from_diagnosis")
        if not params:
            raise ValueError("update_schema_config: give schema_change_handling and/or exclude")
    if action is Action.WAIT and "seconds" not in params and params.get("until") != "rescheduled_for":
        raise ValueError("wait: give seconds, or until: rescheduled_for")
    if action is Action.RUN_RECOVERY_SQL and params.get("template") not in PLAN_TEMPLATES:
        raise ValueError(f"run_recovery_sql: template must be one of {', '.join(PLAN_TEMPLATES)}")


class Match(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: list[Category] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    task_types: list[str] = Field(default_factory=list, description="Fivetran sync_end data.taskType values")
    status_codes: list[int] = Field(default_factory=list, description="HTTP status codes named in the error")
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    predicted: list[str] = Field(
        default_factory=list, description="preemptive playbook: the predicted failure kinds it acts on "
        "(prediction.risk kinds: quota, growth, destination, credential, ...); never matches a failure")

    @field_validator("patterns")
    @classmethod
    def _snake_case(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value or not value.replace("_", "a").isalnum() or value.lower() != value:
                raise ValueError(f"pattern {value!r} is not snake_case")
        return values

    @property
    def is_empty(self) -> bool:
        return not (self.categories or self.patterns or self.task_types or self.status_codes)


class Verification(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["next_sync_succeeded", "none", "sql_check"] = "next_sync_succeeded"
    require_connected: bool = True
    wait_for_human: bool = Field(
        False, description="failed syncs are expected until a human acts (e.g. re-auth); only a success verifies"
    )


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    version: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=120)
    description: str = ""
    match: Match
    risk: Risk
    requires_approval: bool = False
    preconditions: list[Precondition] = Field(
        default_factory=lambda: [Precondition.CONNECTION_EXISTS, Precondition.NOT_PAUSED_BY_HUMAN]
    )
    steps: list[Step] = Field(default_factory=list)
    verification: Verification = Field(default_factory=Verification)
    on_failure: list[Step] = Field(default_factory=lambda: [Step(action=Action.ESCALATE)])
    rollback: list[Step] = Field(default_factory=list)
    priority: int = Field(0, description="breaks ties between equally specific matches; higher wins")

    @model_validator(mode="after")
    def _coherent(self) -> Playbook:
        if any(s.traits.risk is Risk.HIGH for s in self.steps) and self.risk is not Risk.HIGH:
            raise ValueError(f"{self.id}: a high-risk step makes the playbook high risk; set risk: high")
        if self.risk is Risk.HIGH and not self.requires_approval:
            raise ValueError(f"{self.id}: a high-risk playbook must set requires_approval: true")
        for step in self.on_failure + self.rollback:
            if step.before_approval:
                raise ValueError(f"{self.id}: before_approval only applies to main steps")
        for step in self.on_failure:
            if step.traits.is_write:
                raise ValueError(f"{self.id}: on_failure may only notify, ticket or escalate, not {step.action}")
        return self

    @property
    def writes(self) -> bool:
        return any(step.traits.is_write for step in self.steps)
