"""The console and its JSON API through the local stack's gateway: auth (session cookie + CSRF, bearer for
scripts), refusals, security headers, the automation override honoured by the policy gate, and the OpenAPI
document validated against real responses."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from openapi_schema_validator import OAS31Validator

from fivetran_recovery.console.app import openapi_document
from local.defaults import LOCAL_APPROVER_TOKEN
from tests.console.conftest import wait_for

pytestmark = pytest.mark.e2e
OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "console.json"
BEARER = {"Authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}


def test_given_no_session_when_health_then_ok_without_secrets_and_everything_else_refused(console_stack):
    base = console_stack.base_url
    health = httpx.get(f"{base}/health")
    assert health.status_code == 200 and set(health.json()) == {"status", "service", "time"}
    for path in ("/api/incidents", "/api/incidents/x", "/api/approvals", "/api/connections", "/api/audit"):
        assert httpx.get(f"{base}{path}").status_code == 401, path
    for path in ("/console/incidents", "/console/approvals", "/console/connections", "/console/audit"):
        answer = httpx.get(f"{base}{path}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login", path
    decision = httpx.post(f"{base}/api/approvals/apr-x/decision", json={"decision": "approve"})
    assert decision.status_code == 401
    assert httpx.post(f"{base}/console/approvals/apr-x/decision", data={"decision": "approve"}).status_code == 401


def test_given_sign_in_when_token_checked_then_a_strict_http_only_cookie_or_a_refusal(console_stack):
    base = console_stack.base_url
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        form = client.get("/console/login")
        assert 'label for="token">Approver token' in form.text and ">Sign in</button>" in form.text
        assert form.headers["content-security-policy"].startswith("default-src 'self'")
        assert client.post("/console/login", data={"token": LOCAL_APPROVER_TOKEN}).status_code == 403  # no CSRF
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        assert client.post("/console/login", data={"csrf": csrf, "token": "not-a-real-token-x"}).status_code == 401
        signed = client.post("/console/login", data={"csrf": csrf, "token": LOCAL_APPROVER_TOKEN})
    cookie = signed.headers["set-cookie"]
    assert signed.status_code == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback; Secure when deployed (CONSOLE_SECURE_COOKIE)


def test_given_a_session_when_posting_without_the_csrf_token_then_refused(console_stack, session_client):
    client, csrf = session_client
    api = client.post("/api/connections/quiet_harbor/automation", json={"action": "stop", "reason": "x"})
    assert api.status_code == 403 and "CSRF" in api.json()["error"]
    form = client.post("/console/connections/quiet_harbor/automation", data={"action": "stop", "reason": "x"})
    assert form.status_code == 403
    wrong = client.post("/console/connections/quiet_harbor/automation",
                        data={"action": "stop", "reason": "x", "csrf": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    assert client.get("/api/connections").json()["connections"][0]["automation"] is None


def test_given_automation_stopped_when_the_connection_fails_then_monitor_path_no_write_and_audited(
    console_stack, session_client
):
    from local.drill import steps

    client, csrf = session_client
    stopped = client.post("/api/connections/quiet_harbor/automation", headers={"X-CSRF-Token": csrf},
                          json={"action": "stop", "reason": "migrating the source"})
    assert stopped.status_code == 200 and stopped.json()["automation"] == "stopped"
    try:
        row = next(c for c in client.get("/api/connections").json()["connections"]
                   if c["connection_id"] == "quiet_harbor")
        assert row["automation"]["stopped_by"] == "local-approver"
        before = len(steps.write_calls(console_stack, "quiet_harbor"))
        steps.fail_next_sync(console_stack, "quiet_harbor", "broken_setup")
        runs = wait_for(lambda: steps.finished(console_stack, "quiet_harbor"), timeout=60, what="the workflow")
        recommended = [json.loads(r["detail_json"]) for r in steps.audit_records(console_stack)
                       if r["chain_id"] == "quiet_harbor" and r["kind"] == "recommendation"]
        assert recommended and recommended[-1]["blocked_by"] == "operator_stop"
        assert recommended[-1]["path"] == "monitor"
        assert [r["status"] for r in runs] == ["SUCCEEDED"]
        assert len(steps.write_calls(console_stack, "quiet_harbor")) == before
    finally:
        resumed = client.post("/api/connections/quiet_harbor/automation", headers={"X-CSRF-Token": csrf},
                              json={"action": "resume", "reason": "done"})
    assert resumed.status_code == 200
    kinds = [r["kind"] for r in steps.audit_records(console_stack) if r["chain_id"] == "quiet_harbor"]
    assert "automation_stopped" in kinds and "automation_resumed" in kinds
    chains = client.get("/api/audit").json()
    assert chains["ok"] and any(c["chain_id"] == "quiet_harbor" for c in chains["chains"])
    page = client.get("/console/connections").text  # earned autonomy beside the overrides
    assert "Playbooks: earned autonomy" in page and "playbook stages unavailable" not in page


def test_given_the_committed_openapi_when_compared_then_it_is_what_the_resolver_generates():
    assert json.loads(OPENAPI.read_text()) == openapi_document(), (
        "regenerate: python -m fivetran_recovery.console.app > docs/openapi/console.json")


def _validate(document: dict, path: str, method: str, answer: httpx.Response) -> None:
    operation = document["paths"][path][method]
    schema = operation["responses"][str(answer.status_code)]["content"]["application/json"]["schema"]
    OAS31Validator({**schema, "components": document["components"]}).validate(answer.json())


def test_given_real_responses_when_validated_then_they_match_the_openapi_document(console_stack):
    document = json.loads(OPENAPI.read_text())
    assert document["openapi"].startswith("3.1")
    base = console_stack.base_url
    with httpx.Client(base_url=base, headers=BEARER, timeout=30) as client:
        _validate(document, "/health", "get", client.get("/health"))
        incidents = client.get("/api/incidents")
        _validate(document, "/api/incidents", "get", incidents)
        for item in incidents.json()["incidents"][:3]:
            _validate(document, "/api/incidents/{incident_id}", "get", client.get(f"/api/incidents/{item['id']}"))
            _validate(document, "/api/incidents/{incident_id}/audit", "get",
                      client.get(f"/api/incidents/{item['id']}/audit"))
        _validate(document, "/api/incidents/{incident_id}", "get", client.get("/api/incidents/inc-missing"))
        _validate(document, "/api/approvals", "get", client.get("/api/approvals", params={"status": "all"}))
        _validate(document, "/api/connections", "get", client.get("/api/connections"))
        _validate(document, "/api/audit", "get", client.get("/api/audit"))
        _validate(document, "/api/audit/{chain_id}", "get", client.get("/api/audit/quiet_harbor"))
        _validate(document, "/api/approvals/{approval_id}/decision", "post",
                  client.post("/api/approvals/apr-missing/decision", json={"decision": "approve"}))
        bad = client.get("/api/incidents", params={"status": "nonsense"})
        assert bad.status_code == 422
        _validate(document, "/api/incidents", "get", bad)
