"""Shapes of the console's JSON API, for the OpenAPI document the resolver generates (docs/openapi/console.json).
Objects allow more fields than they name: the named ones are the contract."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Health(_Open):
    status: Literal["ok"]
    service: str
    time: str


class Error(_Open):
    error: str = Field(description="what went wrong, in one line")


class IncidentSummary(_Open):
    id: str
    kind: str
    status: str
    connection_id: str | None
    destination_group_id: str | None
    category: str
    pattern: str
    criticality: str
    first_seen: str
    last_seen: str
    closed_at: str | None
    parent_id: str | None
    children: list[str]  # a parent's: a sample of its newest children
    child_count: int = 0
    summary: str | None
    failures: int


class IncidentList(_Open):
    incidents: list[IncidentSummary]
    total: int
    digest: dict[str, int] = Field(description="events triage kept out of incidents in the last 24 h, by kind")


class TimelineEntry(_Open):
    at: str
    kind: str
    actor: str
    seq: int
    text: str
    detail: dict[str, Any]


class Approval(_Open):
    approval_id: str
    incident_id: str
    connection_id: str
    status: str = Field(description="pending, approved, rejected or expired")
    created_at: str
    expires_at_iso: str
    playbook_id: str
    planned_actions: list[str]
    rca: dict[str, Any]
    reasons: list[str]
    unresolved_steps: list[int]


class Recovery(_Open):
    time_to_recover_seconds: float | None = Field(
        description="first failure to the sync the verification saw succeed (Fivetran's clock); null until then")
    reason: str = Field(description="what the number spans, or why there is none yet")


class IncidentDetail(IncidentSummary):
    timeline: list[TimelineEntry] = Field(description="the incident's audit records, in time order")
    notes: list[dict[str, Any]]
    rca: dict[str, Any] | None = Field(description="diagnosis, rules answer, analyzer (rules or llm), usage and cost")
    plan: dict[str, Any] | None = Field(description="policy path, playbook, decision, dry run (the exact calls) and "
                                        "resolved_steps (steps unresolved when planned, as completed)")
    approvals: list[Approval]
    outcome: dict[str, Any] | None
    recovery: Recovery
    rollbacks: dict[str, dict[str, Any]] = Field(
        description="audit seq -> a revertible action: its rollback's calls (plan), why not, or the proposed one")
    child_incidents: list[IncidentSummary]
    dashboard_url: str | None


class ApprovalList(_Open):
    approvals: list[Approval]
    total: int


class DecisionResult(_Open):
    approval_id: str
    status: str
    decided_by: str
    decided_at: str


class RiskView(_Open):
    risk: float
    level: str
    reasons: list[str]


class ConnectionRow(_Open):
    connection_id: str
    service: str | None
    group_id: str | None
    setup_state: str | None
    sync_state: str | None
    paused: bool | None
    succeeded_at: str | None
    failed_at: str | None
    open_incident: str | None
    risk: RiskView | None
    schedule_advice: dict[str, Any] | None
    automation: dict[str, Any] | None = Field(description="null while automation runs; who stopped it and why")
    dashboard_url: str | None


class ConnectionList(_Open):
    connections: list[ConnectionRow]
    error: str | None


class AutomationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["stop", "resume"]
    reason: str = Field("", max_length=500, description="required to stop")


class AutomationChange(_Open):
    connection_id: str
    automation: Literal["stopped", "running"]


class ChainCheck(_Open):
    chain_id: str
    records: int
    ok: bool
    broken_seq: int | None
    reason: str | None


class AuditChains(_Open):
    ok: bool
    chains: list[ChainCheck]


class AuditChain(_Open):
    check: ChainCheck
    records: list[dict[str, Any]]


class AuditRecords(_Open):
    records: list[dict[str, Any]]
