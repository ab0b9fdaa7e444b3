"""Every confirmed incident reaches a workflow or a person (issue 13, defect 2): kill each step between the
confirmation and StartExecution, with no redelivery to retry it; the sweep resumes it, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from diagnose_rig import BLIP, T0, Rig, failure

from fivetran_recovery.diagnose import resume
from fivetran_recovery.diagnose.service import SweepError, execution_name
from fivetran_recovery.models.incident import IncidentStatus


class Crash(RuntimeError):
    pass


def _crash_once(rig: Rig, step: str) -> None:
    """Make `step` fail on its first call only (the process dies there; the event is not redelivered)."""
    service = rig.service
    if step == "update_status":
        target, name = rig.triage, "update_status"
    elif step == "mark_started":
        target, name = resume, "mark_started"
    else:
        target, name = service, step
    original = getattr(target, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # for mark_started: the workflow started, the record of it did not land
            raise Crash(step)
        return original(*args, **kwargs)

    setattr(target, name, flaky)
    rig.restore = lambda: setattr(target, name, original)


STEPS = ["notify", "deep_diagnose", "update_status", "plan_workflow", "start_workflow", "mark_started"]


@pytest.mark.parametrize("step", STEPS)
def test_given_a_crash_between_confirmation_and_start_when_swept_then_one_workflow_starts(step):
    rig = Rig()
    _crash_once(rig, step)
    try:
        with pytest.raises(Crash):
            rig.service.handle(failure("c1", 0))  # confirmed at once (per-connection cause)
        incident = rig.incidents.all()[0]
        assert incident.confirmed_at is not None and incident.awaits_workflow
        started_by_crash = len(rig.started)  # mark_started crashes after StartExecution went through
        assert started_by_crash == (1 if step == "mark_started" else 0)
        assert rig.service.sweep() == [] and len(rig.started) == started_by_crash  # too fresh: its consumer may act
        rig.now = T0 + timedelta(minutes=3)
        rig.service.sweep()
        rig.service.sweep()
    finally:
        rig.restore()
    incident = rig.incidents.get(incident.id)
    assert list(rig.started) == [execution_name(incident.id)]
    assert incident.workflow_started_at is not None and not incident.awaits_workflow
    assert rig.deep_calls <= 2 and incident.status is IncidentStatus.DIAGNOSED


def test_given_the_sweep_confirms_and_start_fails_then_a_later_sweep_resumes_it():
    rig = Rig()
    rig.service.handle(failure("c1", 0, BLIP))  # held
    rig.now = T0 + timedelta(seconds=61)
    rig.fail_start = 1
    with pytest.raises(SweepError):
        rig.service.sweep()
    assert rig.started == {}
    rig.now += timedelta(minutes=3)
    outcomes = rig.service.sweep()
    assert [o.action for o in outcomes] == ["confirmed"] and len(rig.started) == 1


def test_given_start_keeps_failing_then_bounded_tries_and_escalated_to_a_person():
    rig = Rig()
    rig.fail_start = 100
    with pytest.raises(ConnectionError):
        rig.service.handle(failure("c1", 0))
    tries = 0
    escalated = []
    for minute in range(3, 30, 3):
        rig.now = T0 + timedelta(minutes=minute)
        try:
            escalated += [o for o in rig.service.sweep() if o.action == "escalated"]
        except SweepError:
            tries += 1
    incident = rig.incidents.all()[0]
    assert tries == 3 and incident.workflow_attempts == 3 and rig.started == {}
    assert incident.status is IncidentStatus.ESCALATED and len(escalated) == 1 and escalated[0].notifications == 1
    assert not incident.awaits_workflow


def test_given_a_workflow_started_normally_then_the_sweep_leaves_it_alone():
    rig = Rig()
    rig.service.handle(failure("c1", 0))
    rig.now = T0 + timedelta(minutes=10)
    assert rig.service.sweep() == [] and len(rig.started) == 1 and rig.deep_calls == 1
