"""The terminal commands against a running local stack, found with no flags (the state file `serve` writes):
incidents, approvals (approve with --exclude), status, audit verify|show, simulator inject; and the story the
narrator tells after the demo."""

from __future__ import annotations

import io
import json

import pytest

from local.cli import main
from local.commands._client import write_state
from local.drill import steps
from local.narrator import Narrator
from tests.console.conftest import wait_for

pytestmark = pytest.mark.e2e
CONNECTION = "lunar_pebble"


@pytest.fixture(scope="module")
def running(console_stack, tmp_path_factory):
    state = tmp_path_factory.mktemp("state") / "local.json"
    mp = pytest.MonkeyPatch()
    mp.setenv("FIVETRAN_RECOVERY_STATE", str(state))
    mp.delenv("FIVETRAN_RECOVERY_API_URL", raising=False)
    mp.delenv("FIVETRAN_RECOVERY_TOKEN", raising=False)
    mp.delenv("FIVETRAN_SIMULATOR_URL", raising=False)
    write_state({"base_url": console_stack.base_url, "simulator_url": f"{console_stack.simulator_url}/v1",
                 "mode": "auto"})
    yield console_stack
    mp.undo()


def run_json(capsys, *argv: str):
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_given_a_running_stack_when_the_cli_drives_a_breaking_change_then_it_is_approved_and_audited(
    running, capsys
):
    story = io.StringIO()
    narrator = Narrator(running, story)
    narrator.mark_seen()
    assert main(["simulator", "inject", CONNECTION, "schema_change_breaking"]) == 0  # no --url: the stack's
    capsys.readouterr()
    approval = wait_for(lambda: next((a for a in run_json(capsys, "approvals", "list", "--json")["approvals"]
                                      if a["connection_id"] == CONNECTION), None), timeout=60, what="the approval")
    assert main(["approvals", "approve", approval["approval_id"]]) == 1  # the plan needs input
    assert "need input" in capsys.readouterr().err
    decided = run_json(capsys, "approvals", "approve", approval["approval_id"], "--exclude",
                       "events.page_view:viewed_at", "--json")
    assert decided["status"] == "approved"
    runs = wait_for(lambda: steps.finished(running, CONNECTION), timeout=90, what="the workflow")
    assert runs[-1]["status"] == "SUCCEEDED"

    listing = run_json(capsys, "incidents", "--json")
    assert approval["incident_id"] in [i["id"] for i in listing["incidents"]]
    shown = run_json(capsys, "incidents", "show", approval["incident_id"], "--json")
    assert [e["kind"] for e in shown["timeline"]][:2] == ["diagnosis", "workflow_started"]
    assert main(["incidents", "show", approval["incident_id"]]) == 0
    assert "verification verified" in capsys.readouterr().out

    assert main(["audit", "verify"]) == 0
    assert "chains intact" in capsys.readouterr().out
    records = run_json(capsys, "audit", "show", approval["incident_id"], "--json")
    assert any(r["kind"] == "approval" and r["actor"] == "local-approver" for r in records)
    status = run_json(capsys, "status", "--json")
    assert status["running"] and status["urls"]["console"] == f"{running.base_url}/console"

    narrator.poll()
    told = story.getvalue()
    for expected in ("webhook sync_end FAILURE: queued", "opened: schema_drift", "Fivetran API: PATCH",
                     "approved by local-approver via api", "verification verified"):
        assert expected in told, told


def test_given_no_stack_when_a_command_needs_one_then_one_line_and_non_zero(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FIVETRAN_RECOVERY_STATE", str(tmp_path / "none.json"))
    monkeypatch.setenv("PORT", "9")
    monkeypatch.delenv("AUDIT_TABLE", raising=False)  # no table given: the API of the (absent) stack
    for argv in (["incidents"], ["approvals", "list"], ["status"], ["audit", "verify"]):
        assert main(argv) != 0
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot reach the local stack" in err[0], (argv, err)
    assert main(["approvals", "reject", "apr-x", "--comment", " "]) == 2


def test_given_a_running_stack_when_dlq_and_stuck_run_without_flags_then_they_read_its_resources(running, capsys):
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")  # the stack's moto, in this process
    dlq = running.resources.queues["EventsDeadLetterQueue"]
    body = {"event": "sync_end", "connection_id": "ghost_conn", "data": {"status": "FAILURE", "reason": "poison"}}
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(body), MessageGroupId="ghost_conn",
                     MessageDeduplicationId="cli-dlq-1")
    listed = run_json(capsys, "dlq", "list", "--json")["messages"]
    assert [m["connection_id"] for m in listed] == ["ghost_conn"]
    assert run_json(capsys, "dlq", "show", listed[0]["id"])["body"]["data"]["reason"] == "poison"
    code = main(["stuck", "--json"])
    rows = json.loads(capsys.readouterr().out)["stuck"]
    assert code == (1 if rows else 0) and {r["kind"] for r in rows} <= {"no_workflow", "failed", "running_long"}
