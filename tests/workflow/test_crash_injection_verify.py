"""Crash injection for verify (issue 13): the invocation dies after reading Fivetran's state, after the verdict's
record, after the track-record count, after the autonomy update, after the status, and (a failed verification)
inside its automatic rollback: after the rollback call's intent and after the call. Verify is then invoked again
(the state machine retries a killed invocation). Checked: one verdict on record per run, counted once in the track
record and once in autonomy, the incident in its terminal status, the rollback's write made exactly once and on
record, the chain verifies."""

from __future__ import annotations

import pytest
from crash_points import REPEAT, Killed, sample
from test_remediation import at_step, workflow_for

from fivetran_recovery.composition.remediate import remediation_service
from fivetran_recovery.composition.verify import verification_service
from fivetran_recovery.remediation.actions import ActionExecutor

VERDICT = ["after_read", "after_verdict_record", "after_count", "after_autonomy", "after_status"]
ROLLBACK = ["after_rollback_intent", "after_rollback_call"]
RESUME = {"index": 0, "action": "resume", "risk": "low", "writes": True, "params": {},
          "calls": [{"kind": "fivetran_api", "method": "PATCH", "path": "/v1/connections/quiet_harbor",
                     "body": {"paused": False}}]}


def _kill_after(point: str, monkeypatch, harness) -> None:
    adapters, fired = harness.adapters, []

    def once() -> bool:
        if fired:
            return False
        fired.append(point)
        return True

    def dying(obj, name, when=lambda *a, **k: True):
        real = getattr(obj, name)

        def call(*args, **kwargs):
            result = real(*args, **kwargs)
            if when(*args, **kwargs) and once():
                raise Killed(point)
            return result

        monkeypatch.setattr(obj, name, call)

    match point:
        case "after_read":
            dying(adapters.fivetran, "get_connection")
        case "after_verdict_record":
            dying(adapters.audit, "append", lambda **k: k["kind"] == "verification")
        case "after_count":
            dying(adapters.records, "record_outcome")
        case "after_autonomy":
            dying(adapters.autonomy, "record")
        case "after_status":
            dying(adapters.records, "set_status")
        case "after_rollback_intent":
            dying(adapters.audit, "append", lambda **k: k["kind"] == "action_intent" and k["actor"] == "verify")
        case "after_rollback_call":
            real = ActionExecutor.run

            def run(self, step, workflow, connection):
                result = real(self, step, workflow, connection)
                if once():
                    raise Killed(point)
                return result

            monkeypatch.setattr(ActionExecutor, "run", run)


def _verify_until_done(harness, workflow: dict, max_attempts: int) -> dict:
    for _ in range(3):
        try:
            return verification_service(harness.adapters).verify(workflow, attempt=0, max_attempts=max_attempts)
        except Killed:
            continue  # the state machine invokes verify again
    raise AssertionError("verify did not settle")


def _verified_run(harness) -> dict:
    workflow = workflow_for(harness)  # retry_with_backoff: its sync, then the sync succeeds
    service = remediation_service(harness.adapters)
    service.begin(workflow)
    service.step(at_step(workflow, 1))
    harness.sim.advance(900)
    return workflow


def _check(harness, workflow: dict, outcome: str) -> list:
    records = harness.adapters.audit.for_incident("inc-1")
    verdicts = [r.detail["status"] for r in records if r.kind == "verification"]
    assert verdicts == [outcome], verdicts  # one verdict for the run
    track = harness.adapters.records.track_record(workflow["playbook"]["id"])
    assert [v["runs"] for k, v in track.items() if k.startswith("TRACK#v")] == [1], track  # counted once
    recent = harness.adapters.autonomy.standing(workflow["playbook"]["id"]).recent
    assert recent == [f"inc-1:{outcome}"], recent
    assert harness.adapters.audit.verify_chain("quiet_harbor").ok
    return records


@pytest.mark.parametrize("run", range(REPEAT))
@pytest.mark.parametrize("point", sample(VERDICT, ["after_verdict_record"]))
def test_given_verify_dies_at_each_point_then_one_verdict_counted_once(harness, monkeypatch, point, run):
    workflow = _verified_run(harness)
    _kill_after(point, monkeypatch, harness)
    answer = _verify_until_done(harness, workflow, max_attempts=3)
    assert answer["status"] == "verified", answer
    _check(harness, workflow, "verified")


@pytest.mark.parametrize("run", range(REPEAT))
@pytest.mark.parametrize("point", sample([*VERDICT, *ROLLBACK], ["after_rollback_call"]))
def test_given_verify_dies_around_a_failed_verdict_and_its_rollback_then_the_rollback_runs_once(harness, monkeypatch,
                                                                                                point, run):
    workflow = _verified_run(harness)
    workflow["plan"]["rollback"] = [RESUME]  # a low-risk rollback: the connection is paused, resume it
    harness.adapters.fivetran.pause("quiet_harbor")  # still paused at the last check: the verification fails
    writes_before = len(harness.write_calls("quiet_harbor"))
    _kill_after(point, monkeypatch, harness)
    answer = _verify_until_done(harness, workflow, max_attempts=1)
    assert answer["status"] == "failed" and [s["status"] for s in answer["rollback"]] == ["done"], answer
    resumes = [w for w in harness.write_calls("quiet_harbor")[writes_before:] if w["method"] == "PATCH"]
    assert len(resumes) == 1, resumes  # the rollback's write: once
    records = _check(harness, workflow, "failed")
    applied = [r for r in records if r.kind == "action" and r.detail.get("rollback")]
    assert len(applied) == 1 and len([r for r in records if r.kind == "rollback"]) == 1, applied
