"""Static checks of statemachine/recovery.asl.json against template.yaml (the runtime ones are in the e2e tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from local.template import cached_template

ASL_PATH = Path(__file__).resolve().parents[2] / "statemachine" / "recovery.asl.json"


def _asl() -> dict:
    return json.loads(ASL_PATH.read_text())  # valid JSON before substitution


def _substitutions() -> set[str]:
    machine = cached_template()["Resources"]["RecoveryStateMachine"]["Properties"]
    return set(machine["DefinitionSubstitutions"])


def reachable(states: dict, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        todo += [n for n in (state.get("Next"), state.get("Default")) if n]
        todo += [c["Next"] for c in state.get("Catch", []) + state.get("Choices", [])]
    return seen


def test_every_substitution_of_the_template_is_used_and_no_other() -> None:
    used = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert used == _substitutions()


def test_numbers_arrive_as_strings_and_are_parsed_once() -> None:
    config = _asl()["States"]["LoadConfig"]["Parameters"]
    for name in ("ApprovalTimeoutSeconds", "VerifyWaitSeconds", "VerifyMaxAttempts"):
        assert any(value == f"States.StringToJson('${{{name}}}')" for value in config.values()), name


def test_tasks_only_invoke_the_three_workflow_functions() -> None:
    functions = set()
    for state in _asl()["States"].values():
        if state["Type"] == "Task":
            assert state["Resource"] in (
                "arn:aws:states:::lambda:invoke",
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
            )
            functions.add(state["Parameters"]["FunctionName"])
    assert functions == {"${NotifyFunctionArn}", "${RemediateFunctionArn}", "${VerifyFunctionArn}"}


def test_approval_waits_with_a_timeout_whose_outcome_is_no_action() -> None:
    states = _asl()["States"]
    approval = states["RequestApproval"]
    assert approval["TimeoutSecondsPath"] == "$.config.approval_timeout_seconds"
    assert approval["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    catches = {c["ErrorEquals"][0]: c["Next"] for c in approval["Catch"]}
    assert catches["States.Timeout"] == "ApprovalTimedOut" and catches["ApprovalRejected"] == "SetRejected"
    # neither the timeout nor the rejection path reaches a remediation state
    for start in ("ApprovalTimedOut", "SetRejected"):
        assert not {"Remediate", "Begin"} & reachable(states, start), start


def test_monitor_path_never_reaches_a_remediation_state() -> None:
    states = _asl()["States"]
    gate = states["PolicyGate"]["Choices"][0]
    assert gate == {"Variable": "$.decision.path", "StringEquals": "monitor", "Next": "RecordAndNotify"}
    assert not {"Begin", "Remediate", "Verify"} & reachable(states, "RecordAndNotify")
