"""template.yaml and the state machine are checked offline: SAM transform, cfn-lint, ASL references, moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from local.template import REPO_ROOT, load_template, resources_of_type
from local.template_check import check_template, dangling_state_references

TEMPLATE = REPO_ROOT / "template.yaml"
ASL = REPO_ROOT / "statemachine" / "recovery.asl.json"


def test_given_repo_template_when_transformed_and_linted_then_no_findings():
    assert check_template(TEMPLATE) == []


def test_given_a_reference_to_a_missing_resource_when_checked_then_a_finding_names_it(tmp_path: Path):
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace("!Ref IncidentsTable", "!Ref IncidentsTabel", 1))
    findings = check_template(broken)
    assert any("IncidentsTabel" in line for line in findings), findings


def test_given_repo_state_machine_when_references_checked_then_every_target_exists():
    assert dangling_state_references(json.loads(ASL.read_text())) == []


def test_given_a_next_naming_a_missing_state_when_checked_then_it_is_reported():
    definition = json.loads(ASL.read_text())
    first = definition["StartAt"]
    definition["States"][first].pop("End", None)
    definition["States"][first]["Next"] = "NoSuchState"
    assert any("NoSuchState" in p for p in dangling_state_references(definition))


def test_given_audit_table_when_policies_read_then_no_function_may_update_or_delete_it():
    template = load_template()
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        text = json.dumps(function["Properties"].get("Policies", []))
        for policy in function["Properties"].get("Policies", []):
            if isinstance(policy, dict) and any(k.startswith("DynamoDBCrud") for k in policy):
                assert "AuditTable" not in json.dumps(policy), f"{name} gets CRUD on the audit table"
        for statement in _statements(function["Properties"].get("Policies", [])):
            if "AuditTable" in json.dumps(statement.get("Resource")):  # a grant on another table may update it
                actions = json.dumps(statement.get("Action"))
                assert "UpdateItem" not in actions and "DeleteItem" not in actions and "*" not in actions, name
        assert "AuditTable" not in text or "dynamodb:*" not in text, name


def _statements(node):
    """Every IAM statement (a mapping with Action and Resource) anywhere under `node`, !If branches included."""
    if isinstance(node, dict):
        if "Action" in node and "Resource" in node:
            yield node
        for value in node.values():
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def test_given_template_when_created_in_moto_then_state_machine_loads_and_queue_is_fifo_with_dlq(aws_stack):
    sfn = boto3.client("stepfunctions")
    machine = sfn.describe_state_machine(stateMachineArn=aws_stack.state_machines["RecoveryStateMachine"])
    assert json.loads(machine["definition"])["StartAt"]
    assert "${" not in machine["definition"], "every DefinitionSubstitution must be resolved"
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws_stack.queues["EventsQueue"], AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 5


@pytest.mark.parametrize("table", ["IncidentsTable", "ConnectionHistoryTable", "ApprovalsTable", "AuditTable",
                                   "IdempotencyTable"])
def test_given_template_tables_when_created_in_moto_then_key_schema_matches_template(aws_stack, table):
    described = boto3.client("dynamodb").describe_table(TableName=aws_stack.tables[table])["Table"]
    expected = load_template()["Resources"][table]["Properties"]["KeySchema"]
    assert described["KeySchema"] == expected
