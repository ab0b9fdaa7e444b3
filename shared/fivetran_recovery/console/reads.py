"""What the console shows, read from the stores the functions write: incidents, their audit timelines and RCA,
approvals, connections with risk and overrides, audit chains. Every value is JSON-safe; nothing here writes.

Collaborators come in through the constructor (the API function's composition root builds them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from fivetran_recovery.models.workflow import PlannedCall
from fivetran_recovery.workflow.summary import describe_record, time_to_recover

FIVETRAN_DASHBOARD = "https://fivetran.com/dashboard/connections/{connection_id}/status"
MAX_LIST = 200


def dashboard_url(connection_id: str | None) -> str | None:
    return FIVETRAN_DASHBOARD.format(connection_id=connection_id) if connection_id else None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)


def incident_summary(incident: Any) -> dict[str, Any]:
    diagnosis = incident.diagnosis
    return {
        "id": incident.id, "kind": incident.kind.value, "status": incident.status.value,
        "connection_id": incident.connection_id, "destination_group_id": incident.destination_group_id,
        "category": incident.category.value, "pattern": incident.pattern, "criticality": incident.criticality.value,
        "first_seen": _iso(incident.first_seen), "last_seen": _iso(incident.last_seen),
        "closed_at": _iso(incident.closed_at), "parent_id": incident.parent_id,
        "children": [c.incident_id for c in incident.child_sample], "child_count": incident.child_count,
        "summary": diagnosis.summary if diagnosis else None, "failures": incident.counts.failures,
    }


def _timeline_entry(record: Any) -> dict[str, Any]:
    return {"at": record.recorded_at, "kind": record.kind, "actor": record.actor, "seq": record.seq,
            "text": describe_record(record), "detail": record.detail}


def _rca(records: list[Any], fallback: Any) -> dict[str, Any] | None:
    """The RCA from the newest diagnosis record: the answer, the rules' answer, who answered and what it cost."""
    found = next((r for r in reversed(records) if r.kind == "diagnosis"), None)
    if found is None:
        if fallback is None:
            return None
        return {"diagnosis": fallback.model_dump(mode="json"), "analyzer": fallback.analyzer, "llm_used": False,
                "llm_calls": 0, "usage": None, "rules": None}
    detail = found.detail
    diagnosis = detail.get("diagnosis") or {}
    return {"diagnosis": diagnosis, "analyzer": diagnosis.get("analyzer"), "llm_used": bool(detail.get("llm_used")),
            "llm_calls": detail.get("llm_calls", 0), "usage": detail.get("usage"), "rules": detail.get("rules"),
            "llm_failure": detail.get("llm_failure"), "cached": bool(detail.get("cached"))}


def _recovery(incident: Any, records: list[Any]) -> dict[str, Any]:
    seconds, reason = time_to_recover(incident.first_seen, records)
    if seconds is None:
        reason += f" (incident {incident.status.value})"
    return {"time_to_recover_seconds": seconds, "reason": reason}


def _rollbacks(records: list[Any], incident_id: str) -> dict[str, Any]:
    """Audit seq -> what rolling that action back would do (remediation.rollback.rollback_options)."""
    from fivetran_recovery.remediation.rollback import rollback_options

    options = rollback_options([r.model_dump(mode="json") for r in records], incident_id)
    return {str(o["seq"]): o for o in options}


def _plan(records: list[Any], approvals: list[dict[str, Any]]) -> dict[str, Any] | None:
    started = next((r for r in records if r.kind == "workflow_started"), None)
    if started is None:
        return None
    detail = started.detail
    dry_run = list(detail.get("steps") or [])
    return {"path": detail.get("path"), "playbook": detail.get("playbook"), "decision": detail.get("decision"),
            "dry_run": dry_run, "resolved_steps": _resolved_steps(dry_run, records, approvals)}


def _resolved_steps(dry_run: list[str], records: list[Any], approvals: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan's steps that were unresolved when planned, as they were completed: the approver's resolution (who,
    when, what they chose) and, once the step ran, the exact calls it made (its write-ahead or outcome record)."""
    out: dict[str, Any] = {}
    for index, line in enumerate(dry_run):
        if "UNRESOLVED" not in str(line):
            continue
        by = next((a for a in approvals if a.get("status") == "approved" and a.get("resolution")
                   and index in (a.get("unresolved_steps") or [])), None)
        ran = next((r for r in reversed(records) if r.kind in ("action_intent", "action")
                    and r.detail.get("step") == index and r.detail.get("calls")), None)
        if by is None and ran is None:
            continue
        out[str(index)] = {
            "resolved_by": by.get("decided_by") if by else None, "resolved_at": by.get("decided_at") if by else None,
            "resolution": by.get("resolution") if by else None,
            "ran_as": [PlannedCall.model_validate(c).describe() for c in ran.detail["calls"]] if ran else [],
        }
    return out


class ConsoleReads:
    def __init__(self, *, incidents: Any, incident_scan: Callable[[], Iterable[Any]], approvals: Any,
                 approval_scan: Callable[[], Iterable[dict[str, Any]]], audit: Any, records: Any, overrides: Any,
                 risks: Any = None, fivetran: Any = None, digest: Any = None,
                 playbooks: Callable[[], list[dict[str, Any]]] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.incidents = incidents
        self._playbooks = playbooks  # every playbook's earned stage and track record (EarnedAutonomy.report)
        self._incident_scan = incident_scan
        self.approvals = approvals
        self._approval_scan = approval_scan
        self.audit = audit
        self.records = records
        self.overrides = overrides
        self.risks = risks
        self.fivetran = fivetran
        self.digest = digest
        self.clock = clock

    # -- incidents -------------------------------------------------------------------------------------------
    def list_incidents(self, *, status: str | None = None, connection: str | None = None,
                       category: str | None = None, destination: str | None = None) -> dict[str, Any]:
        items = sorted(self._incident_scan(), key=lambda i: i.last_seen, reverse=True)
        wanted = [
            incident_summary(i) for i in items
            if (not status or i.status.value == status or (status == "open" and i.is_open))
            and (not connection or i.connection_id == connection or connection in i.child_connections)
            and (not category or i.category.value == category)
            and (not destination or i.destination_group_id == destination)
        ]
        return {"incidents": wanted[:MAX_LIST], "total": len(wanted), "digest": self.digest_counts()}

    def digest_counts(self) -> dict[str, int]:
        """What triage kept out of incidents in the last 24 hours, by kind (suppressed, self-healed, ...)."""
        if self.digest is None:
            return {}
        now = self.clock()
        counts: dict[str, int] = {}
        for entry in self.digest.between(now - timedelta(hours=24), now):
            kind = getattr(entry.kind, "value", str(entry.kind))
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        incident = self.incidents.get(incident_id)
        if incident is None:
            return None
        records = self.audit.for_incident(incident_id)
        approvals = [a for a in (self.approvals.get(i) for i in self.records.approval_ids(incident_id)) if a]
        # a parent's children are their own items: the first page of them
        refs = self.incidents.children(incident_id)[:MAX_LIST] if incident.child_count else []
        children = [incident_summary(c) for c in (self.incidents.get(r.incident_id) for r in refs) if c]
        return {
            **incident_summary(incident),
            "timeline": [_timeline_entry(r) for r in records],
            "notes": [e.model_dump(mode="json") for e in incident.timeline],
            "rca": _rca(records, incident.diagnosis),
            "plan": _plan(records, approvals),
            "approvals": approvals,
            "outcome": self.records.get_summary(incident_id),
            "recovery": _recovery(incident, records),
            "rollbacks": _rollbacks(records, incident_id),
            "child_incidents": children,
            "dashboard_url": dashboard_url(incident.connection_id),
        }

    def workflow_only(self, incident_id: str) -> dict[str, Any] | None:
        """A workflow with an audit trail but no incident item (an operator's rollback, a preemptive approval):
        its plan, approvals, timeline and outcome, and for a rollback the incident and action it rolls back (None
        when there is no trail)."""
        records = self.audit.for_incident(incident_id)
        if not records:
            return None
        approvals = [a for a in (self.approvals.get(i) for i in self.records.approval_ids(incident_id)) if a]
        parent, _, seq = incident_id.rpartition("-rollback-")
        return {"id": incident_id, "connection_id": records[0].chain_id,
                "rolls_back": {"incident_id": parent, "seq": int(seq)} if parent and seq.isdigit() else None,
                "timeline": [_timeline_entry(r) for r in records], "plan": _plan(records, approvals),
                "approvals": approvals, "outcome": self.records.get_summary(incident_id), "rollbacks": {}}

    # -- approvals -------------------------------------------------------------------------------------------
    def list_approvals(self, status: str | None = "pending") -> dict[str, Any]:
        items = [a for a in self._approval_scan() if not status or a.get("status") == status]
        items.sort(key=lambda a: a.get("created_at") or "", reverse=True)
        return {"approvals": items[:MAX_LIST], "total": len(items)}

    # -- connections -----------------------------------------------------------------------------------------
    def list_connections(self) -> dict[str, Any]:
        open_by_connection: dict[str, str] = {}
        for incident in sorted(self._incident_scan(), key=lambda i: i.last_seen):
            if incident.is_open and incident.connection_id:
                open_by_connection[incident.connection_id] = incident.id
        error = None
        try:
            connections = self.fivetran.list_connections() if self.fivetran is not None else []
        except Exception as exc:  # the console still shows what the stores know
            connections, error = [], f"Fivetran API unavailable: {type(exc).__name__}"
        rows = [self._connection_row(c, open_by_connection.get(c.id)) for c in connections]
        return {"connections": rows, "error": error}

    def _connection_row(self, connection: Any, open_incident: str | None) -> dict[str, Any]:
        risk = self.risks.get(connection.id) if self.risks is not None else None
        advice = None
        if risk is not None and isinstance(risk.signals.get("schedule_advice"), str):
            advice = json.loads(risk.signals["schedule_advice"])
        return {
            "connection_id": connection.id, "service": connection.service, "group_id": connection.group_id,
            "setup_state": connection.status.setup_state, "sync_state": connection.status.sync_state,
            "paused": connection.paused, "succeeded_at": _iso(connection.succeeded_at),
            "failed_at": _iso(connection.failed_at), "open_incident": open_incident,
            "risk": None if risk is None else {"risk": risk.risk, "level": risk.level, "reasons": risk.reasons},
            "schedule_advice": advice, "automation": self.overrides.get(connection.id),
            "dashboard_url": dashboard_url(connection.id),
        }

    def playbook_stages(self) -> dict[str, Any]:
        """Each playbook's rollout stage and track record, or why they cannot be read right now."""
        if self._playbooks is None:
            return {"playbooks": [], "error": None}
        try:
            return {"playbooks": self._playbooks(), "error": None}
        except Exception as exc:  # the page still shows the connections
            return {"playbooks": [], "error": f"playbook stages unavailable: {type(exc).__name__}"}

    # -- audit -----------------------------------------------------------------------------------------------
    def audit_chains(self) -> dict[str, Any]:
        checks = self.audit.verify_all()
        return {"ok": all(c.ok for c in checks), "chains": [c.model_dump() for c in checks]}

    def audit_chain(self, chain_id: str, limit: int = 200) -> dict[str, Any]:
        check = self.audit.verify_chain(chain_id)
        records = self.audit.recent(chain_id, limit=limit)
        return {"check": check.model_dump(), "records": [r.model_dump() for r in records]}

    def audit_for_incident(self, incident_id: str) -> list[dict[str, Any]]:
        return [r.model_dump() for r in self.audit.for_incident(incident_id)]
