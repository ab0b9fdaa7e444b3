"""The console's "roll back this action" (`/console/incidents/<id>/actions/<seq>/rollback`): a form POST from the
action's row, with the session's CSRF token, shows the confirmation (the rollback's exact calls); the confirming
POST starts the rollback workflow, which then waits for an approver like any other. Scoped like approvals: only
an approver of the connection's owning team (or an admin) may propose it."""

from __future__ import annotations

from urllib.parse import quote

from aws_lambda_powertools.event_handler.router import Router

from fivetran_recovery.console import views
from fivetran_recovery.console.access import console_of, who
from fivetran_recovery.console.html import message, url
from fivetran_recovery.console.pages import _form, _redirect, _render, base_path, signed_in_form
from fivetran_recovery.console.service import RollbackRefused

router = Router()


@router.post("/console/incidents/<incident_id>/actions/<seq>/rollback")
@signed_in_form
def rollback_form(incident_id: str, seq: str):
    me, form, console = who(), _form(), console_of(router)
    title = f"Roll back an action of {incident_id}"
    if not seq.isdigit():
        return _render(title, message(f"{seq} is not an audit record number"), me, active="incidents", status=400)
    number = int(seq)
    try:
        if form.get("confirm") != "yes":
            option = console.rollback_option(incident_id, number, by=me.approver)
            csrf = me.session.csrf_token if me.session else ""
            return _render(title, views.rollback_confirmation(base_path(), option, csrf), me, active="incidents")
        proposed = console.propose_rollback(incident_id, number, by=me.approver)
    except RollbackRefused as exc:
        return _render(title, message(str(exc)), me, active="incidents", status=exc.status)
    done = f"rollback {proposed['rollback_incident_id']} proposed by {me.approver}: it waits for approval"
    return _redirect(url(base_path(), "console", "approvals") + "?done=" + quote(done, safe=""))
