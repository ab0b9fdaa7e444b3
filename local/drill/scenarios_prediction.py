"""Drill scenarios for prediction that acts (issue 15), through the local stack's tables, audit and outbox.

- `predicted_credential_expiry_prevented` (auto): Fivetran warns that a connection's OAuth token expires later
  today. The predict use case (its composition root, on the simulator's clock) scores it `high`, opens an at-risk
  notice for the owner with the reasons and the lead time, and the preemptive playbook sends a Connect Card link
  (one Fivetran write). The owner re-authorises; a day later the syncs have not failed and the notice is settled
  as `prevented`.
- `prediction_shown_in_monitor_mode` (monitor): the same prediction reaches the owner as an at-risk notice with
  the recommendation marked "monitor: no write", and Fivetran sees zero writes.
"""

from __future__ import annotations

import json
from datetime import timedelta

from local.drill import steps
from local.drill.runner import Scenario, ScenarioResult
from local.stack import LocalStack

CONNECTION = "vivid_lantern"


def _warn_token_expiry(stack: LocalStack, connection: str) -> str:
    """Put Fivetran's warning on the connection, as `status.warnings` carries it (expiry: later today)."""
    sim = stack.simulator
    expiry = (sim.now() + timedelta(hours=6)).strftime("%Y-%m-%d %H:%M")
    with sim._lock:  # the drill stands in for Fivetran raising the warning
        sim._get(connection).warnings.append({
            "code": "oauth_token_expiring", "message": f"The OAuth access token expires on {expiry} UTC.",
            "details": {}})
    return expiry


def _clear_warning(stack: LocalStack, connection: str) -> None:
    sim = stack.simulator
    with sim._lock:  # the owner re-authorised through the Connect Card: Fivetran drops the warning
        sim._get(connection).warnings.clear()


def _predict(stack: LocalStack):
    """One scheduled predict run, built by the predict composition root on the simulator's clock."""
    from fivetran_recovery.composition import Adapters
    from fivetran_recovery.composition.predict import predict_service

    service = predict_service(Adapters(clock=stack.simulator.now))
    assessments = service.run()
    return service, {a.connection_id: a for a in assessments}


def _notices(stack: LocalStack, connection: str) -> list[dict]:
    return [json.loads(i["doc"]) for i in stack.table_items("IncidentsTable")
            if i.get("pk") == f"ATRISK#{connection}"]


def play_prevented(stack: LocalStack, result: ScenarioResult) -> None:
    expiry = _warn_token_expiry(stack, CONNECTION)
    _, scored = _predict(stack)
    assessment = scored[CONNECTION]
    [notice] = _notices(stack, CONNECTION)
    sent = [n for n in steps.outbox(stack) if n.get("connection_id") == CONNECTION]
    writes_after_act = steps.write_call_paths(stack, CONNECTION)
    _clear_warning(stack, CONNECTION)
    stack.simulator.advance(27 * 3600)  # a day of syncs; none fails, because the token was renewed in time
    _predict(stack)
    [settled] = _notices(stack, CONNECTION)
    steps.record_common(stack, result, CONNECTION)
    result.checks = {
        "scored high as a credential expiry": assessment.level == "high" and assessment.kind == "credential",
        "lead time estimated before the expiry": assessment.lead_time_hours is not None
        and 0 < assessment.lead_time_hours <= 24,
        "one at-risk notice, not an incident": notice["outcome"] == "open" and result.incidents == 0,
        "owner got the at-risk notice and the link": [n["kind"] for n in sent if n["op"] == "post"] == [
            "owner_action", "at_risk"] and [n["op"] for n in sent].count("direct") == 1,
        "one write: the Connect Card": writes_after_act == [f"POST /v1/connections/{CONNECTION}/connect-card"],
        "settled as prevented": settled["outcome"] == "prevented",
    }
    result.details.update({"reasons": assessment.reasons, "expiry": expiry, "notice": settled["notice_id"],
                           "actions": settled["actions"]})
    result.outcome = (f"risk {assessment.risk} ({assessment.kind}, lead {assessment.lead_time_hours} h): "
                      f"{settled['playbook_id']} via {settled['decision_path']}, outcome {settled['outcome']}")
    result.passed = True


def play_monitor(stack: LocalStack, result: ScenarioResult) -> None:
    _warn_token_expiry(stack, CONNECTION)
    _, scored = _predict(stack)
    assessment = scored[CONNECTION]
    [notice] = _notices(stack, CONNECTION)
    sent = [n for n in steps.outbox(stack) if n.get("connection_id") == CONNECTION]
    steps.record_common(stack, result, CONNECTION)
    result.checks = {
        "scored high": assessment.level == "high",
        "shown to the owner as an at-risk notice": [(n["kind"], n["op"]) for n in sent] == [("at_risk", "post")],
        "the recommendation says monitor: no write": any("monitor: no write" in a
                                                          for a in sent[0].get("planned_actions", [])),
        "zero Fivetran writes": result.fivetran_write_calls == 0,
        "decision path monitor": notice["decision_path"] == "monitor",
    }
    result.outcome = f"risk {assessment.risk} ({assessment.kind}): shown in monitor mode, {notice['pending']}"
    result.passed = True


PREDICTION_SCENARIOS = [
    Scenario("predicted_credential_expiry_prevented",
             "a warned token expiry is predicted, the owner gets a re-auth link in time, no sync fails",
             play_prevented, rollout_mode="auto", background=False),
    Scenario("prediction_shown_in_monitor_mode",
             "a prediction reaches the owner as an at-risk notice; monitor mode writes nothing",
             play_monitor, rollout_mode="monitor", background=False),
]
