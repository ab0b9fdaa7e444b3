"""The console's page bodies, from the read model's JSON-safe dicts (console/reads.py). Escaping: html.esc."""

from __future__ import annotations

import json
from typing import Any

from fivetran_recovery.console.html import (
    badge,
    cells,
    definition_list,
    esc,
    hidden,
    link,
    message,
    pre,
    table,
    url,
)

FILTERS = ("status", "connection", "category", "destination")


def incidents_body(base: str, listing: dict[str, Any], filters: dict[str, str | None]) -> str:
    inputs = "".join(
        f'<label>{esc(name)} <input name="{esc(name)}" value="{esc(filters.get(name) or "")}"></label>'
        for name in FILTERS
    )
    form = (f'<form method="get" action="{esc(url(base, "console", "incidents"))}" class="filters">{inputs}'
            '<button type="submit">Filter</button></form>')
    digest = listing.get("digest") or {}
    kept_out = ", ".join(f"{esc(k)}: {int(v)}" for k, v in sorted(digest.items())) or "none"
    rows = []
    for item in listing["incidents"]:
        href = url(base, "console", "incidents", item["id"])
        where = item["connection_id"] or f"destination {item['destination_group_id'] or '-'}"
        count = int(item.get("child_count") or len(item["children"]))
        kids = f" ({count} children)" if count else ""
        parent = f"child of {item['parent_id']}" if item["parent_id"] else ""
        rows.append(
            f'<tr id="incident-{esc(item["id"])}" data-incident-id="{esc(item["id"])}">'
            + cells(link(href, item["id"]), badge(item["status"]), esc(item["kind"]) + esc(kids),
                    esc(where), esc(f"{item['category']}/{item['pattern']}"), esc(item["summary"] or ""),
                    esc(item["last_seen"]), esc(parent))
            + "</tr>"
        )
    return (form + f"<p>{int(listing['total'])} incident(s). Kept out of incidents by triage in the last 24 h: "
            f"{kept_out}.</p>"
            + table(["Incident", "Status", "Kind", "Where", "Cause", "Summary", "Last seen", "Parent"], rows,
                    label="Incidents", empty="No incidents yet."))


def _timeline(base: str, detail: dict[str, Any], csrf: str) -> str:
    rollbacks = detail.get("rollbacks") or {}
    rows = [
        f'<tr data-seq="{int(e["seq"])}">'
        + cells(esc(e["at"]), esc(e["kind"]), esc(e["actor"]),
                esc(e["text"]) + _rollback_control(base, detail["id"], rollbacks.get(str(e["seq"])), csrf),
                f"<details><summary>record {int(e['seq'])}</summary>{pre(e['detail'])}</details>") + "</tr>"
        for e in detail.get("timeline") or []
    ]
    return table(["At", "Kind", "Actor", "What", "Record"], rows, label="Timeline",
                 empty="No audit records for this incident yet.")


def _rollback_control(base: str, incident_id: str, option: dict[str, Any] | None, csrf: str) -> str:
    """On a Fivetran change that has a rollback: its button (a CSRF form leading to the confirmation), or the
    rollback already proposed. Nothing on other rows (a recovery script rolls back by the CLI's undo)."""
    if not option or option.get("sql") or not option.get("plan"):
        return ""
    proposed = option.get("proposed")
    if proposed:
        rollback_id = proposed["rollback_incident_id"]
        return (f'<p class="rollback">Rollback {link(url(base, "console", "incidents", rollback_id), rollback_id)} '
                f'proposed by {esc(proposed["by"])}</p>')
    action = url(base, "console", "incidents", incident_id, "actions", str(int(option["seq"])), "rollback")
    return (f'<form method="post" action="{esc(action)}" class="rollback">{hidden("csrf", csrf)}'
            f'<button type="submit">Roll back this action</button></form>')


def rollback_confirmation(base: str, option: dict[str, Any], csrf: str) -> str:
    """The confirmation step: what goes back, the rollback's exact calls, and that an approver decides."""
    incident_id, seq = option["incident_id"], int(option["seq"])
    action = url(base, "console", "incidents", incident_id, "actions", str(seq), "rollback")
    lines = "".join(f"<li><code>{esc(line)}</code></li>" for line in option.get("dry_run") or [])
    facts = definition_list([
        ("Incident", link(url(base, "console", "incidents", incident_id), incident_id)),
        ("Action", esc(f"step {option.get('step')} {option.get('action')} on {option.get('connection_id')} "
                       f"(audit record {seq})")),
        ("The rollback (dry run)", f'<ol class="dry-run">{lines}</ol>'),
        ("Then", "a recovery workflow that waits for an approver, like any other: nothing changes before that"),
    ])
    confirm = (f'<form method="post" action="{esc(action)}">{hidden("csrf", csrf)}{hidden("confirm", "yes")}'
               '<button type="submit" class="reject">Confirm: propose this rollback</button></form>')
    cancel = link(url(base, "console", "incidents", incident_id), "Cancel")
    return (f'<section class="card" aria-label="confirm rollback">{facts}'
            f'<div class="decide">{confirm} {cancel}</div></section>')


def _rca(rca: dict[str, Any] | None) -> str:
    if not rca:
        return "<p>Not diagnosed yet.</p>"
    diagnosis = rca.get("diagnosis") or {}
    usage = rca.get("usage") or {}
    answered = "the LLM" if rca.get("llm_used") else "the rules"
    cost = (f"{int(rca.get('llm_calls') or 0)} LLM call(s), {int(usage.get('input_tokens') or 0)} input / "
            f"{int(usage.get('output_tokens') or 0)} output tokens, ${float(usage.get('cost_usd') or 0):.4f}")
    evidence = "".join(f"<li><strong>{esc(e.get('source'))}</strong>: {esc(e.get('detail'))}</li>"
                       for e in diagnosis.get("evidence") or [])
    return definition_list([
        ("Summary", esc(diagnosis.get("summary"))),
        ("Cause", esc(f"{diagnosis.get('category')}/{diagnosis.get('pattern')}")),
        ("Confidence", esc(diagnosis.get("confidence"))),
        ("Retryable", esc(diagnosis.get("retryable"))),
        ("Answered by", esc(f"{answered} (analyzer {rca.get('analyzer')})")),
        ("Cost", esc(cost)),
        ("Evidence", f"<ul>{evidence}</ul>" if evidence else "none"),
    ])


def _plan(plan: dict[str, Any] | None) -> str:
    if not plan:
        return "<p>No recovery workflow started.</p>"
    decision = plan.get("decision") or {}
    playbook = plan.get("playbook") or {}
    resolved = plan.get("resolved_steps") or {}
    steps = "".join(_dry_run_step(step, resolved.get(str(i))) for i, step in enumerate(plan.get("dry_run") or []))
    reasons = "".join(f"<li>{esc(r)}</li>" for r in decision.get("reasons") or [])
    return definition_list([
        ("Policy path", badge(plan.get("path"))),
        ("Playbook", esc(f"{playbook.get('title')} ({playbook.get('id')} v{playbook.get('version')}, "
                         f"{playbook.get('risk')} risk)")),
        ("Why", f"<ul>{reasons}</ul>"),
        ("Dry run (the exact calls)", f'<ol class="dry-run">{steps}</ol>' if steps else "no write calls"),
    ])


def resolution_text(resolution: dict[str, Any] | None) -> str:
    """An approver's resolution in words: `exclude columns events.page_view: viewed_at`."""
    if not resolution:
        return ""
    columns = resolution.get("exclude_columns")
    if isinstance(columns, dict) and set(resolution) == {"exclude_columns"}:
        return "exclude columns " + "; ".join(f"{t}: {', '.join(map(str, c))}" for t, c in sorted(columns.items()))
    return json.dumps(resolution, sort_keys=True, default=str)


def _dry_run_step(line: str, resolved: dict[str, Any] | None) -> str:
    """A dry-run line; a step that was unresolved when planned also shows what completed it, labelled."""
    if not resolved:
        return f"<li><code>{esc(line)}</code></li>"
    parts = [f'<span class="label">Planned (before approval):</span> <code>{esc(line)}</code>']
    if resolved.get("resolution"):
        parts.append(f'<span class="label">Resolved by {esc(resolved.get("resolved_by"))} at '
                     f'{esc(resolved.get("resolved_at"))}:</span> {esc(resolution_text(resolved["resolution"]))}')
    ran = "; ".join(resolved.get("ran_as") or [])
    parts.append(f'<span class="label">Ran as:</span> <code>{esc(ran)}</code>' if ran
                 else '<span class="label">Runs as:</span> not run yet')
    return '<li class="resolved-step">' + "<br>".join(parts) + "</li>"


def incident_body(base: str, detail: dict[str, Any], csrf: str) -> str:
    dashboard = detail.get("dashboard_url")
    facts = definition_list([
        ("Status", badge(detail["status"])),
        ("Connection", esc(detail["connection_id"] or "-")
         + (f' · <a href="{esc(dashboard)}" rel="noreferrer">open in Fivetran</a>' if dashboard else "")),
        ("Cause", esc(f"{detail['category']}/{detail['pattern']}")),
        ("First seen / last seen", esc(f"{detail['first_seen']} / {detail['last_seen']}")),
        ("Failures", esc(detail["failures"])),
        ("Time to recover (s)", _recovered(detail.get("recovery"))),
    ])
    children = "".join(f"<li>{link(url(base, 'console', 'incidents', c['id']), c['id'])} {badge(c['status'])} "
                       f"{esc(c['connection_id'])}</li>" for c in detail.get("child_incidents") or [])
    approvals = "".join(approval_card(base, a, csrf) for a in detail.get("approvals") or [])
    outcome = detail.get("outcome")
    return (
        facts
        + (f"<h2>Children</h2><ul>{children}</ul>" if children else "")
        + "<h2>Root cause</h2>" + _rca(detail.get("rca"))
        + "<h2>Plan</h2>" + _plan(detail.get("plan"))
        + "<h2>Approval</h2>" + (approvals or "<p>No approval was needed.</p>")
        + "<h2>Timeline</h2>" + _timeline(base, detail, csrf)
        + ("<h2>Outcome</h2>" + _outcome(outcome, detail.get("recovery")) if outcome else "")
    )


def _recovered(recovery: dict[str, Any] | None) -> str:
    """Seconds from the first failure to the verified recovery, or a dash and why there is no number."""
    seconds = (recovery or {}).get("time_to_recover_seconds")
    reason = (recovery or {}).get("reason") or "not known"
    if seconds is None:
        return f'<span class="time-to-recover">—</span> <small>{esc(reason)}</small>'
    return f'<span class="time-to-recover">{float(seconds):.1f}</span> <small>{esc(reason)}</small>'


def workflow_body(base: str, detail: dict[str, Any], csrf: str) -> str:
    """The page of a workflow that has no incident item (an operator's rollback, a preemptive approval)."""
    rolls_back = detail.get("rolls_back")
    what = (("Rolls back", link(url(base, "console", "incidents", rolls_back["incident_id"]),
                                 rolls_back["incident_id"]) + esc(f", audit record {rolls_back['seq']}"))
            if rolls_back else ("Workflow", "no incident of its own (a preemptive change or an operator's workflow)"))
    facts = definition_list([what, ("Connection", esc(detail.get("connection_id")))])
    approvals = "".join(approval_card(base, a, csrf) for a in detail.get("approvals") or [])
    outcome = detail.get("outcome")
    return (facts + "<h2>Plan</h2>" + _plan(detail.get("plan"))
            + "<h2>Approval</h2>" + (approvals or "<p>No approval requested yet.</p>")
            + "<h2>Timeline</h2>" + _timeline(base, detail, csrf)
            + ("<h2>Outcome</h2>" + _outcome(outcome, {"reason": "a rollback: no failure of its own"})
               if outcome else ""))


def _outcome(outcome: dict[str, Any], recovery: dict[str, Any] | None) -> str:
    facts = definition_list([
        ("Outcome", badge(outcome.get("outcome"))),
        ("In words", esc(outcome.get("outcome_text") or "")),
        ("Fivetran write calls", esc(outcome.get("fivetran_write_calls"))),
        ("Time to recover (s)", _recovered(recovery)),
    ])
    return facts + f"<details><summary>post-incident summary (JSON)</summary>{pre(outcome)}</details>"


def approval_card(base: str, approval: dict[str, Any], csrf: str) -> str:
    action = url(base, "console", "approvals", approval["approval_id"], "decision")
    rca = approval.get("rca") or {}
    actions = "".join(f"<li><code>{esc(a)}</code></li>" for a in approval.get("planned_actions") or [])
    reasons = "".join(f"<li>{esc(r)}</li>" for r in approval.get("reasons") or [])
    head = (f'<h3>{link(url(base, "console", "incidents", approval["incident_id"]), approval["incident_id"])} · '
            f'{esc(approval["connection_id"])} · {badge(approval["status"])}</h3>')
    body = definition_list([
        ("Root cause", esc(rca.get("summary"))),
        ("Confidence", esc(rca.get("confidence"))),
        ("Playbook", esc(approval.get("playbook_id"))),
        ("Why it waits", f"<ul>{reasons}</ul>"),
        ("Dry run", f'<ol class="dry-run">{actions}</ol>'),
        ("Expires", esc(approval.get("expires_at_iso"))),
    ])
    if approval["status"] != "pending":
        decided = f"{approval.get('status')} by {approval.get('decided_by')} at {approval.get('decided_at')}"
        if approval.get("resolution"):
            decided += f"; resolved: {resolution_text(approval['resolution'])}"
        return f'<section class="card" aria-label="approval {esc(approval["approval_id"])}">{head}{body}' \
               f"<p>{esc(decided)}</p></section>"
    resolve = ""
    if approval.get("unresolved_steps"):
        resolve = ('<label>Columns to exclude (schema.table: column, column; one table per line)'
                   '<textarea name="exclude_columns" required></textarea></label>')
    approve = (f'<form method="post" action="{esc(action)}">{hidden("csrf", csrf)}{hidden("decision", "approve")}'
               f'{resolve}<button type="submit" class="approve">Approve</button></form>')
    reject = (f'<form method="post" action="{esc(action)}">{hidden("csrf", csrf)}{hidden("decision", "reject")}'
              '<label>Why reject (required)<textarea name="comment" required maxlength="1000"></textarea></label>'
              '<button type="submit" class="reject">Reject</button></form>')
    return (f'<section class="card" aria-label="approval {esc(approval["approval_id"])}">{head}{body}'
            f'<div class="decide">{approve}{reject}</div></section>')


def approvals_body(base: str, listing: dict[str, Any], csrf: str, notice: str | None) -> str:
    cards = "".join(approval_card(base, a, csrf) for a in listing["approvals"])
    return ((message(notice, kind="ok") if notice else "")
            + (cards or '<p class="empty">No approval is waiting.</p>'))


def connections_body(base: str, listing: dict[str, Any], csrf: str) -> str:
    rows = []
    for c in listing["connections"]:
        risk = c.get("risk") or {}
        advice = c.get("schedule_advice") or {}
        stopped = c.get("automation")
        action = url(base, "console", "connections", c["connection_id"], "automation")
        if stopped:
            state = esc(f"stopped by {stopped.get('stopped_by')}: {stopped.get('reason')}")
            form = (f'<form method="post" action="{esc(action)}">{hidden("csrf", csrf)}{hidden("action", "resume")}'
                    '<button type="submit">Resume automation</button></form>')
        else:
            state = "running"
            form = (f'<form method="post" action="{esc(action)}">{hidden("csrf", csrf)}{hidden("action", "stop")}'
                    '<input name="reason" required maxlength="500" aria-label="Reason to stop" placeholder="reason">'
                    '<button type="submit">Stop automation</button></form>')
        incident = link(url(base, "console", "incidents", c["open_incident"]), c["open_incident"]) \
            if c.get("open_incident") else "-"
        rows.append("<tr>" + cells(
            link(c["dashboard_url"], c["connection_id"]) if c.get("dashboard_url") else esc(c["connection_id"]),
            esc(c.get("service")), esc(f"{c.get('setup_state')}/{c.get('sync_state')}"),
            esc(c.get("succeeded_at") or "-"), esc(c.get("failed_at") or "-"), incident,
            esc(f"{risk.get('level', '-')} {risk.get('risk', '')}") + "<br>" + esc("; ".join(risk.get("reasons", []))),
            esc(advice.get("reason") or "-"), state, form) + "</tr>")
    error = message(listing["error"]) if listing.get("error") else ""
    return error + table(["Connection", "Service", "Setup/sync", "Last success", "Last failure", "Open incident",
                          "Risk", "Schedule advice", "Automation", "Override"], rows, label="Connections",
                         empty="No connections.")


def playbooks_body(stages: dict[str, Any]) -> str:
    rows = ["<tr>" + cells(esc(p["playbook_id"]), badge(p["stage"]),
                           esc(f"{p['streak']} of {p['promote_after']}"), esc(p["verified"]), esc(p["failed"]),
                           esc(p["reversed"]), esc(p.get("reason") or "-"), esc(p.get("changed_at") or "-")) + "</tr>"
            for p in stages["playbooks"]]
    error = message(stages["error"]) if stages.get("error") else ""
    return "<h2>Playbooks: earned autonomy</h2>" + error + table(
        ["Playbook", "Stage", "Verified in a row (to promote)", "Verified", "Failed", "Reversed", "Last change",
         "Changed at"], rows, label="Playbook stages", empty="No playbook has a track record yet.")


def audit_body(base: str, chains: dict[str, Any]) -> str:
    rows = ["<tr>" + cells(link(url(base, "console", "audit", c["chain_id"]), c["chain_id"]),
                           badge("verified" if c["ok"] else "broken"), esc(c["records"]),
                           esc(c.get("reason") or "")) + "</tr>" for c in chains["chains"]]
    return table(["Chain (connection)", "Verifies", "Records", "First broken link"], rows, label="Audit chains",
                 empty="No audit records yet.")


def audit_chain_body(chain: dict[str, Any]) -> str:
    check = chain["check"]
    verdict = "verifies" if check["ok"] else f"broken at seq {check['broken_seq']}: {check['reason']}"
    rows = ["<tr>" + cells(esc(r["seq"]), esc(r["recorded_at"]), esc(r["incident_id"]), esc(r["kind"]),
                           esc(r["actor"]), f"<details><summary>detail</summary>{pre(r['detail'])}</details>",
                           f"<code>{esc(r['hash'][:16])}</code>") + "</tr>" for r in chain["records"]]
    return (f"<p>This chain {esc(verdict)} ({int(check['records'])} records).</p>"
            + table(["Seq", "Recorded", "Incident", "Kind", "Actor", "Detail", "Hash"], rows, label="Audit records"))
