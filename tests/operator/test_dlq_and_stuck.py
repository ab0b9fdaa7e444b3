"""The operator's tools for what failed (issue 13): `dlq list|show|redrive` and `stuck`, on moto resources made
from template.yaml (the local stack's AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.models.incident import Incident
from fivetran_recovery.stores.dynamodb_incidents import DynamoIncidentStore
from local.cli import main
from local.commands.stuck import find_stuck

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _dead_letter(sqs, dlq_url: str, connection: str, n: int) -> None:
    body = {"event": "sync_end", "created": "2026-11-25T10:00:00Z", "connection_id": connection,
            "sync_id": f"s{n}", "data": {"status": "FAILURE", "reason": "poison"}}
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps(body), MessageGroupId=connection,
                     MessageDeduplicationId=f"d{n}")


def test_given_dead_lettered_events_when_listed_shown_and_redriven_then_they_return_to_the_queue(aws_stack, capsys):
    sqs = boto3.client("sqs")
    dlq, queue = aws_stack.queues["EventsDeadLetterQueue"], aws_stack.queues["EventsQueue"]
    for n in range(3):
        _dead_letter(sqs, dlq, f"conn_{n}", n)
    assert main(["dlq", "list", "--dlq-url", dlq, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["messages"]
    assert sorted(m["connection_id"] for m in listed) == ["conn_0", "conn_1", "conn_2"]
    assert main(["dlq", "list", "--dlq-url", dlq, "--json"]) == 0  # listing consumed nothing
    assert len(json.loads(capsys.readouterr().out)["messages"]) == 3
    first = listed[0]["id"]
    assert main(["dlq", "show", first, "--dlq-url", dlq]) == 0
    assert json.loads(capsys.readouterr().out)["body"]["data"]["reason"] == "poison"
    assert main(["dlq", "redrive", first, "--dlq-url", dlq, "--queue-url", queue]) == 0
    assert "redrove 1" in capsys.readouterr().out
    back = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"])["connection_id"] for m in back] == [listed[0]["connection_id"]]
    assert back[0]["Attributes"]["MessageGroupId"] == listed[0]["connection_id"]  # per-connection order kept
    assert main(["dlq", "redrive", "--all", "--dlq-url", dlq, "--queue-url", queue]) == 0
    assert main(["dlq", "list", "--dlq-url", dlq, "--json"]) == 0
    assert "redrove 2" in capsys.readouterr().out.splitlines()[0]


def test_given_no_queue_and_no_local_stack_when_dlq_or_stuck_run_then_a_message_names_both_ways(capsys, monkeypatch,
                                                                                                   tmp_path):
    monkeypatch.setenv("FIVETRAN_RECOVERY_STATE", str(tmp_path / "none.json"))  # no `make run` stack
    for name in ("EVENTS_DLQ_URL", "EVENTS_QUEUE_URL", "INCIDENTS_TABLE", "STATE_MACHINE_ARN"):
        monkeypatch.delenv(name, raising=False)
    for argv in (["dlq", "list"], ["dlq", "show", "m-1"], ["dlq", "redrive", "--all"], ["stuck"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "make run" in err and "--" in err, (argv, err)


@pytest.fixture
def local_stack_api(aws_stack, monkeypatch, tmp_path):
    """The CLI's way to a running local stack (its state file, then HTTP to the control routes the stack adds to
    its gateway), on moto resources from the template: the same path as `make run`, without starting the rest."""
    from local.commands._client import write_state
    from local.control import control_routes
    from local.gateway import LocalGateway

    monkeypatch.setenv("FIVETRAN_RECOVERY_STATE", str(tmp_path / "local.json"))
    for name in ("EVENTS_DLQ_URL", "EVENTS_QUEUE_URL", "INCIDENTS_TABLE", "STATE_MACHINE_ARN",
                 "FIVETRAN_RECOVERY_API_URL", "FIVETRAN_RECOVERY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with LocalGateway(control_routes(aws_stack)) as gateway:
        write_state({"base_url": gateway.base_url})
        yield aws_stack, gateway


def test_given_a_local_stack_when_dlq_list_show_redrive_and_stuck_run_without_flags_then_they_use_it(
        local_stack_api, capsys):
    resources, gateway = local_stack_api
    sqs = boto3.client("sqs")
    dlq, queue = resources.queues["EventsDeadLetterQueue"], resources.queues["EventsQueue"]
    for n in range(2):
        _dead_letter(sqs, dlq, f"conn_{n}", n)
    assert main(["dlq", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["messages"]
    assert sorted(m["connection_id"] for m in listed) == ["conn_0", "conn_1"]
    assert main(["dlq", "list"]) == 0 and "2 dead-lettered event(s)" in capsys.readouterr().out
    assert main(["dlq", "show", listed[0]["id"]]) == 0
    assert json.loads(capsys.readouterr().out)["body"]["data"]["reason"] == "poison"
    assert main(["dlq", "show", "no-such-id"]) == 1 and "no message no-such-id" in capsys.readouterr().err
    assert main(["dlq", "redrive", listed[0]["id"], "nope"]) == 1  # one moved, one not found
    assert "redrove 1 event(s); not found: nope" in capsys.readouterr().out
    back = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["connection_id"] for m in back] == [listed[0]["connection_id"]]
    assert main(["dlq", "redrive", "--all"]) == 0 and "redrove 1" in capsys.readouterr().out
    assert main(["stuck", "--json"]) == 0 and json.loads(capsys.readouterr().out) == {"stuck": []}
    confirmed = datetime.now(UTC) - timedelta(hours=1)
    DynamoIncidentStore(client=boto3.client("dynamodb"), table_name=resources.tables["IncidentsTable"]).create(
        Incident(id="inc-old", fingerprint="inc-old:fp", signature="network:reset", connection_id="c",
                 category=Category.NETWORK, pattern="reset", first_seen=confirmed, last_seen=confirmed,
                 confirmed_at=confirmed))
    assert main(["stuck"]) == 1  # something is stuck: exit 1, as against AWS
    out = capsys.readouterr().out
    assert "inc-old" in out and "no_workflow" in out and "1 stuck" in out, out
    unauthorised = gateway.dispatch("GET", "/__local/dlq", {}, b"")
    assert unauthorised.status == 401  # the control routes want the local token


class _Executions:
    """Step Functions' list/describe for a few executions (moto runs the ASL for real; these are canned)."""

    def __init__(self, executions: list[dict]):
        self.executions = executions

    def get_paginator(self, name):
        outer = self

        class Pages:
            def paginate(self, stateMachineArn, statusFilter):
                yield {"executions": [e for e in outer.executions if e["status"] == statusFilter]}

        return Pages()

    def describe_execution(self, executionArn):
        return {"error": "SetError", "cause": "Fivetran answered 502"}


def test_given_confirmed_without_workflow_failed_and_long_running_then_stuck_lists_each(aws_stack):
    table = aws_stack.tables["IncidentsTable"]
    store = DynamoIncidentStore(client=boto3.client("dynamodb"), table_name=table)
    for name, confirmed in (("inc-old", NOW - timedelta(hours=1)), ("inc-fresh", NOW - timedelta(seconds=10))):
        store.create(Incident(id=name, fingerprint=f"{name}:fp", signature="network:reset", connection_id=name,
                              category=Category.NETWORK, pattern="reset", first_seen=confirmed, last_seen=confirmed,
                              confirmed_at=confirmed))
    sfn = _Executions([
        {"name": "inc-a", "executionArn": "arn:a", "status": "FAILED", "startDate": NOW - timedelta(hours=2),
         "stopDate": NOW - timedelta(hours=1)},
        {"name": "inc-b", "executionArn": "arn:b", "status": "RUNNING", "startDate": NOW - timedelta(hours=30)},
        {"name": "inc-c", "executionArn": "arn:c", "status": "RUNNING", "startDate": NOW - timedelta(hours=1)},
        {"name": "inc-d", "executionArn": "arn:d", "status": "TIMED_OUT", "startDate": NOW - timedelta(days=3),
         "stopDate": NOW - timedelta(days=2)},
    ])
    found = find_stuck(dynamodb=boto3.client("dynamodb"), sfn=sfn, incidents_table=table, state_machine_arn="arn:m",
                       now=NOW, no_workflow_after=timedelta(minutes=6), running_after=timedelta(hours=26),
                       failed_since=timedelta(hours=24))
    assert sorted((f["kind"], f["incident_id"]) for f in found) == [
        ("failed", "inc-a"), ("no_workflow", "inc-old"), ("running_long", "inc-b")]
    assert "502" in next(f for f in found if f["kind"] == "failed")["detail"]
