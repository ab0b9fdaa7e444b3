"""Walk the Postman collection's endpoints (tests/data/fivetran/postman_subset.json, copied from the official
collection) against the served simulator: every request body mirrors the collection's request shape, and every
key of the collection's example response is present in the simulator's answer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.simulator import FivetranSimulator
from local.simulator.rules import PATCHABLE

COLLECTION = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "fivetran" / "postman_subset.json").read_text()
)
MAPS = {"schemas": "schema", "tables": "table", "columns": "column"}  # placeholder key of name-keyed maps
FREE_FORM = {"config", "auth", "source_sync_details", "details", "state"}
PATH_VALUES = {
    ":connectionId": "quiet_harbor",
    ":groupId": "warehouse_snowflake",
    ":schemaName": "billing",
    ":tableName": "invoices",
}

COLUMN = {"enabled": True, "hashed": False, "is_primary_key": False, "masking_algorithm": "PLAINTEXT"}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/connections/:connectionId/resync"): {"scope": {"billing": ["invoices", "payments"]}},
    ("POST", "/v1/connections/:connectionId/sync"): {"force": False},
    ("POST", "/v1/connections/:connectionId/connect-card"): {
        "connect_card_config": {"redirect_uri": "https://ops.example/back", "hide_setup_guide": True}
    },
    ("POST", "/v1/connections/:connectionId/test"): {"trust_certificates": False, "trust_fingerprints": False},
    ("PATCH", "/v1/connections/:connectionId/schemas"): {
        "schemas": {
            "billing": {
                "enabled": True,
                "tables": {"invoices": {"enabled": True, "columns": {"total": COLUMN}, "sync_mode": "LIVE"}},
            }
        },
        "schema_change_handling": "ALLOW_COLUMNS",
    },
    ("POST", "/v1/connections/:connectionId/schemas/tables/resync"): {"billing": ["invoices", "payments"]},
    ("POST", "/v1/connections/:connectionId/schemas/reload"): {"exclude_mode": "PRESERVE"},
    ("PATCH", "/v1/connections/:connectionId/schemas/:schemaName/tables/:tableName"): {
        "enabled": True,
        "columns": {"total": {**COLUMN, "masking_algorithm": "HASHED"}},
        "sync_mode": "HISTORY",
    },
    ("POST", "/v1/webhooks/account"): {
        "events": ["sync_start", "sync_end"],
        "url": "https://127.0.0.1:9/hook",
        "active": False,  # strict: an active webhook is created only after a test delivery succeeds
        "secret": "contract-secret",
    },
    ("POST", "/v1/webhooks/group/:groupId"): {
        "events": ["sync_start", "sync_end"],
        "url": "https://127.0.0.1:9/hook",
        "active": False,  # strict: an active webhook is created only after a test delivery succeeds
        "secret": "contract-secret",
    },
    ("POST", "/v1/webhooks/:webhookId/test"): {"event": "sync_start"},
    ("PATCH", "/v1/connections/:connectionId"): {
        "config": {},
        "auth": {},
        "paused": False,
        "trust_certificates": False,
        "trust_fingerprints": False,
        "networking_method": "Directly",
        "daily_sync_time": "03:00",
        "run_setup_tests": False,
        "sync_frequency": 1440,
        "data_delay_threshold": 0,
        "pause_after_trial": False,
        "is_historical_sync": False,
        "data_delay_sensitivity": "NORMAL",
        "schema_status": "ready",
        "schedule_type": "auto",
        "local_processing_agent_id": None,
        "private_link_id": None,
        "proxy_agent_id": None,
        "hybrid_deployment_agent_id": None,
    },
}


def _items() -> list[dict[str, Any]]:
    return COLLECTION["item"]


def _key(item: dict[str, Any]) -> tuple[str, str]:
    raw = item["request"]["url"]["raw"].replace("{{baseUrl}}", "").split("?")[0]
    return item["request"]["method"], raw


def missing_keys(template: Any, actual: Any, where: str = "") -> list[str]:
    """Keys of the collection's example that the simulator's answer lacks (null values count as present)."""
    if actual is None or not isinstance(template, dict | list):
        return []
    if isinstance(template, list):
        if not template or not isinstance(actual, list):
            return [] if isinstance(actual, list) else [f"{where} (expected a list)"]
        return [m for item in actual for m in missing_keys(template[0], item, f"{where}[]")]
    if not isinstance(actual, dict):
        return [f"{where} (expected an object)"]
    found = []
    for key, value in template.items():
        path = f"{where}.{key}" if where else key
        if key not in actual:
            found.append(path)
        elif key in MAPS and isinstance(value, dict) and MAPS[key] in value and isinstance(actual[key], dict):
            for name, entry in actual[key].items():
                found += missing_keys(value[MAPS[key]], entry, f"{path}.{name}")
        elif key not in FREE_FORM:
            found += missing_keys(value, actual[key], path)
    return found


def same_shape(template: Any, body: Any) -> bool:
    """The concrete request body has the collection body's keys (placeholder map keys renamed)."""
    if not isinstance(template, dict):
        return not isinstance(body, dict) or template == {}
    if set(template) == {"schema"} and isinstance(template["schema"], list):  # {"<schema>": [tables]}
        return isinstance(body, dict) and all(isinstance(v, list) for v in body.values())
    placeholder = next((p for p in MAPS.values() if set(template) == {p}), None)
    if placeholder:
        return isinstance(body, dict) and all(same_shape(template[placeholder], v) for v in body.values())
    if not isinstance(body, dict) or set(body) != set(template):
        return False
    return all(k in FREE_FORM or same_shape(template[k], body[k]) for k in template)


def test_given_collection_subset_when_loaded_then_it_covers_every_implemented_endpoint() -> None:
    keys = {_key(item) for item in _items()}
    assert len(keys) == 17
    assert {k for k in BODIES} <= keys


def test_given_collection_patch_body_when_compared_then_simulator_accepts_every_field() -> None:
    item = next(i for i in _items() if _key(i) == ("PATCH", "/v1/connections/:connectionId"))
    assert set(json.loads(item["request"]["body"]["raw"])) <= PATCHABLE


@pytest.mark.parametrize("item", _items(), ids=lambda i: f"{_key(i)[0]} {_key(i)[1]}")
def test_given_collection_endpoint_when_called_then_response_has_collection_keys(
    item, served: FivetranSimulator, api
) -> None:
    served.inject("amber_falcon", "oauth_expired")  # so that tasks[] are not all empty
    served.advance(3600)
    hook = api.post("/v1/webhooks/account", json=BODIES[("POST", "/v1/webhooks/account")]).json()["data"]
    method, path = _key(item)
    if (method, path) in BODIES and item["request"].get("body"):
        template_body = json.loads(item["request"]["body"]["raw"])
        assert same_shape(template_body, BODIES[(method, path)]), "test body drifted from the collection"
    url = re.sub(r":\w+", lambda m: PATH_VALUES.get(m.group(0), hook["id"]), path)
    response = api.request(
        method, url, json=BODIES.get((method, path)), params={"limit": 100} if method == "GET" else None
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    for example in item["response"]:
        template = json.loads(example["body"])
        assert missing_keys(template, answer) == []
    assert answer["code"] == "Success" and isinstance(answer["message"], str)
