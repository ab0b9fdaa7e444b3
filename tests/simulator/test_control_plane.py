"""The simulator's control plane over HTTP (inject, reauth, clear, advance, faults), API guards (auth, Accept,
routes), the Statuspage-shaped status feed, the ticker, and the `fivetran-recovery simulator` CLI."""

from __future__ import annotations

import json
import time

import pytest

from local.cli import main
from local.simulator import FivetranSimulator
from local.simulator.options import FAST


def test_given_http_inject_when_scenario_named_then_applied_with_options(api, served) -> None:
    response = api.post(
        "/__sim/connections/quiet_harbor/inject", json={"scenario": "warehouse_suspended", "failures": 2}
    )
    assert response.status_code == 200
    assert response.json()["injected"][0]["options"] == {"failures": 2, "group": False}
    assert served.scenario_of("quiet_harbor")["scenario"] == "warehouse_suspended"
    bad = api.post("/__sim/connections/quiet_harbor/inject", json={"scenario": "meteor"})
    assert bad.status_code == 400 and "unknown scenario" in bad.json()["message"]
    missing = api.post("/__sim/connections/ghost/inject", json={"scenario": "rate_limit"})
    assert missing.status_code == 404 and missing.json()["code"] == "NotFound_Connector"


def test_given_oauth_flow_over_http_when_card_completed_then_connection_heals(api, served) -> None:
    api.post("/__sim/connections/amber_falcon/inject", json={"scenario": "oauth_expired"})
    api.post("/__sim/advance", json={"seconds": 3600})
    assert api.get("/v1/connections/amber_falcon").json()["data"]["status"]["tasks"][0]["code"] == "reconnect"
    assert api.post("/__sim/connections/amber_falcon/complete_reauth").status_code == 400  # no card yet
    card = api.post("/v1/connections/amber_falcon/connect-card", json={"connect_card_config": {}}).json()["data"]
    assert card["connector_id"] == "amber_falcon" and card["connect_card"]["token"]
    healed = api.post("/__sim/connections/amber_falcon/complete_reauth").json()["connection"]
    assert healed["status"]["setup_state"] == "connected"


def test_given_clear_over_http_when_duplicate_keys_removed_then_scenario_gone(api, served) -> None:
    api.post("/__sim/connections/vivid_lantern/inject", json={"scenario": "duplicate_primary_key"})
    assert api.post("/__sim/connections/vivid_lantern/clear").status_code == 200
    assert served.scenario_of("vivid_lantern") is None


def test_given_fault_endpoint_when_rate_limit_armed_then_429_with_retry_after(api, served) -> None:
    api.post("/__sim/faults", json={"kind": "rate_limit", "count": 1, "retry_after": 7})
    limited = api.get("/v1/connections")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["code"] == "TooManyRequests"
    assert api.get("/v1/connections").status_code == 200
    api.post("/__sim/faults", json={"kind": "server_error", "status": 502})
    assert api.get("/v1/connections").status_code == 502
    assert api.post("/__sim/faults", json={"kind": "earthquake"}).status_code == 400
    api.post("/__sim/faults", json={"sync_stop_failure": ["vivid_lantern"]})
    api.post("/__sim/advance", json={"seconds": 61})
    blocked = api.patch("/v1/connections/vivid_lantern", json={"sync_frequency": 60})
    assert blocked.status_code == 500  # the docs give the text, not the status: Fidelity.sync_stop_failure_status
    assert blocked.json()["message"] == "Failed to stop in-progress sync after trying for 60 seconds"
    assert api.delete("/__sim/faults").json() == {"faults": [], "sync_stop_failure": []}


def test_given_slow_fault_when_requested_then_answer_is_delayed(api, served) -> None:
    api.post("/__sim/faults", json={"kind": "slow", "seconds": 0.3})
    started = time.perf_counter()
    assert api.get("/v1/connections/vivid_lantern").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_given_api_guards_when_violated_then_fivetran_like_errors(api, served) -> None:
    import httpx

    anonymous = httpx.get(f"{served.base_url}/connections")
    assert anonymous.status_code == 401 and set(anonymous.json()) == {"code", "message"}
    assert api.get("/v1/connections", headers={"Accept": "text/html"}).status_code == 406
    assert api.get("/v1/connectors/vivid_lantern").json()["data"]["id"] == "vivid_lantern"  # legacy path
    assert api.get("/v1/nothing-here").status_code == 404
    assert api.put("/v1/connections/vivid_lantern", json={}).status_code == 405
    assert api.post("/v1/connections/vivid_lantern/sync", content=b"{not json").status_code == 400
    assert api.get("/v1/connections", params={"limit": 5000}).status_code == 400
    assert api.get("/v1/connections", params={"cursor": "garbage!"}).status_code == 400
    assert api.get("/v1/connections/vivid_lantern/state").status_code == 405


def test_given_status_feed_when_outage_set_then_statuspage_v2_summary(api, served) -> None:
    calm = api.get("/__sim/status/summary.json").json()
    assert calm["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert calm["incidents"] == [] and {c["status"] for c in calm["components"]} == {"operational"}
    set_ = api.post("/__sim/status", json={"indicator": "major", "components": {"Connectors": "partial_outage"}})
    summary = set_.json()
    assert summary["status"]["indicator"] == "major"
    assert {c["name"]: c["status"] for c in summary["components"]}["Connectors"] == "partial_outage"
    incident = summary["incidents"][0]
    assert incident["name"].startswith("Some connectors are experiencing delays") and incident["impact"] == "major"
    assert {"id", "status", "created_at", "incident_updates", "shortlink"} <= set(incident)
    assert api.post("/__sim/status", json={"indicator": "severe"}).status_code == 400
    assert api.delete("/__sim/status").json()["status"]["indicator"] == "none"


def test_given_ticker_when_running_then_virtual_time_advances_scaled() -> None:
    sim = FivetranSimulator(fidelity=FAST)
    origin = sim.now()
    started = time.perf_counter()
    sim.start_ticker(scale=3600, interval=0.05)
    try:
        while (sim.now() - origin).total_seconds() < 600 and time.perf_counter() - started < 10:
            time.sleep(0.02)
    finally:
        sim.stop()
    real = time.perf_counter() - started
    simulated = (sim.now() - origin).total_seconds()
    assert 600 <= simulated <= real * 3600 + 180  # never ahead of the scale (one tick of slack)
    assert sim.log_rows()  # syncs ran on their own


def test_given_concurrent_clients_when_ticker_runs_then_every_request_is_answered(api, served) -> None:
    import threading

    served.start_ticker(scale=600, interval=0.01)
    statuses: list[int] = []

    def worker(cid: str) -> None:
        for _ in range(15):
            statuses.append(api.get(f"/v1/connections/{cid}").status_code)
            statuses.append(api.post(f"/v1/connections/{cid}/sync", json={"force": False}).status_code)

    threads = [threading.Thread(target=worker, args=(cid,)) for cid in served.connection_ids[:4]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(statuses) == 120 and set(statuses) == {200}
    assert len(served.write_calls()) == 60


def test_given_cli_list_when_run_then_scenarios_with_sources(capsys) -> None:
    assert main(["simulator", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["scenarios"]) == 10 and all(s["source"] for s in listed["scenarios"])
    assert listed["connections"] is None


def test_given_cli_inject_when_simulator_running_then_scenario_applied(served, capsys) -> None:
    code = main(["simulator", "inject", "brisk_otter", "rate_limit", "-o", "retry_after=60", "--url", served.root_url])
    assert code == 0 and served.scenario_of("brisk_otter")["options"]["retry_after"] == 60
    assert main(["simulator", "inject", "brisk_otter", "meteor", "--url", served.root_url]) == 1
    assert main(["simulator", "list", "--url", served.root_url]) == 0
    assert "brisk_otter" in capsys.readouterr().out
    assert main(["simulator", "clear", "brisk_otter", "--url", served.root_url]) == 0
    assert served.scenario_of("brisk_otter") is None


def test_given_cli_serve_when_duration_set_then_serves_and_stops(capsys) -> None:
    assert (
        main(["simulator", "serve", "--port", "0", "--duration", "0.2", "--webhook-url", "http://127.0.0.1:9/x"]) == 0
    )
    out = capsys.readouterr().out
    assert "http://127.0.0.1:" in out and "/v1" in out and "sim-api-secret" not in out


def test_given_unreachable_simulator_when_cli_injects_then_nonzero(capsys) -> None:
    assert main(["simulator", "inject", "x", "rate_limit", "--url", "http://127.0.0.1:9"]) == 1
    assert "not reachable" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["noequals", "=x"])
def test_given_malformed_option_when_cli_injects_then_usage_error(option) -> None:
    with pytest.raises(SystemExit):
        main(["simulator", "inject", "x", "rate_limit", "-o", option, "--url", "http://127.0.0.1:9"])
