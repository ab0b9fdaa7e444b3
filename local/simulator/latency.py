"""Latency profiles per endpoint and the account quota class of each request: how long a call takes before
Fivetran answers, and whether it answers an error although it acted (the pause that returns 500 after ~60 s,
https://fivetran.com/docs/rest-api/troubleshooting/pause-connector-500-error).

Decided before the call (it depends on whether a sync is running), slept after it, outside the simulator's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local.simulator.quotas import SETUP_TESTS, SOURCE

RELOAD = ("POST", "/v1/connections/{cid}/schemas/reload")
SETUP = ("POST", "/v1/connections/{cid}/test")
COLUMNS = ("GET", "/v1/connections/{cid}/schemas/{schema}/tables/{table}/columns")
PATCH_CONNECTION = ("PATCH", "/v1/connections/{cid}")
SCHEMA_PATCHES = {
    ("PATCH", "/v1/connections/{cid}/schemas"),
    ("PATCH", "/v1/connections/{cid}/schemas/{schema}"),
    ("PATCH", "/v1/connections/{cid}/schemas/{schema}/tables/{table}"),
    ("PATCH", "/v1/connections/{cid}/schemas/{schema}/tables/{table}/columns/{column}"),
}
QUOTA_CLASSES: dict[tuple[str, str], tuple[str, ...]] = {
    SETUP: (SETUP_TESTS, SOURCE),
    RELOAD: (SOURCE,),
    COLUMNS: (SOURCE,),
}
PAUSE_500_TEXT = "Request failed with status code 500"


@dataclass
class Plan:
    seconds: float = 0.0  # simulated
    status: int | None = None  # answer this error after acting (the call did take effect)
    message: str = ""


def plan(sim: Any, method: str, template: str, params: dict[str, str], body: Any) -> Plan:
    profile = sim.fidelity.latency
    key = (method, template)
    if key == RELOAD:
        return Plan(profile.schema_reload)
    if key == SETUP:
        return Plan(profile.setup_tests)
    if key == COLUMNS:
        return Plan(profile.columns)
    cid = params.get("cid", "")
    if not sim.sync_running(cid):
        return Plan(profile.default)
    stuck = cid in sim.faults.sync_stop_failure
    if key == PATCH_CONNECTION and isinstance(body, dict):
        if body.get("paused") is True and set(body) == {"paused"}:
            status = sim.fidelity.pause_syncing_status
            return Plan(profile.pause_syncing, None if status < 400 else status, PAUSE_500_TEXT)
        if set(body) - {"paused"}:
            return Plan(profile.sync_stop_failure if stuck else profile.stop_sync)
    if key in SCHEMA_PATCHES:
        return Plan(profile.sync_stop_failure if stuck else profile.stop_sync)
    return Plan(profile.default)
