"""Timeouts agree (issue 13): the remediate function outlasts its longest step, a ledger claim outlasts any
invocation that holds it, and the state machine retries a held claim for longer than the lease."""

from __future__ import annotations

import json

from fivetran_recovery.remediation.budget import lease_seconds, longest_step_seconds
from fivetran_recovery.settings import Settings
from local.template import REPO_ROOT, load_template


def _remediate_retries() -> list[dict]:
    definition = json.loads((REPO_ROOT / "statemachine" / "recovery.asl.json").read_text())
    return definition["States"]["Remediate"]["Retry"]


def _window(retry: dict) -> float:
    interval, rate = retry.get("IntervalSeconds", 1), retry.get("BackoffRate", 2.0)
    return sum(interval * rate**n for n in range(retry.get("MaxAttempts", 3)))


def test_given_the_template_then_remediate_outlasts_its_longest_step_and_the_lease_outlasts_remediate():
    function = load_template()["Resources"]["RemediateFunction"]["Properties"]
    timeout = int(function["Timeout"])
    lease = int(function["Environment"]["Variables"]["STEP_LEASE_SECONDS"])
    assert timeout >= longest_step_seconds()
    assert lease == lease_seconds(timeout) == Settings.model_fields["step_lease_seconds"].default


def test_given_a_claim_held_by_a_dead_invocation_then_the_state_machine_retries_past_its_lease():
    held = next(r for r in _remediate_retries() if "StepInProgress" in r["ErrorEquals"])
    assert {"Sandbox.Timedout", "Lambda.Unknown"} <= set(held["ErrorEquals"])  # a killed invocation is retried
    lease = int(load_template()["Resources"]["RemediateFunction"]["Properties"]["Environment"]["Variables"][
        "STEP_LEASE_SECONDS"])
    assert _window(held) > lease


def test_given_a_write_verified_not_applied_then_it_is_retried():
    assert any({"ActionNotApplied", "SafeToRetry"} <= set(r["ErrorEquals"]) for r in _remediate_retries())
