"""Approvals: only an authorised approver decides, once; forged, stale or replayed requests are refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest

from fivetran_recovery.approvals import ApproverDirectory, AuthError
from fivetran_recovery.approvals.api import route
from fivetran_recovery.composition.approve import approval_service
from local.defaults import LOCAL_APPROVER_TOKEN, LOCAL_SLACK_SIGNING_SECRET

AUTH = {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}


class RecordingSfn:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def send_task_success(self, **kwargs) -> None:
        self.calls.append(("success", kwargs))

    def send_task_failure(self, **kwargs) -> None:
        self.calls.append(("failure", kwargs))


@pytest.fixture
def approvals(harness):
    sfn = RecordingSfn()
    harness.adapters.override(sfn=sfn)
    record = harness.adapters.approvals.create(
        incident_id="inc-9",
        connection_id="quiet_harbor",
        task_token="secret-task-token-123",
        timeout_seconds=600,
        playbook_id="retry_with_backoff",
        planned_actions=["[1] sync_now: POST /v1/connections/quiet_harbor/sync"],
        rca={"summary": "blip"},
        reasons=["recommend mode"],
    )
    return harness, sfn, record["approval_id"]


def call(harness, method: str, path: str, headers: dict | None = None, body: str = "") -> tuple[int, dict]:
    event = {
        "rawPath": path,
        "headers": headers or {},
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {"http": {"method": method, "path": path}, "stage": "$default"},
    }
    response = route(event, approval_service(harness.adapters))
    return response["statusCode"], json.loads(response["body"])


def slack(
    approval_id: str,
    *,
    action: str = "approve",
    user: str = "U0LOCALAPPROVER",
    timestamp: int | None = None,
    secret: str = LOCAL_SLACK_SIGNING_SECRET,
) -> tuple[dict, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    payload = {"type": "block_actions", "user": {"id": user}, "actions": [{"action_id": action, "value": approval_id}]}
    body = urlencode({"payload": json.dumps(payload)})
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": str(timestamp), "x-slack-signature": signature}, body


def decide(harness, approval_id: str, headers: dict, decision: str = "approve") -> tuple[int, dict]:
    return call(
        harness,
        "POST",
        f"/approvals/{approval_id}/decision",
        headers,
        json.dumps({"decision": decision, "comment": "looks right"}),
    )


def test_given_valid_approver_when_approving_then_workflow_resumes_once(approvals) -> None:
    harness, sfn, approval_id = approvals
    status, body = decide(harness, approval_id, AUTH)
    assert status == 200 and body["decided_by"] == "local-approver"
    assert sfn.calls == [("success", sfn.calls[0][1])]
    assert json.loads(sfn.calls[0][1]["output"])["status"] == "approved"
    assert sfn.calls[0][1]["taskToken"] == "secret-task-token-123"
    status, body = decide(harness, approval_id, AUTH, "reject")
    assert status == 409 and body["status"] == "approved"
    assert len(sfn.calls) == 1
    audit = [r for r in harness.adapters.audit.for_incident("inc-9") if r.kind == "approval"]
    assert [(r.actor, r.detail["decision"]) for r in audit] == [("local-approver", "approved")]


def test_given_reject_then_task_failure_with_rejected_error(approvals) -> None:
    harness, sfn, approval_id = approvals
    assert decide(harness, approval_id, AUTH, "reject")[0] == 200
    assert sfn.calls[0][0] == "failure" and sfn.calls[0][1]["error"] == "ApprovalRejected"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, 401),
        ({"authorization": "Bearer not-the-token-at-all"}, 401),
        ({"authorization": "Basic bG9jYWw6bG9jYWw="}, 401),
        ({"authorization": "Bearer short"}, 401),
    ],
)
def test_given_forged_api_credentials_when_deciding_then_refused(approvals, headers, expected) -> None:
    harness, sfn, approval_id = approvals
    status, body = decide(harness, approval_id, headers)
    assert status == expected and "error" in body
    assert sfn.calls == []
    assert harness.adapters.approvals.get(approval_id)["status"] == "pending"


def test_given_bad_body_or_unknown_approval_then_clear_errors(approvals) -> None:
    harness, _sfn, approval_id = approvals
    status, body = call(harness, "POST", f"/approvals/{approval_id}/decision", AUTH, '{"decision": "maybe"}')
    assert status == 400 and "decision" in body["error"]
    assert decide(harness, "apr-unknown", AUTH)[0] == 404
    assert call(harness, "DELETE", f"/approvals/{approval_id}", AUTH)[0] == 404


def test_given_show_then_auth_required_and_token_never_returned(approvals) -> None:
    harness, _sfn, approval_id = approvals
    assert call(harness, "GET", f"/approvals/{approval_id}")[0] == 401
    status, body = call(harness, "GET", f"/approvals/{approval_id}", AUTH)
    assert status == 200 and body["status"] == "pending" and body["planned_actions"]
    assert "secret-task-token-123" not in json.dumps(body)


def test_given_signed_slack_click_from_allowed_user_then_decided_and_replay_refused(approvals) -> None:
    harness, sfn, approval_id = approvals
    headers, body = slack(approval_id)
    assert call(harness, "POST", "/slack/interactions", headers, body)[0] == 200
    status, answer = call(harness, "POST", "/slack/interactions", headers, body)
    assert status == 409 and answer["status"] == "approved"
    assert len(sfn.calls) == 1


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"secret": "forged-signing-secret"}, 401),
        ({"timestamp": int(time.time()) - 301}, 401),
        ({"user": "U0STRANGER"}, 403),
    ],
)
def test_given_forged_stale_or_unlisted_slack_request_then_refused(approvals, kwargs, expected) -> None:
    harness, sfn, approval_id = approvals
    headers, body = slack(approval_id, **kwargs)
    status, answer = call(harness, "POST", "/slack/interactions", headers, body)
    assert status == expected and "error" in answer
    assert sfn.calls == []


def test_given_tampered_slack_body_then_refused(approvals) -> None:
    harness, sfn, approval_id = approvals
    headers, body = slack(approval_id, action="reject")
    tampered = body.replace("reject", "approve")
    assert call(harness, "POST", "/slack/interactions", headers, tampered)[0] == 401
    assert sfn.calls == []


def test_given_expired_approval_then_refused(approvals) -> None:
    harness, sfn, approval_id = approvals
    harness.sim.advance(601)  # the harness' clock is the simulator's
    status, body = decide(harness, approval_id, AUTH)
    assert status == 409 and "expired" in body["error"]
    assert sfn.calls == []


def test_directory_compares_hashes_only() -> None:
    digest = hashlib.sha256(b"a-long-enough-token-1").hexdigest()
    directory = ApproverDirectory.from_secret({"approvers": {"ana": digest}, "slack_user_ids": ["U1"]})
    assert directory.authenticate_bearer("Bearer a-long-enough-token-1") == "ana"
    with pytest.raises(AuthError):
        directory.authenticate_bearer(f"Bearer {digest}")  # knowing the stored hash is not enough
    assert directory.slack_user_allowed("U1") and not directory.slack_user_allowed("U2")


def test_given_resolution_for_a_plan_without_unresolved_steps_then_refused(approvals) -> None:
    harness, sfn, approval_id = approvals
    body = json.dumps({"decision": "approve", "resolve": {"exclude_columns": {"s.t": ["c"]}}})
    status, answer = call(harness, "POST", f"/approvals/{approval_id}/decision", AUTH, body)
    assert status == 400 and "unresolved" in answer["error"]
    assert sfn.calls == [] and harness.adapters.approvals.get(approval_id)["status"] == "pending"


@pytest.mark.parametrize("field", ["x-slack-signature", "x-slack-request-timestamp"])
def test_given_non_ascii_slack_signature_or_timestamp_then_401_not_500(approvals, field) -> None:
    harness, sfn, approval_id = approvals
    headers, body = slack(approval_id)
    headers = {**headers, field: "v0=ünïcødé" if field == "x-slack-signature" else "\u0661\u0667" + "\u0660" * 8}
    status, answer = call(harness, "POST", "/slack/interactions", headers, body)
    assert status == 401 and "error" in answer
    assert sfn.calls == []


# -- change control: teams, two approvers, checked resolutions (issue 12) ------------------------------------
ANA, BOB = "ana-token-0123456789abcdef", "bob-token-0123456789abcdef"


class TeamSecrets:
    """The approver secret with teams: ana approves for finance-data, bob for data-platform, root is an admin."""

    def __init__(self, inner, approver_secret_id: str) -> None:
        self.inner, self.approver_secret_id = inner, approver_secret_id

    def get(self, secret_id: str):
        if secret_id != self.approver_secret_id:
            return self.inner.get(secret_id)
        digest = lambda token: hashlib.sha256(token.encode()).hexdigest()  # noqa: E731
        return {"approvers": {"ana": digest(ANA), "bob": digest(BOB), "root": digest(LOCAL_APPROVER_TOKEN)},
                "slack_user_ids": ["U0LOCALAPPROVER"], "teams": {"ana": ["finance-data"], "bob": ["data-platform"]},
                "admins": ["root"]}


@pytest.fixture
def scoped(harness):
    sfn = RecordingSfn()
    harness.adapters.override(sfn=sfn, secrets=TeamSecrets(harness.adapters.secrets,
                                                           harness.adapters.config.approver_secret_id))

    def create(*, team="data-platform", risk="low", critical=False, affected=(), unresolved=None):
        policy = {"team": team, "risk": risk, "critical": critical, "two_person": risk == "high" and critical,
                  "affected_tables": list(affected)}
        return harness.adapters.approvals.create(
            incident_id="inc-9", connection_id="lunar_pebble", task_token="tok", timeout_seconds=600,
            playbook_id="schema_change_breaking", planned_actions=[], rca={}, reasons=[],
            unresolved_steps=unresolved, policy=policy)["approval_id"]

    return harness, sfn, create


def test_given_an_approver_of_another_team_then_403_with_the_reason_and_an_admin_may(scoped) -> None:
    harness, sfn, create = scoped
    approval_id = create(team="data-platform")
    status, body = decide(harness, approval_id, {"authorization": f"Bearer {ANA}"})
    assert status == 403 and "ana approves for finance-data" in body["error"] and "data-platform" in body["error"]
    assert sfn.calls == []
    assert decide(harness, approval_id, {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"})[0] == 200  # admin


def test_given_high_risk_on_a_critical_connection_then_two_different_approvers(scoped) -> None:
    harness, sfn, create = scoped
    approval_id = create(team="data-platform", risk="high", critical=True)
    first = decide(harness, approval_id, {"authorization": f"Bearer {BOB}"})
    assert first[0] == 202 and "second, different approver" in first[1]["waiting_for"] and sfn.calls == []
    again = decide(harness, approval_id, {"authorization": f"Bearer {BOB}"})
    assert again[0] == 409 and "bob already approved" in again[1]["error"] and sfn.calls == []
    second = decide(harness, approval_id, {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"})
    assert second[0] == 200 and second[1]["decided_by"] == "bob + root" and sfn.calls[0][0] == "success"


def test_given_resolve_columns_outside_the_schema_or_the_plan_then_refused_with_the_reason(scoped) -> None:
    harness, sfn, create = scoped
    schema = harness.adapters.fivetran.full_schema_config("lunar_pebble").model_dump(mode="json")
    schema_name = next(iter(schema["schemas"]))
    table = next(iter(schema["schemas"][schema_name]["tables"]))
    column = next(iter(schema["schemas"][schema_name]["tables"][table]["columns"]))
    approval_id = create(affected=[f"{schema_name}.{table}"], unresolved=[2])
    root = {"authorization": f"Bearer {LOCAL_APPROVER_TOKEN}"}

    def resolve(ref: str, columns: list[str]) -> tuple[int, dict]:
        body = json.dumps({"decision": "approve", "resolve": {"exclude_columns": {ref: columns}}})
        return call(harness, "POST", f"/approvals/{approval_id}/decision", root, body)

    status, body = resolve("public.t", ["c"])  # the example: an object the connection does not have
    assert status == 400 and "public.t is not a table of this connection's schema" in body["error"]
    status, body = resolve(f"{schema_name}.{table}", ["no_such_column"])
    assert status == 400 and "no_such_column not in" in body["error"]
    assert sfn.calls == []
    assert resolve(f"{schema_name}.{table}", [column])[0] == 200
