"""The post-incident summary: a timeline with the RCA, actions and approvals, time to detect, to first action and
to recover, built from the incident's audit records (the single source of what happened)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fivetran_recovery.audit import AuditRecord
from fivetran_recovery.policy.human import parse_time

OUTCOME_TEXT = {
    "verified": "recovered and verified",
    "monitored": "recorded and notified only (monitor mode); nothing was changed",
    "done": "escalated to a human with the RCA; nothing was changed",
    "rejected": "the fix was rejected by an approver; nothing was changed",
    "approval_timed_out": "nobody approved in time; nothing was changed and the incident was escalated",
    "verification_failed": "the fix did not verify; the failure branch escalated it",
    "error_escalated": "the workflow hit an error and escalated",
    "blocked": "automation stopped (a human is changing the connection, or another workflow runs); escalated",
}


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end; None when unknown or negative (Fivetran's clock ahead of ours)."""
    if start is None or end is None or end < start:
        return None
    return round((end - start).total_seconds(), 3)


# What each action does to its connection, for the write-ahead records ("intends to pause connection X").
_DOES = {
    "pause": "pause connection {c}", "resume": "resume connection {c}",
    "sync_now": "start a sync of connection {c}", "sync_if_manual": "start a sync of connection {c}",
    "update_schedule": "change the sync schedule of connection {c}",
    "reload_schema": "reload the source schema of connection {c}",
    "resync_tables": "re-sync tables of connection {c}", "resync": "re-sync all of connection {c} (historical)",
    "update_schema_config": "change the schema config of connection {c}",
    "run_setup_tests": "run the setup tests of connection {c}",
    "create_connect_card": "create a Connect Card to re-authorise connection {c}",
    "run_recovery_sql": "run recovery SQL in the destination of connection {c}",
}


def _does(record: AuditRecord) -> str:
    action = str(record.detail.get("action"))
    return _DOES.get(action, action + " on connection {c}").format(c=record.chain_id)


def _calls(detail: dict[str, Any]) -> str:
    """The exact calls a write-ahead record names: method and path, or the SQL dialect (bodies stay in detail)."""
    named = [f"SQL ({c.get('dialect')})" if c.get("kind") == "sql" else f"{c.get('method')} {c.get('path')}"
             for c in detail.get("calls") or [] if isinstance(c, dict)]
    return f": {'; '.join(named)}" if named else ""


def _because(detail: dict[str, Any]) -> str:
    cause = " ".join(str(detail[k]) for k in ("error", "message") if detail.get(k))
    evidence = f"; read back: {detail['evidence']}" if detail.get("evidence") else ""
    return (f" after {cause}" if cause else "") + evidence


def _journal(record: AuditRecord) -> str | None:
    """The write-ahead journal's records (remediation/journal.py): the intent and each outcome but `applied`."""
    d, kind, outcome = record.detail, record.kind, record.detail.get("outcome")
    head = f"step {d.get('step')} ({d.get('action')}, attempt {d.get('attempt')})"
    if kind == "action_intent":
        return f"step {d.get('step')} intends to {_does(record)} (attempt {d.get('attempt')}){_calls(d)}"
    if kind == "action" and outcome == "verified_applied":
        return f"{head} verified applied{_because(d)}"
    if kind == "action_unknown":
        return f"{head} may or may not have happened{_because(d)}: check Fivetran before repeating it"
    if kind != "action_failed" or outcome is None:
        return None
    return {
        "refused": f"{head} refused by Fivetran, nothing changed{_because(d)}",
        "verified_not_applied": f"{head} did not happen{_because(d)}; safe to retry",
        "unknown_safe_to_repeat": f"{head} outcome unknown{_because(d)}; repeating it is harmless",
    }.get(outcome, f"{head} {outcome}{_because(d)}")


def time_to_recover(first_failure: datetime | None, records: list[AuditRecord]) -> tuple[float | None, str]:
    """Seconds from the incident's first failure to its recovery (the sync the newest verification saw succeed,
    on Fivetran's clock like the failure; the verification's own time when it names no sync), with a reason
    when there is no number."""
    verification = next((r for r in reversed(records) if r.kind == "verification"), None)
    if verification is None:
        return None, "not recovered yet: no verification has run"
    status = verification.detail.get("status")
    if status != "verified":
        return None, f"not recovered: the verification {status}"
    recovered = parse_time(verification.detail.get("succeeded_at")) or parse_time(verification.recorded_at)
    seconds = _seconds(first_failure, recovered)
    if seconds is None:
        return None, "unknown: the first failure's time is missing or after the recovery"
    return seconds, f"first failure {first_failure.isoformat()} to the verified sync {recovered.isoformat()}"


def describe_record(record: AuditRecord) -> str:
    d = record.detail
    journal = _journal(record)
    if journal is not None:
        return journal
    match record.kind:
        case "diagnosis":  # the record holds the RCA outcome: the answer is under "diagnosis"
            found = d.get("diagnosis") if isinstance(d.get("diagnosis"), dict) else d
            by = "the LLM" if d.get("llm_used") else "the rules"
            return (f"diagnosed {found.get('category')}/{found.get('pattern')} "
                    f"(confidence {found.get('confidence')}, by {by})")
        case "workflow_started":
            return f"workflow started on the {d.get('path')} path with playbook {(d.get('playbook') or {}).get('id')}"
        case "action":
            return f"step {d.get('step')} {d.get('action')}: {(d.get('result') or {}).get('detail', '')}"
        case "action_skipped" | "action_blocked":
            return f"step {d.get('step')} {d.get('action')} not run: {d.get('reason')}"
        case "action_failed":
            return f"step {d.get('step')} {d.get('action')} failed{_because(d)}"
        case "approval_requested":
            return f"approval {d.get('approval_id')} requested (expires {d.get('expires_at')})"
        case "approval":
            return f"{d.get('decision')} by {record.actor} via {d.get('source')}"
        case "approval_delivery":
            return f"{d.get('decision')} decision to the workflow: {d.get('delivery')}"
        case "notice_intent":
            return f"{d.get('notice')} notice about to be sent: {d.get('title')}"
        case "verification":
            return f"verification {d.get('status')} after {d.get('attempt')} check(s)"
        case "rollback_proposed":
            return (f"rollback {d.get('rollback_incident_id')} proposed by {record.actor}: waits for an approver "
                    f"({'; '.join(map(str, d.get('plan') or []))})")
        case _:
            return str(d.get("reason") or d.get("summary") or record.kind)


def build_summary(workflow: dict[str, Any], records: list[AuditRecord], outcome: str, now: datetime) -> dict[str, Any]:
    detected = parse_time(workflow.get("event", {}).get("created")) or parse_time(workflow.get("detected_at"))
    started = parse_time(workflow.get("started_at"))
    actions = [r for r in records if r.kind == "action" and (r.detail.get("calls") or r.detail.get("action"))]
    writes = [r for r in actions if r.detail.get("calls")]
    first_write = parse_time(writes[0].recorded_at) if writes else None
    approvals = [
        {
            "approval_id": r.detail.get("approval_id"),
            "decision": r.detail.get("decision"),
            "by": r.actor,
            "at": r.detail.get("decided_at") or r.recorded_at,
        }
        for r in records
        if r.kind == "approval"
    ]
    return {
        "incident_id": workflow["incident_id"],
        "connection_id": workflow["connection_id"],
        "outcome": outcome,
        "outcome_text": OUTCOME_TEXT.get(outcome, outcome),
        "playbook": workflow["playbook"],
        "path": workflow["decision"]["path"],
        "rca": workflow["rca"],
        "detected_at": detected.isoformat() if detected else None,
        "closed_at": now.isoformat(),
        "time_to_detect_seconds": _seconds(detected, started),
        "time_to_first_action_seconds": _seconds(detected, first_write),
        "time_to_recover_seconds": time_to_recover(detected, records)[0],
        "actions": [
            {
                "step": r.detail.get("step"),
                "action": r.detail.get("action"),
                "at": r.recorded_at,
                "calls": [c.get("path") or c.get("sql") for c in r.detail.get("calls") or []],
                "result": (r.detail.get("result") or {}).get("detail"),
            }
            for r in actions
        ],
        "fivetran_write_calls": sum(int((r.detail.get("result") or {}).get("writes") or 0) for r in actions),
        "approvals": approvals,
        "timeline": [
            {"at": r.recorded_at, "kind": r.kind, "actor": r.actor, "text": describe_record(r)} for r in records
        ],
    }


def summary_facts(summary: dict[str, Any]) -> dict[str, str]:
    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f} s"

    return {
        "Outcome": summary["outcome_text"],
        "Time to detect": fmt(summary["time_to_detect_seconds"]),
        "Time to first action": fmt(summary["time_to_first_action_seconds"]),
        "Time to recover": fmt(summary["time_to_recover_seconds"]),
        "Approvals": ", ".join(f"{a['decision']} by {a['by']}" for a in summary["approvals"]) or "none",
    }
