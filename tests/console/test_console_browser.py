"""The console in a real browser (Debian's chromium driven by Playwright) against one local stack: sign in, a
breaking schema change's approval with its RCA and dry run, Approve (the workflow resumes and the simulator records
the Fivetran calls) and Reject (none), an XSS payload rendered inert, refusals without a session or a CSRF token,
and screenshots of the incident list and an incident.

One stack and one browser for the whole module keep it to seconds. On CI (CI=true) a missing browser fails."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.defaults import LOCAL_APPROVER_TOKEN
from local.drill import steps
from local.simulator import SCENARIO_HOMES
from tests.console.conftest import post_webhook, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
BREAKING = SCENARIO_HOMES["schema_change_breaking"]
REJECTED = "silver_meadow"  # a second connection with schemas: each test has its own connection
XSS = '<script>window.__xss = 1; alert(1)</script>"><img src=x onerror="window.__xss = 2; alert(2)">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"no chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def screens(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("console-screens")


@pytest.fixture(scope="module")
def page(browser, console_stack) -> Iterator[Any]:
    """One signed-in page for the module, through the sign-in form as a person would."""
    context = browser.new_context(base_url=console_stack.base_url, viewport={"width": 1400, "height": 1000})
    dialogs: list[str] = []
    signed_in = context.new_page()
    signed_in.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    signed_in.dialogs = dialogs
    signed_in.goto("/console/incidents")
    assert signed_in.url.endswith("/console/login")
    signed_in.get_by_label("Approver token").fill(LOCAL_APPROVER_TOKEN)
    signed_in.get_by_role("button", name="Sign in").click()
    signed_in.wait_for_url("**/console/incidents")
    yield signed_in
    context.close()


def _pending_approval(stack: Any, connection: str) -> dict[str, Any]:
    return wait_for(lambda: next((a for a in steps.approvals(stack)
                                  if a["status"] == "pending" and a["connection_id"] == connection), None),
                    timeout=60, what=f"a pending approval for {connection}")


def _finished(stack: Any, connection: str) -> list[dict[str, Any]]:
    return wait_for(lambda: steps.finished(stack, connection), timeout=90,
                    what=f"the workflow of {connection} to finish")


def test_given_sign_in_when_done_then_the_incident_list_and_the_session_cookie_is_http_only(page):
    assert page.get_by_role("heading", name="Incidents").is_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "fr_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # the page's script cannot read it
    assert page.evaluate("window.localStorage.length") == 0


def test_given_a_breaking_schema_change_when_approved_in_the_browser_then_the_fix_runs_and_verifies(
    page, console_stack, screens
):
    steps.fail_next_sync(console_stack, BREAKING, "schema_change_breaking")
    approval = _pending_approval(console_stack, BREAKING)
    page.goto("/console/approvals")
    card = page.get_by_role("region", name=f"approval {approval['approval_id']}")
    assert card.get_by_text("Root cause").is_visible() and card.locator("ol.dry-run li").count() >= 1
    assert f"PATCH /v1/connections/{BREAKING}" in card.locator("ol.dry-run").inner_text()  # the exact calls
    before = steps.write_call_paths(console_stack, BREAKING)
    card.get_by_label(re.compile("Columns to exclude")).fill("events.page_view: viewed_at")
    card.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/console/approvals?done=*")
    assert "approved by local-approver" in page.get_by_role("status").inner_text()
    runs = _finished(console_stack, BREAKING)
    assert runs[-1]["status"] == "SUCCEEDED"
    after = steps.write_call_paths(console_stack, BREAKING)[len(before):]
    assert any(p.startswith("PATCH") and "/schemas" in p for p in after), after

    page.goto("/console/incidents")
    row = page.locator(f'tr[data-incident-id="{approval["incident_id"]}"]')
    assert row.get_by_role("link", name=approval["incident_id"]).is_visible()
    page.screenshot(path=str(screens / "incidents.png"), full_page=True)
    row.get_by_role("link", name=approval["incident_id"]).click()
    page.get_by_role("heading", name=f"Incident {approval['incident_id']}").wait_for()
    timeline = page.get_by_role("table", name="Timeline").inner_text()
    assert "approved by local-approver via console" in timeline and "verification verified" in timeline
    assert f"intends to change the schema config of connection {BREAKING} (attempt 1): PATCH" in timeline
    assert float(page.locator(".time-to-recover").first.inner_text()) > 0  # first failure to the verified sync
    resolved = page.locator("ol.dry-run li.resolved-step").inner_text()  # the plan as the approver completed it
    assert "UNRESOLVED" in resolved and "Resolved by local-approver" in resolved
    assert "exclude columns events.page_view: viewed_at" in resolved
    assert f"Ran as: PATCH /v1/connections/{BREAKING}/schemas" in resolved
    assert page.get_by_role("link", name="open in Fivetran").get_attribute("href").endswith(f"/{BREAKING}/status")
    page.screenshot(path=str(screens / "incident.png"), full_page=True)
    assert (screens / "incidents.png").stat().st_size > 10_000 and (screens / "incident.png").stat().st_size > 10_000
    _roll_back_the_schema_change(page, console_stack, approval["incident_id"])


def _roll_back_the_schema_change(page: Any, stack: Any, incident_id: str) -> None:
    """"Roll back this action" on the schema change's row: a confirmation with the exact calls, then a rollback
    workflow waiting for an approver; nothing changes at Fivetran before that."""
    timeline = page.get_by_role("table", name="Timeline")
    row = timeline.locator("tr", has_text="update_schema_config: schema config updated")
    assert timeline.locator("tr", has_text="workflow started").get_by_role("button").count() == 0  # not revertible
    row.get_by_role("button", name="Roll back this action").click()
    card = page.get_by_role("region", name="confirm rollback")
    assert f"PATCH /v1/connections/{BREAKING}/schemas" in card.locator("ol.dry-run").inner_text()
    before = steps.write_call_paths(stack, BREAKING)
    card.get_by_role("button", name=re.compile("Confirm")).click()
    page.wait_for_url("**/console/approvals?done=*")
    notice = page.get_by_role("status").inner_text()
    assert f"rollback {incident_id}-rollback-" in notice and "proposed by local-approver" in notice, notice
    rollback_id = notice.split()[1]
    pending = wait_for(lambda: next((a for a in steps.approvals(stack) if a["incident_id"] == rollback_id
                                     and a["status"] == "pending"), None), timeout=60, what="the rollback's approval")
    assert pending["connection_id"] == BREAKING
    assert steps.write_call_paths(stack, BREAKING)[len(before):] == []  # nothing before an approver says so
    page.goto(f"/console/incidents/{incident_id}")
    proposed = page.get_by_role("table", name="Timeline").locator("tr", has_text="update_schema_config: schema")
    assert f"Rollback {rollback_id} proposed by local-approver" in proposed.inner_text()
    assert proposed.get_by_role("button", name="Roll back this action").count() == 0  # proposed once
    proposed.get_by_role("link", name=rollback_id).click()  # the rollback's own page: its approval waits there
    page.get_by_role("heading", name=f"Workflow {rollback_id}").wait_for()
    waiting = page.get_by_role("region", name=f"approval {pending['approval_id']}")
    assert f"PATCH /v1/connections/{BREAKING}/schemas" in waiting.locator("ol.dry-run").inner_text()
    assert page.get_by_role("link", name=incident_id).first.is_visible()  # back to what it rolls back


def test_given_a_breaking_schema_change_when_rejected_then_a_comment_is_required_and_no_schema_change(
    page, console_stack
):
    steps.fail_next_sync(console_stack, REJECTED, "schema_change_breaking")
    approval = _pending_approval(console_stack, REJECTED)
    page.goto("/console/approvals")
    card = page.get_by_role("region", name=f"approval {approval['approval_id']}")
    before = steps.write_call_paths(console_stack, REJECTED)
    card.get_by_role("button", name="Reject").click()  # no comment: the browser refuses to send the form
    assert page.url.endswith("/console/approvals") and card.get_by_role("button", name="Reject").is_visible()
    card.get_by_label(re.compile("Why reject")).fill("not during the quarter close")
    card.get_by_role("button", name="Reject").click()
    page.wait_for_url("**/console/approvals?done=*")
    runs = _finished(console_stack, REJECTED)
    after = steps.write_call_paths(console_stack, REJECTED)[len(before):]
    assert not any("/schemas" in p for p in after), after
    assert "rejected" in (runs[-1].get("output") or "")


def test_given_an_xss_payload_in_an_error_message_when_shown_then_it_is_inert_text(page, console_stack):
    connection = "vivid_lantern"
    answer = post_webhook(console_stack.base_url, {
        "event": "sync_end", "created": console_stack.simulator.now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "connector_type": "postgres", "connector_id": connection, "sync_id": "xss-1",
        "destination_group_id": "warehouse_snowflake", "data": {"status": "FAILURE", "reason": XSS}})
    assert answer.status_code == 200
    incident = wait_for(lambda: next((i for i in steps.real_incidents(console_stack)
                                      if i.get("connection_id") == connection), None),
                        timeout=60, what="the incident of the XSS failure")
    incident_id = incident["id"]
    page.goto(f"/console/incidents/{incident_id}")
    page.get_by_role("heading", name=f"Incident {incident_id}").wait_for()

    def shown() -> bool:
        page.reload()
        return XSS in page.inner_text("main")

    wait_for(shown, timeout=30, what="the error text on the page")
    assert XSS in page.inner_text("main")  # visible, as text
    assert page.evaluate("typeof window.__xss") == "undefined" and page.dialogs == []
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0


def test_given_no_session_or_no_csrf_token_when_asking_then_refused(browser, page, console_stack):
    anonymous = browser.new_context(base_url=console_stack.base_url)
    try:
        stranger = anonymous.new_page()
        for path in ("/console/incidents", "/console/approvals", "/console/connections", "/console/audit"):
            stranger.goto(path)
            assert stranger.url.endswith("/console/login"), path
        assert anonymous.request.get("/api/incidents").status == 401
    finally:
        anonymous.close()
    refused = page.request.post("/api/connections/quiet_harbor/automation",
                                data={"action": "stop", "reason": "forged"})
    assert refused.status == 403
    form = page.request.post("/console/connections/quiet_harbor/automation",
                             form={"action": "stop", "reason": "forged"})
    assert form.status == 403
    rollback = page.request.post("/console/incidents/inc-x/actions/3/rollback", form={"confirm": "yes"})
    assert rollback.status == 403  # no CSRF token
    connections = httpx.get(f"{console_stack.base_url}/api/connections",
                            headers={"Authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}).json()["connections"]
    assert all(c["automation"] is None for c in connections)
