"""Crash injection (issue 13, defects 3 and 4): each point between a remediation step's side effects, for a safe
write (a sync) and a protective pause: no duplicate action, no action without a record, the trail never calls
an applied write failed, the chain verifies. The full matrix runs in bench/crash_injection.py."""

from __future__ import annotations

import os

import pytest
from crash_points import POINTS, Clock, check_trail, inject, run_until_settled, with_clock
from test_remediation import at_step, workflow_for

from fivetran_recovery.composition.remediate import remediation_service
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.remediation.ledger import step_key

BREAKING = Diagnosis(category="schema_drift", pattern="column_type_change", retryable=False, confidence=0.9)
ACTIONS = {  # action -> (playbook, step index, the write call's path suffix, diagnosis)
    "sync_now": ("retry_with_backoff", 1, "/sync", None),
    "pause": ("schema_change_breaking", 0, "/quiet_harbor", BREAKING),
}


def _workflow(harness, action: str) -> dict:
    playbook, index, _, diagnosis = ACTIONS[action]
    extra = {}
    if diagnosis is not None:  # as tests/workflow/test_remediation.py: a column the known-good schema still has
        known_good = harness.sim.schema_config("quiet_harbor")
        schema = next(iter(known_good["schemas"].values()))
        next(iter(schema["tables"].values())).setdefault("columns", {})["dropped_at_source"] = {"enabled": True}
        extra = {"diagnosis": diagnosis, "snapshot": known_good}
    workflow = workflow_for(harness, playbook=playbook, **extra)
    remediation_service(harness.adapters).begin(workflow)
    return at_step(workflow, index)


REPEAT = int(os.environ.get("CRASH_REPEAT", "1"))  # bench/crash_injection.py runs the matrix many times


@pytest.mark.parametrize("run", range(REPEAT))
@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("point", POINTS)
def test_given_a_crash_or_fault_at_each_point_then_one_write_and_a_true_record(harness, monkeypatch, point, action,
                                                                              run):
    workflow = _workflow(harness, action)
    clock = Clock()
    service = with_clock(remediation_service(harness.adapters), clock)
    inject(point, monkeypatch, harness.adapters.audit)
    result = run_until_settled(service, workflow, clock)
    assert result["status"] == "done", result
    suffix = ACTIONS[action][2]
    writes = [w for w in harness.write_calls("quiet_harbor") if w["method"] != "GET" and w["path"].endswith(suffix)]
    assert len(writes) == 1, (point, [w["path"] for w in writes])  # no duplicate action, none lost
    trail = check_trail(harness.adapters.audit, "inc-1", step_key("inc-1", ACTIONS[action][1]), "quiet_harbor")
    assert trail["applied"] == 1, trail  # the write that happened is recorded as applied, exactly once
    assert trail["intents"] >= 1 and trail["chain_ok"], trail
    never_sent = point in ("after_intent", "reset_before_send")  # only then is "not applied" the truth
    assert ("verified_not_applied" in trail["failed_as"]) is never_sent, trail
    assert "unknown" not in trail["failed_as"], trail


def test_given_our_pause_landed_and_the_process_died_then_its_webhook_is_ours_by_intent(harness, monkeypatch):
    """Defect 3: with no outcome record (the invocation died after the call), our pause's webhook is still
    recognised as ours by its intent; one pause webhook more is a human."""
    from crash_points import Killed
    from test_remediation import _history

    workflow = _workflow(harness, "pause")
    clock = Clock()
    service = with_clock(remediation_service(harness.adapters), clock)
    inject("after_call", monkeypatch, harness.adapters.audit)
    with pytest.raises(Killed):
        service.step(workflow)
    _history(harness, "pause_connector", minutes_ago=0)  # Fivetran's webhook for our pause
    connection = harness.adapters.fivetran.get_connection("quiet_harbor")
    assert connection.paused and service._human_change(workflow, connection, we_paused=True) is None
    _history(harness, "pause_connector", minutes_ago=0)
    assert "pause_connector" in (service._human_change(workflow, connection, we_paused=True) or "")
    assert run_until_settled(service, workflow, clock)["status"] == "done"
    assert len([w for w in harness.write_calls("quiet_harbor") if w["method"] == "PATCH"]) == 1
