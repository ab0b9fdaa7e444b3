"""The SQS and Step Functions samples in events/ are what the functions really receive."""

from __future__ import annotations

import json

from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.models.workflow import WorkflowInput
from local.lambda_runtime import InProcessLambdas
from local.template import REPO_ROOT

EVENTS = REPO_ROOT / "events"


def test_given_sqs_sample_when_diagnose_handles_it_then_no_batch_item_fails_and_history_is_recorded(aws_stack, monkeypatch):
    monkeypatch.setenv("NOTIFIERS", "console")
    monkeypatch.setenv("PAGERDUTY_SECRET_ID", "")
    monkeypatch.setenv("FIVETRAN_API_URL", "http://127.0.0.1:9/v1")  # unreachable: context gathering must cope
    from fivetran_recovery.config import get_recovery_config

    get_recovery_config.cache_clear()
    event = json.loads((EVENTS / "sqs" / "diagnose_batch.json").read_text())
    webhook = WebhookEvent.model_validate_json(event["Records"][0]["body"])
    lambdas = InProcessLambdas(specs=aws_stack.functions)
    response = lambdas.invoke("DiagnoseFunction", event)
    assert response == {"batchItemFailures": []}
    import boto3

    history = boto3.client("dynamodb").query(
        TableName=aws_stack.tables["ConnectionHistoryTable"], KeyConditionExpression="connection_id = :c",
        ExpressionAttributeValues={":c": {"S": webhook.connection_id}})["Items"]
    assert len(history) == 1
    again = lambdas.invoke("DiagnoseFunction", event)  # a redelivery: idempotent on the event key
    assert again == {"batchItemFailures": []}
    recorded = boto3.client("dynamodb").query(
        TableName=aws_stack.tables["ConnectionHistoryTable"], KeyConditionExpression="connection_id = :c",
        ExpressionAttributeValues={":c": {"S": webhook.connection_id}})["Items"]
    assert len(recorded) == 1, "the redelivery was not recorded a second time"
    get_recovery_config.cache_clear()


def test_given_sweep_sample_when_diagnose_handles_it_then_it_confirms_nothing_on_an_empty_stack(aws_stack, monkeypatch):
    monkeypatch.setenv("NOTIFIERS", "console")
    lambdas = InProcessLambdas(specs=aws_stack.functions)
    event = json.loads((EVENTS / "scheduler" / "diagnose_sweep.json").read_text())
    assert lambdas.invoke("DiagnoseFunction", event) == {"confirmed": 0}


def test_given_step_functions_sample_when_validated_then_it_is_a_workflow_input():
    sample = json.loads((EVENTS / "stepfunctions" / "recovery_input_schema_change_breaking.json").read_text())
    workflow = WorkflowInput.model_validate(sample)
    assert workflow.decision.path == "approval" and workflow.playbook.id == "schema_change_breaking"
