"""The recovery workflow's contract: the Step Functions execution input and the task payloads.

`WorkflowInput` is built by `fivetran_recovery.workflow.build_workflow_input` (called by diagnose) and is what
every state of statemachine/recovery.asl.json reads. It must stay JSON-safe: the state machine only moves JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Path = Literal["monitor", "approval", "auto"]
SCHEMA_VERSION = 1


class PlannedCall(BaseModel):
    """One exact write the step would make: a Fivetran API call or a SQL statement."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["fivetran_api", "sql"]
    method: str | None = None
    path: str | None = None
    body: Any = None
    dialect: str | None = None
    sql: str | None = None

    def describe(self) -> str:
        if self.kind == "sql":
            return f"SQL ({self.dialect}): {self.sql}"
        body = "" if self.body is None else f" {_compact(self.body)}"
        return f"{self.method} {self.path}{body}"


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class PlanStep(BaseModel):
    index: int = Field(ge=0)
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    when: str = "always"
    description: str = ""
    risk: str
    writes: bool
    before_approval: bool = False
    approval_required: bool = False
    calls: list[PlannedCall] = Field(default_factory=list)
    unresolved: str | None = Field(None, description="why this step cannot run as planned (needs a human)")
    scope: str | None = Field(
        None, description="where the objects this step touches came from: schema_diff | schema_config | "
        "failure_text (a suggestion: always waits for approval) | approver"
    )


class PolicyDecision(BaseModel):
    path: Path
    mode: str
    criticality: str
    critical: bool
    reasons: list[str] = Field(default_factory=list)
    blocked_by: str | None = None
    approval_step_index: int | None = Field(None, description="the first step that waits for approval")


class VerificationPlan(BaseModel):
    enabled: bool
    kind: str
    require_connected: bool = True
    wait_for_human: bool = False


class Plan(BaseModel):
    steps: list[PlanStep]
    step_count: int
    on_failure: list[PlanStep] = Field(default_factory=list)
    rollback: list[PlanStep] = Field(default_factory=list)
    verification: VerificationPlan


class Rca(BaseModel):
    category: str
    pattern: str
    confidence: float
    retryable: bool
    summary: str
    evidence: list[dict[str, str]] = Field(default_factory=list)
    analyzer: str = "rules"
    calibrated_confidence: float | None = Field(
        None, description="how often answers of this confidence were right in the labelled corpus")
    signature_precision: float | None = Field(
        None, description="how often this category/pattern was right in the labelled corpus (None: not measured)")


class PlaybookRef(BaseModel):
    id: str
    version: int
    title: str
    risk: str
    requires_approval: bool


class EventRef(BaseModel):
    event: str | None = None
    created: str | None = None
    sync_id: str | None = None
    connector_type: str | None = None
    connection_name: str | None = None
    destination_group_id: str | None = None
    status: str | None = None
    task_type: str | None = None


class WorkflowInput(BaseModel):
    schema_version: int = SCHEMA_VERSION
    incident_id: str = Field(min_length=1, max_length=80)
    connection_id: str = Field(min_length=1, max_length=200)
    detected_at: str
    started_at: str
    playbook: PlaybookRef
    rca: Rca
    event: EventRef
    decision: PolicyDecision
    plan: Plan
    dry_run: list[str]
    scope: dict[str, Any] = Field(default_factory=dict, description="tables from the schema diff, text suggestions")
    cursor: dict[str, int] = Field(default_factory=lambda: {"index": 0})
    approval: dict[str, Any] = Field(default_factory=lambda: {"status": "none"})


def run_key(workflow: Mapping[str, Any]) -> str:
    """One workflow run of an incident (its start time tells runs apart): the key its once-only effects share."""
    return f"{workflow['incident_id']}@{workflow.get('started_at') or '-'}"
