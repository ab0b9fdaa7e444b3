"""Jira (REST v2 and v3) and ServiceNow: the real create-issue shapes against respx fakes."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx
from pydantic import SecretStr

from fivetran_recovery.notifiers import Dispatcher, JiraNotifier, Notice, NotifierError, ServiceNowNotifier

BASE = "https://example.atlassian.test"


def notice(kind: str = "approval_request") -> Notice:
    return Notice(
        kind=kind,
        incident_id="inc-7",
        connection_id="lunar_pebble",
        title="Approval needed: schema change",
        summary="a column changed type",
        rca={"category": "schema_drift", "pattern": "x", "confidence": 0.9},
        planned_actions=['[0] pause: PATCH /v1/connections/lunar_pebble {"paused":true}'],
        approval_id="apr-1",
    )


def jira(version: int) -> JiraNotifier:
    return JiraNotifier(
        base_url=BASE,
        email="bot@example.com",
        api_token=SecretStr("jira-token-xyz"),
        project_key="DATA",
        api_version=version,
        http_client=httpx.Client(),
    )


@respx.mock(base_url=BASE)
def test_given_v2_when_creating_then_plain_text_description_and_basic_auth(respx_mock) -> None:
    route = respx_mock.post("/rest/api/2/issue").respond(
        201, json={"id": "10001", "key": "DATA-42", "self": f"{BASE}/rest/api/2/issue/10001"}
    )
    assert jira(2).post(notice()) == {"key": "DATA-42", "id": "10001", "self": f"{BASE}/rest/api/2/issue/10001"}
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"bot@example.com:jira-token-xyz").decode()
    fields = json.loads(request.content)["fields"]
    assert fields["project"] == {"key": "DATA"} and fields["issuetype"] == {"name": "Task"}
    assert fields["summary"].startswith("[Fivetran] Approval needed")
    assert "PATCH /v1/connections/lunar_pebble" in fields["description"]
    assert "incident-inc-7" in fields["labels"]


@respx.mock(base_url=BASE)
def test_given_v3_when_creating_then_atlassian_document_format(respx_mock) -> None:
    route = respx_mock.post("/rest/api/3/issue").respond(201, json={"id": "1", "key": "DATA-1"})
    jira(3).post(notice())
    description = json.loads(route.calls.last.request.content)["fields"]["description"]
    assert description["type"] == "doc" and description["version"] == 1
    assert description["content"][0]["type"] == "paragraph"
    assert description["content"][0]["content"][0] == {"type": "text", "text": "Approval needed: schema change"}


@respx.mock(base_url=BASE)
def test_given_decision_then_comment_added(respx_mock) -> None:
    route = respx_mock.post("/rest/api/2/issue/DATA-42/comment").respond(201, json={"id": "9"})
    jira(2).update({"key": "DATA-42"}, notice(), decided="Approved by ana")
    assert json.loads(route.calls.last.request.content) == {"body": "Approved by ana"}


@respx.mock(base_url=BASE)
def test_given_jira_refuses_then_error_without_credentials(respx_mock) -> None:
    respx_mock.post("/rest/api/2/issue").respond(400, json={"errors": {"project": "invalid"}})
    with pytest.raises(NotifierError, match="HTTP 400") as caught:
        jira(2).post(notice())
    assert "jira-token-xyz" not in str(caught.value)


@respx.mock(base_url=BASE, assert_all_called=False)
def test_given_a_summary_notice_then_no_ticket_is_opened(respx_mock) -> None:
    route = respx_mock.post("/rest/api/2/issue").respond(201, json={"key": "DATA-1"})
    refs, errors = Dispatcher([jira(2)]).post(notice(kind="summary"))
    assert refs == {} and errors == {} and not route.called


@respx.mock(base_url="https://acme.service-now.test")
def test_servicenow_incident_shape(respx_mock) -> None:
    route = respx_mock.post("/api/now/table/incident").respond(
        201, json={"result": {"sys_id": "abc", "number": "INC0010001"}}
    )
    client = ServiceNowNotifier(
        base_url="https://acme.service-now.test", username="bot", password=SecretStr("pw"), http_client=httpx.Client()
    )
    assert client.post(notice()) == {"sys_id": "abc", "number": "INC0010001"}
    body = json.loads(route.calls.last.request.content)
    assert body["short_description"].startswith("[Fivetran]") and body["correlation_id"] == "inc-7"
