"""Each function's IAM policy may not grow beyond the reviewed list in tests/template/iam_reviewed.json.

The list is (policy template or action, resource) per function, as written in template.yaml. A new grant fails this
test until someone adds it to the reviewed file, on purpose, in the same change (and a reviewer sees it there).
"""

from __future__ import annotations

import json
from pathlib import Path

from local.template import load_template

REVIEWED = Path(__file__).with_name("iam_reviewed.json")


def _text(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def grants(template: dict) -> dict[str, list[str]]:
    """function logical id -> sorted grants: `Template {args}` for SAM policy templates, `action on resource`."""
    found: dict[str, list[str]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        rows: list[str] = []
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            if isinstance(policy, str):
                rows.append(policy)
                continue
            for name, args in policy.items():
                if name != "Statement":
                    rows.append(f"{name} {_text(args)}")
                    continue
                for statement in args:
                    actions = statement.get("Action")
                    for action in actions if isinstance(actions, list) else [actions]:
                        rows.append(f"{statement.get('Effect', 'Allow')} {action} on {_text(statement.get('Resource'))}"
                                    + (f" if {_text(statement['Condition'])}" if "Condition" in statement else ""))
        found[logical_id] = sorted(set(rows))
    return found


def test_given_the_template_then_no_function_holds_a_grant_that_was_not_reviewed() -> None:
    reviewed = json.loads(REVIEWED.read_text())
    current = grants(load_template())
    unreviewed = {fn: sorted(set(rows) - set(reviewed.get(fn, []))) for fn, rows in current.items()}
    assert {fn: rows for fn, rows in unreviewed.items() if rows} == {}, (
        "new IAM grants: review them and add them to tests/template/iam_reviewed.json")


def test_given_the_reviewed_list_then_it_names_only_grants_that_still_exist() -> None:
    reviewed = json.loads(REVIEWED.read_text())
    current = grants(load_template())
    stale = {fn: sorted(set(rows) - set(current.get(fn, []))) for fn, rows in reviewed.items()}
    assert {fn: rows for fn, rows in stale.items() if rows} == {}, "remove grants the template no longer has"


def test_diagnose_may_describe_its_own_executions_only() -> None:
    diagnose = grants(load_template())["DiagnoseFunction"]
    describe = [g for g in diagnose if "states:DescribeExecution" in g]
    assert len(describe) == 1 and "execution:${RecoveryStateMachine.Name}:*" in describe[0]


def test_only_diagnose_may_invoke_bedrock_and_only_the_chosen_model_when_bedrock_is_chosen() -> None:
    template = load_template()
    holders = {fn for fn, rows in grants(template).items() if any("bedrock:" in row for row in rows)}
    assert holders == {"DiagnoseFunction"}
    bedrock = [p for p in template["Resources"]["DiagnoseFunction"]["Properties"]["Policies"]
               if isinstance(p, dict) and "Fn::If" in p and p["Fn::If"][0] == "UseBedrock"]
    assert len(bedrock) == 1
    statement = bedrock[0]["Fn::If"][1]["Statement"][0]
    assert statement["Action"] == ["bedrock:InvokeModel"]
    assert statement["Resource"]["Fn::Sub"].endswith("::foundation-model/${BedrockModelId}")
    assert template["Conditions"]["UseBedrock"] == {"Fn::Equals": [{"Ref": "LlmProvider"}, "bedrock"]}


def test_predict_touches_only_its_own_keys_in_the_incidents_table() -> None:
    rows = grants(load_template())["PredictFunction"]
    on_incidents = [row for row in rows if "IncidentsTable" in row]
    assert on_incidents and all("dynamodb:LeadingKeys" in row for row in on_incidents)
    writes = [row for row in on_incidents if "PutItem" in row]
    assert writes and all("OVERRIDE#" not in row for row in writes)  # operators' stops: read only


def test_given_the_template_then_only_the_approve_function_can_resume_a_waiting_workflow() -> None:
    # states:SendTask* accept only Resource "*" in IAM (a task token is not a resource), so holding them at all is
    # the whole grant: one function, the one that records a human's decision first.
    holders = {fn for fn, rows in grants(load_template()).items() if any("states:SendTask" in r for r in rows)}
    assert holders == {"ApproveFunction"}
