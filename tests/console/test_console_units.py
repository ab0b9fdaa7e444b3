"""Console pieces without a stack: session cookies and CSRF tokens, escaping of untrusted text, the resolve
form parser, and the policy gate honouring an operator's stop."""

from __future__ import annotations

import pytest

from fivetran_recovery.console import views
from fivetran_recovery.console.pages import parse_exclude_columns
from fivetran_recovery.console.session import SessionSigner, cookie_value

XSS = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2">'


def signer(now: list[float], key: str = "k" * 32) -> SessionSigner:
    return SessionSigner(key, ttl_seconds=60, secure=True, clock=lambda: now[0])


def test_given_a_session_when_verified_then_forged_expired_or_other_key_cookies_are_refused():
    now = [1_000_000.0]
    value, session = signer(now).issue("alice")
    assert signer(now).verify(value) == session
    body, _, mac = value.rpartition(".")
    tampered = "B" if mac[-1] == "A" else "A"  # always a different last character
    assert signer(now).verify(f"{body}.{mac[:-1]}{tampered}") is None
    forged_name = value.replace(value.split(".")[1], "Ym9i")  # "bob", same mac
    assert signer(now).verify(forged_name) is None
    assert signer(now, key="z" * 32).verify(value) is None
    now[0] += 61
    assert signer(now).verify(value) is None
    assert signer(now).verify(None) is None and signer(now).verify("a.b") is None


def test_given_a_session_when_csrf_checked_then_only_its_own_token_passes():
    now = [1_000_000.0]
    _, first = signer(now).issue("alice")
    _, second = signer(now).issue("alice")
    assert signer(now).csrf_ok(first, first.csrf_token)
    assert not signer(now).csrf_ok(first, second.csrf_token) and not signer(now).csrf_ok(first, None)
    login = signer(now).login_token()
    now[0] += 700
    assert signer(now).login_token_ok(login)
    now[0] += 700
    assert not signer(now).login_token_ok(login)


def test_given_the_cookie_when_built_then_http_only_strict_and_secure_when_deployed():
    cookie = str(signer([0.0]).cookie("v"))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    assert cookie_value(["a=1", "fr_session=v1.x"]) == "v1.x" and cookie_value(None) is None
    with pytest.raises(ValueError):
        SessionSigner("short")


def test_given_untrusted_text_when_rendered_then_it_is_escaped_everywhere():
    incident = {"id": "inc-1", "status": "open", "kind": "single", "children": [], "connection_id": XSS,
                "destination_group_id": None, "category": "unknown", "pattern": XSS, "summary": XSS,
                "last_seen": "t", "parent_id": None}
    page = views.incidents_body("", {"incidents": [incident], "total": 1, "digest": {XSS: 1}}, {"status": XSS})
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    approval = {"approval_id": "apr-1", "incident_id": "inc-1", "connection_id": XSS, "status": "pending",
                "rca": {"summary": XSS}, "planned_actions": [XSS], "reasons": [XSS], "unresolved_steps": [2]}
    card = views.approval_card("", approval, csrf='"><script>')
    assert "<script>" not in card and "<img" not in card and ">Approve</button>" in card and "textarea" in card


def test_given_resolve_lines_when_parsed_then_tables_and_columns_or_an_error():
    assert parse_exclude_columns("events.page_view: viewed_at, ref\n\n") == {"events.page_view": ["viewed_at", "ref"]}
    with pytest.raises(ValueError):
        parse_exclude_columns("no colon here")


def test_given_automation_stopped_when_the_gate_decides_then_monitor_whatever_the_mode():
    from fivetran_recovery.playbooks.registry import default_registry
    from fivetran_recovery.policy.decide import decide

    playbook = next(iter(default_registry()))
    decision, _ = decide(playbook, [], mode="auto", criticality="medium", automation_stopped="stopped by ann")
    assert decision.path == "monitor" and decision.blocked_by == "operator_stop"
    assert decision.reasons == ["stopped by ann"]


def test_given_playbook_stages_when_the_connections_page_renders_them_then_a_row_each_and_text_escaped():
    from fivetran_recovery.console.reads import ConsoleReads
    from fivetran_recovery.console.views import playbooks_body

    stage = {"playbook_id": "retry_with_backoff", "stage": "auto", "streak": 2, "promote_after": 5, "verified": 7,
             "failed": 0, "reversed": 0, "reason": "<script>alert(1)</script>", "changed_at": "2026-12-01T10:00:00"}
    reads = ConsoleReads(incidents=None, incident_scan=list, approvals=None, approval_scan=list, audit=None,
                         records=None, overrides=None, playbooks=lambda: [stage])
    page = playbooks_body(reads.playbook_stages())
    assert "retry_with_backoff" in page and "2 of 5" in page and "badge-auto" in page
    assert "<script>" not in page and "&lt;script&gt;" in page

    def unreadable() -> list:
        raise TimeoutError

    failed = ConsoleReads(incidents=None, incident_scan=list, approvals=None, approval_scan=list, audit=None,
                          records=None, overrides=None, playbooks=unreadable).playbook_stages()
    assert failed == {"playbooks": [], "error": "playbook stages unavailable: TimeoutError"}
    assert "playbook stages unavailable" in playbooks_body(failed)


def _incident_detail(**extra) -> dict:
    return {"id": "inc-1", "status": "remediating", "kind": "single", "children": [], "connection_id": "c1",
            "destination_group_id": None, "category": "schema_drift", "pattern": "p", "summary": None,
            "first_seen": "t0", "last_seen": "t1", "failures": 1, "parent_id": None, "rca": None, "plan": None,
            "approvals": [], "outcome": None, "child_incidents": [], "dashboard_url": None, **extra}


def test_given_an_incident_when_rendered_then_time_to_recover_is_a_number_or_a_dash_with_why_and_text_escaped():
    timeline = [{"at": "t", "kind": "action_intent", "actor": "remediate", "seq": 4, "detail": {"error": XSS},
                 "text": f"step 1 intends to pause connection c1 (attempt 1) after {XSS}"}]
    waiting = views.incident_body("", _incident_detail(
        timeline=timeline, recovery={"time_to_recover_seconds": None, "reason": f"not recovered: {XSS}"}), "csrf")
    assert "<script>" not in waiting and "<img" not in waiting and "intends to pause connection c1" in waiting
    assert '<span class="time-to-recover">—</span> <small>not recovered: &lt;script&gt;' in waiting
    done = views.incident_body("", _incident_detail(
        recovery={"time_to_recover_seconds": 450.0, "reason": "first failure a to the verified sync b"},
        outcome={"outcome": "verified", "time_to_recover_seconds": None}), "csrf")
    assert done.count('<span class="time-to-recover">450.0</span>') == 2  # the facts and the outcome agree


def test_given_an_unresolved_step_the_approver_resolved_when_the_incident_renders_then_it_shows_what_they_chose():
    from datetime import UTC, datetime

    from fivetran_recovery.audit.chain import AuditRecord
    from fivetran_recovery.console.reads import ConsoleReads
    from fivetran_recovery.models.incident import Incident

    planned = ["[0] pause: PATCH /v1/connections/c1 {\"paused\":true}",
               "[1] update_schema_config [needs approval]: exclude columns — UNRESOLVED: which column to exclude"]
    call = {"kind": "fivetran_api", "method": "PATCH", "path": "/v1/connections/c1/schemas",
            "body": {"schemas": {"events": {"tables": {"page_view": {"columns": {"viewed_at": {"enabled": False}}}}}}}}

    def rec(seq: int, kind: str, detail: dict) -> AuditRecord:
        return AuditRecord(chain_id="c1", seq=seq, incident_id="inc-1", recorded_at="t", kind=kind, actor="a",
                           detail=detail, prev_hash="0" * 64)

    records = [rec(1, "workflow_started", {"path": "approval", "steps": planned})]
    approval = {"approval_id": "apr-1", "incident_id": "inc-1", "connection_id": "c1", "status": "approved",
                "decided_by": "ana", "decided_at": "2026-03-01T12:00:00Z", "unresolved_steps": [1],
                "resolution": {"exclude_columns": {"events.page_view": ["viewed_at", XSS]}}, "rca": {},
                "planned_actions": planned, "reasons": []}
    incident = Incident.model_validate({
        "id": "inc-1", "fingerprint": "f", "signature": "s", "connection_id": "c1", "category": "schema_drift",
        "pattern": "p", "first_seen": datetime(2026, 3, 1, tzinfo=UTC), "last_seen": datetime(2026, 3, 1, tzinfo=UTC)})

    class Records:
        def approval_ids(self, _):
            return ["apr-1"]

        def get_summary(self, _):
            return None

    class Audit:
        def for_incident(self, _):
            return records

    reads = ConsoleReads(incidents={"inc-1": incident}, incident_scan=list, approvals={"apr-1": approval},
                         approval_scan=list, audit=Audit(), records=Records(), overrides=None)
    detail = reads.incident("inc-1")
    step = detail["plan"]["resolved_steps"]["1"]
    assert detail["recovery"] == {"time_to_recover_seconds": None,
                                  "reason": "not recovered yet: no verification has run (incident open)"}
    assert step["resolved_by"] == "ana" and step["ran_as"] == [] and "0" not in detail["plan"]["resolved_steps"]
    page = views.incident_body("", detail, "csrf")
    assert "Planned (before approval):" in page and "Resolved by ana at 2026-03-01T12:00:00Z:" in page
    assert "exclude columns events.page_view: viewed_at, &lt;script&gt;" in page and "not run yet" in page
    assert "<script>" not in page and "resolved: exclude columns" in page  # the decided approval card says it too
    records.append(rec(2, "action_intent", {"step": 1, "action": "update_schema_config", "calls": [call]}))
    page = views.incident_body("", reads.incident("inc-1"), "csrf")
    assert 'Ran as:</span> <code>PATCH /v1/connections/c1/schemas {&quot;schemas&quot;' in page


def test_given_a_fivetran_change_when_an_operator_rolls_it_back_then_scoped_like_approvals_and_proposed_once():
    from datetime import UTC, datetime

    from fivetran_recovery.approvals.auth import ApproverDirectory
    from fivetran_recovery.audit.chain import AuditRecord
    from fivetran_recovery.console.reads import ConsoleReads
    from fivetran_recovery.console.service import ConsoleService, RollbackRefused
    from fivetran_recovery.models.incident import Incident
    from fivetran_recovery.remediation.rollback import rollback_options

    records = [
        AuditRecord(chain_id="c1", seq=1, incident_id="inc-1", recorded_at="t", kind="action", actor="remediate",
                    detail={"step": 0, "action": "pause", "before": {"paused": False}}, prev_hash="0" * 64),
        AuditRecord(chain_id="c1", seq=2, incident_id="inc-1", recorded_at="t", kind="action", actor="remediate",
                    detail={"step": 1, "action": "update_schedule", "before": {}}, prev_hash="0" * 64),
    ]
    incident = Incident.model_validate({
        "id": "inc-1", "fingerprint": "f", "signature": "s", "connection_id": "c1", "category": "schema_drift",
        "pattern": "p", "owner": "data-eng", "first_seen": datetime(2026, 3, 1, tzinfo=UTC),
        "last_seen": datetime(2026, 3, 1, tzinfo=UTC)})
    proposals: list[tuple] = []

    class Rollback:  # RollbackService's surface, over the records above
        def candidates(self, incident_id):
            return rollback_options([r.model_dump(mode="json") for r in records], incident_id)

        def plan(self, incident_id, seq):
            return {"dry_run": [f"[0] resume [needs approval]: PATCH /v1/connections/c1 {XSS}"]}

        def propose(self, incident_id, seq, *, actor):
            proposals.append((incident_id, seq, actor))
            records.append(AuditRecord(chain_id="c1", seq=3, incident_id=incident_id, recorded_at="t2",
                                       kind="rollback_proposed", actor=actor, prev_hash="0" * 64,
                                       detail={"rollback_incident_id": f"{incident_id}-rollback-{seq}"}))
            return {"rollback_incident_id": f"{incident_id}-rollback-{seq}", "started": True}

    directory = ApproverDirectory({"ana": "a" * 64, "bo": "b" * 64, "root": "c" * 64},
                                  teams={"ana": ["data-eng"], "bo": ["finance"]}, admins=["root"])
    reads = ConsoleReads(incidents={"inc-1": incident}, incident_scan=list, approvals=None, approval_scan=list,
                         audit=None, records=None, overrides=None)
    console = ConsoleService(reads=reads, approvals=None, overrides=None, directory=lambda: directory,
                             signer=lambda: None, rollback=Rollback)

    def refused(**kwargs) -> tuple[int, str]:
        try:
            console.rollback_option(**kwargs)
        except RollbackRefused as exc:
            return exc.status, str(exc)
        raise AssertionError("not refused")

    assert refused(incident_id="inc-1", seq=1, by="bo")[0] == 403  # another team's connection
    assert refused(incident_id="inc-1", seq=2, by="ana") == (409, "update_schedule: the record has no before-state "
                                                                  "of the schedule")
    assert refused(incident_id="inc-1", seq=7, by="ana")[0] == 404 and refused(incident_id="x", seq=1, by="ana")[0] == 404
    option = console.rollback_option("inc-1", 1, by="root")  # an admin may
    page = views.rollback_confirmation("", option, "tok")
    assert "PATCH /v1/connections/c1 &lt;script&gt;" in page and "<script>" not in page and 'value="yes"' in page
    assert console.propose_rollback("inc-1", 1, by="ana") == {"rollback_incident_id": "inc-1-rollback-1",
                                                              "started": True}
    assert proposals == [("inc-1", 1, "ana")]
    assert refused(incident_id="inc-1", seq=1, by="ana") == (409, "its rollback inc-1-rollback-1 was already "
                                                                  "proposed by ana")
    shown = views._rollback_control("", "inc-1", Rollback().candidates("inc-1")[-1], "tok")
    assert 'Rollback <a href="/console/incidents/inc-1-rollback-1">inc-1-rollback-1</a> proposed by ana' in shown
    assert "<button" not in shown


def test_given_a_workflow_without_an_incident_when_rendered_then_it_says_what_it_is_and_escapes():
    preemptive = views.workflow_body("", {"id": "pre-1", "connection_id": XSS, "rolls_back": None, "timeline": [],
                                          "plan": None, "approvals": [], "outcome": None}, "tok")
    assert "no incident of its own" in preemptive and "<script>" not in preemptive
    rollback = views.workflow_body("", {"id": "inc-1-rollback-4", "connection_id": "c1", "timeline": [],
                                        "rolls_back": {"incident_id": "inc-1", "seq": 4}, "plan": None,
                                        "approvals": [], "outcome": None}, "tok")
    assert '<a href="/console/incidents/inc-1">inc-1</a>, audit record 4' in rollback
