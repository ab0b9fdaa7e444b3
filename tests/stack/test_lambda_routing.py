"""moto's Step Functions emulator must reach our in-process handlers, errors included."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local.aws import ACCOUNT_ID, MOTO_CONFIG, REGION, FunctionSpec
from local.lambda_runtime import FunctionError, InProcessLambdas, route_moto_lambda

HANDLER = '''
def lambda_handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"doubled": event["n"] * 2, "function": context.function_name}
'''

DEFINITION = {
    "StartAt": "Double",
    "States": {
        "Double": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "doubler", "Payload.$": "$"},
            "ResultSelector": {"result.$": "$.Payload"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
            "End": True,
        },
        "Failed": {"Type": "Fail", "Error": "HandlerFailed"},
    },
}


@pytest.fixture
def doubler(tmp_path: Path) -> InProcessLambdas:
    code_dir = tmp_path / "doubler"
    code_dir.mkdir()
    (code_dir / "app.py").write_text(HANDLER)
    spec = FunctionSpec("Doubler", "doubler", f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:doubler",
                        code_dir, "app.lambda_handler", 3, {})
    return InProcessLambdas(specs={"Doubler": spec})


def _run(definition: dict, payload: dict) -> dict:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    lam = boto3.client("lambda", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="doubler", Runtime="python3.12", Role=role, Handler="app.lambda_handler",
                        Code={"ZipFile": b"PK"})
    arn = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("execution did not finish")


def test_given_routed_backend_when_state_machine_invokes_lambda_then_our_handler_answers(doubler):
    with mock_aws(config=MOTO_CONFIG), route_moto_lambda(doubler):
        described = _run(DEFINITION, {"n": 21})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"result": {"doubled": 42, "function": "doubler"}}


def test_given_handler_raises_when_invoked_by_state_machine_then_catch_sees_function_error(doubler):
    with mock_aws(config=MOTO_CONFIG), route_moto_lambda(doubler):
        described = _run(DEFINITION, {"n": 1, "fail": True})
    assert described["status"] == "FAILED"
    assert described.get("error") == "HandlerFailed"


def test_given_handler_raises_when_invoked_directly_then_aws_error_payload(doubler):
    with pytest.raises(FunctionError) as caught:
        doubler.invoke("doubler", {"n": 1, "fail": True})
    assert caught.value.payload["errorType"] == "RuntimeError"
    assert caught.value.payload["errorMessage"] == "asked to fail"
