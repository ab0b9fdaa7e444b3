"""The console's pages (`/console/...`) on Powertools' router: server-rendered HTML, forms with a CSRF token,
a page without a session redirects to the sign-in form, a POST without one (or without its CSRF token) is refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from fivetran_recovery.approvals.api import raw_body
from fivetran_recovery.approvals.auth import AuthError
from fivetran_recovery.approvals.service import DecisionBody
from fivetran_recovery.console import views
from fivetran_recovery.console.access import Caller, Refused, console_of, current_session, guarded, who
from fivetran_recovery.console.html import esc, message, page, sign_in_form, url
from fivetran_recovery.httpapi import remember, request_value

router = Router()
HTML = "text/html; charset=utf-8"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
_TABLE_LINE = re.compile(r"^\s*([^:\s]+)\s*:\s*(.+)$")


def base_path() -> str:
    """The stage prefix links need when the API is reached on a named stage (/prod/...)."""
    event = router.current_event
    stage = (event.get("requestContext") or {}).get("stage")
    raw = event.get("rawPath") or ""
    return f"/{stage}" if stage and stage != "$default" and raw.startswith(f"/{stage}/") else ""


def _html(status: int, text: str, cookies: list[Any] | None = None) -> Response:
    return Response(status_code=status, content_type=HTML, body=text, cookies=cookies or [])


def _redirect(location: str, cookies: list[Any] | None = None) -> Response:
    return Response(status_code=303, headers={"Location": location}, body="", cookies=cookies or [])


def _form() -> dict[str, str]:
    """The posted form, parsed once per request."""
    try:
        return request_value("form")
    except KeyError:
        pass
    parsed = parse_qs(raw_body(router.current_event.raw_event).decode("utf-8", "replace"), keep_blank_values=True)
    form = {k: v[0] for k, v in parsed.items()}
    remember("form", form)
    return form


def _to_login(_: Refused) -> Response:
    return _redirect(url(base_path(), "console", "login"))


signed_in_page = guarded(router, _to_login, allow_bearer=False)  # a page without a session: the sign-in form


def _render(title: str, body: str, me: Caller, *, active: str, refresh: int | None = None,
            status: int = 200) -> Response:
    csrf = me.session.csrf_token if me.session else ""
    return _html(status, page(base_path(), title, body, active=active, signed_in=me.approver, csrf=csrf,
                              refresh=refresh))


def _refusal(exc: Refused) -> Response:
    base = base_path()
    body = message(str(exc)) + f'<p><a href="{esc(url(base, "console", "login"))}">Sign in</a></p>'
    return _html(exc.status, page(base, "Refused", body))


# A form POST: a session and the form's CSRF token, else the refusal page; the route reads `who()` and `_form()`.
signed_in_form = guarded(router, _refusal, allow_bearer=False, csrf_from=lambda: _form().get("csrf"))


@router.get("/console")
def console_root():
    return _redirect(url(base_path(), "console", "incidents"))


@router.get("/console/static/<name>")
def static_file(name: str):
    if name not in STATIC:
        return _html(404, page(base_path(), "Not found", message("no such file")))
    text = (STATIC_DIR / name).read_text("utf-8")
    return Response(status_code=200, content_type=STATIC[name], body=text, headers={"Cache-Control": "max-age=300"})


@router.get("/console/login")
def login_form():
    console = console_of(router)
    if current_session(router) is not None:
        return _redirect(url(base_path(), "console", "incidents"))
    return _html(200, page(base_path(), "Sign in", sign_in_form(base_path(), console.signer().login_token())))


@router.post("/console/login")
def login():
    console, form, base = console_of(router), _form(), base_path()
    signer = console.signer()
    if not signer.login_token_ok(form.get("csrf")):
        return _html(403, page(base, "Sign in", sign_in_form(base, signer.login_token(),
                                                             error="The form expired: sign in again.")))
    try:
        value, _ = console.sign_in(form.get("token", ""))
    except AuthError:
        return _html(401, page(base, "Sign in", sign_in_form(base, signer.login_token(),
                                                             error="That token is not on the approver list.")))
    return _redirect(url(base, "console", "incidents"), cookies=[signer.cookie(value)])


@router.post("/console/logout")
@signed_in_form
def logout():
    return _redirect(url(base_path(), "console", "login"), cookies=[console_of(router).signer().clearing_cookie()])


@router.get("/console/incidents")
@signed_in_page
def incidents_page():
    me = who()
    params = router.current_event.query_string_parameters or {}
    filters = {k: (params.get(k) or None) for k in views.FILTERS}
    listing = console_of(router).reads.list_incidents(**filters)
    return _render("Incidents", views.incidents_body(base_path(), listing, filters), me, active="incidents",
                   refresh=10)


@router.get("/console/incidents/<incident_id>")
@signed_in_page
def incident_page(incident_id: str):
    me = who()
    reads = console_of(router).reads
    detail = reads.incident(incident_id)
    csrf = me.session.csrf_token if me.session else ""
    if detail is None:  # a rollback or a preemptive approval has an audit trail but no incident item
        workflow = reads.workflow_only(incident_id)
        if workflow is None:
            return _render("Not found", message(f"No incident {incident_id}."), me, active="incidents", status=404)
        return _render(f"Workflow {incident_id}", views.workflow_body(base_path(), workflow, csrf), me,
                       active="incidents", refresh=5)
    return _render(f"Incident {incident_id}", views.incident_body(base_path(), detail, csrf), me,
                   active="incidents", refresh=5)


@router.get("/console/approvals")
@signed_in_page
def approvals_page():
    me = who()
    params = router.current_event.query_string_parameters or {}
    listing = console_of(router).reads.list_approvals("pending")
    csrf = me.session.csrf_token if me.session else ""
    return _render("Approvals", views.approvals_body(base_path(), listing, csrf, params.get("done")), me,
                   active="approvals")


def parse_exclude_columns(text: str) -> dict[str, list[str]]:
    """`schema.table: a, b` lines into {"schema.table": ["a", "b"]} (validated by the decision body)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _TABLE_LINE.match(line)
        if not found:
            raise ValueError(f"not 'schema.table: column, ...': {line.strip()[:80]}")
        out[found.group(1)] = [c.strip() for c in found.group(2).split(",") if c.strip()]
    return out


@router.post("/console/approvals/<approval_id>/decision")
@signed_in_form
def decide_form(approval_id: str):
    form, me = _form(), who()
    try:
        resolve = ({"exclude_columns": parse_exclude_columns(form["exclude_columns"])}
                   if form.get("exclude_columns", "").strip() else None)
        body = DecisionBody.model_validate({"decision": form.get("decision"), "comment": form.get("comment", ""),
                                            "resolve": resolve})
    except ValueError as exc:  # pydantic's ValidationError included
        return _render("Approvals", message(f"Not a valid decision: {exc}"), me, active="approvals", status=400)
    status, result = console_of(router).approvals.decide(approval_id, body, approver=me.approver, source="console")
    if status != 200:
        return _render("Approvals", message(str(result.get("error"))), me, active="approvals", status=status)
    done = f"{approval_id} {result['status']} by {result['decided_by']}"
    return _redirect(url(base_path(), "console", "approvals") + "?done=" + quote(done, safe=""))


@router.get("/console/connections")
@signed_in_page
def connections_page():
    me = who()
    reads = console_of(router).reads
    listing = reads.list_connections()
    csrf = me.session.csrf_token if me.session else ""
    body = views.connections_body(base_path(), listing, csrf) + views.playbooks_body(reads.playbook_stages())
    return _render("Connections", body, me, active="connections")


@router.post("/console/connections/<connection_id>/automation")
@signed_in_form
def automation_form(connection_id: str):
    form, me = _form(), who()
    try:
        console_of(router).set_automation(connection_id, stop=form.get("action") == "stop", by=me.approver,
                                          reason=form.get("reason", ""))
    except ValueError as exc:
        return _render("Connections", message(str(exc)), me, active="connections", status=400)
    return _redirect(url(base_path(), "console", "connections"))


@router.get("/console/audit")
@signed_in_page
def audit_page():
    me = who()
    return _render("Audit", views.audit_body(base_path(), console_of(router).reads.audit_chains()), me,
                   active="audit")


@router.get("/console/audit/<chain_id>")
@signed_in_page
def audit_chain_page(chain_id: str):
    me = who()
    chain = console_of(router).reads.audit_chain(chain_id)
    return _render(f"Audit chain {chain_id}", views.audit_chain_body(chain), me, active="audit")
