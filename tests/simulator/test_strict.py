"""The simulator is as strict as Fivetran by default (issue 14); each lenient behaviour is an option named here."""

from __future__ import annotations

import time

import httpx
import pytest

from local.simulator import FivetranSimulator, SimApiError
from local.simulator.options import FAST, Quota


def test_given_syncing_connection_when_paused_over_http_then_500_after_the_latency_but_paused(served, api) -> None:
    served.sync("vivid_lantern")
    started = time.monotonic()
    answer = api.patch("/v1/connections/vivid_lantern", json={"paused": True})
    took = time.monotonic() - started
    assert answer.status_code == 500 and served.connection("vivid_lantern")["paused"] is True
    assert took >= 60 / FAST.time_factor  # the documented ~60 s, at the test's time factor
    assert answer.headers["X-Rate-Limit"] == "20000"


def test_given_small_quota_when_exceeded_then_429_with_retry_after_and_remaining_headers() -> None:
    sim = FivetranSimulator(fidelity=FAST.but(quota=Quota(per_hour=2)))
    client = httpx.Client(transport=sim.transport(), base_url="http://sim", auth=(sim.api_key, sim.api_secret))
    assert client.get("/v1/connections").headers["X-Rate-Limit-Remaining"] == "1"
    assert client.get("/v1/connections").headers["X-Rate-Limit-Remaining"] == "0"
    limited = client.get("/v1/connections")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 3500


def test_given_schema_config_when_read_then_unedited_columns_omitted_and_the_columns_endpoint_has_them(sim) -> None:
    assert sim.schema_config("amber_falcon")["schemas"]["salesforce"]["tables"]["Opportunity"]["columns"] == {}
    columns = sim.table_columns("amber_falcon", "salesforce", "Opportunity")["columns"]
    assert columns["StageName"]["name_in_destination"] == "stage_name"
    with pytest.raises(SimApiError) as wrong_case:
        sim.table_columns("amber_falcon", "salesforce", "opportunity")
    assert wrong_case.value.status == 404  # names are case-sensitive
    patched = sim.patch_column("amber_falcon", "salesforce", "Opportunity", "StageName", {"enabled": False})
    assert list(patched["schemas"]["salesforce"]["tables"]["Opportunity"]["columns"]) == ["StageName"]
    lenient = FivetranSimulator(fidelity=FAST.but(all_columns_in_schema_config=True))
    assert lenient.schema_config("amber_falcon")["schemas"]["salesforce"]["tables"]["Opportunity"]["columns"]


def test_given_primary_key_or_no_column_config_when_excluded_then_400_with_the_reason(sim) -> None:
    with pytest.raises(SimApiError, match="Primary Key"):
        sim.patch_column("vivid_lantern", "public", "orders", "id", {"enabled": False})
    with pytest.raises(SimApiError, match="does not support column config"):
        sim.patch_column("paper_comet", "google_sheets", "finance_plan", "budget", {"enabled": False})


def test_given_database_connector_then_destination_schema_is_prefixed(sim) -> None:
    config = sim.schema_config("vivid_lantern")
    assert config["schemas"]["public"]["name_in_destination"] == "postgres_prod_public"
    assert sim.schema_config("silver_meadow")["schemas"]["hubspot"]["name_in_destination"] == "hubspot"


def test_given_connector_without_table_resync_when_asked_then_400(sim) -> None:
    with pytest.raises(SimApiError, match="table-level re-sync") as caught:
        sim.resync_tables("paper_comet", {"google_sheets": ["finance_plan"]})
    assert caught.value.status == 400
    assert sim.resync("paper_comet") == "Re-sync has been triggered successfully"  # a full re-sync still works


def test_given_daily_sync_time_rules_when_broken_then_400(sim) -> None:
    with pytest.raises(SimApiError, match="1440"):
        sim.patch_connection("vivid_lantern", {"daily_sync_time": "03:00"})
    with pytest.raises(SimApiError, match="HH:00"):
        sim.patch_connection("paper_comet", {"daily_sync_time": "03:30"})
    with pytest.raises(SimApiError, match="persistent"):
        sim.patch_connection("paper_comet", {"run_setup_tests": True})
    assert sim.patch_connection("paper_comet", {"daily_sync_time": "04:00"})["daily_sync_time"] == "04:00"


def test_given_setup_tests_when_run_then_connection_events_are_sent(sim) -> None:
    got: list[bytes] = []
    sim.configure_webhook(lambda body, headers: got.append(body) or 200, events=["connection_failure",
                                                                               "connection_successful"])
    sim.run_setup_tests("quiet_harbor")
    sim.inject("amber_falcon", "oauth_expired")
    sim.run_setup_tests("amber_falcon")
    sim.flush_webhooks()
    assert [b'"connection_successful"' in b for b in got] == [True, False]


def test_given_failures_then_update_state_follows_the_delay_threshold_not_the_last_failure(sim) -> None:
    sim.inject("quiet_harbor", "transient_network_blip", failures=5)
    sim.sync("quiet_harbor")
    sim.advance(600)
    assert sim.connection("quiet_harbor")["failed_at"] is not None
    assert sim.connection("quiet_harbor")["status"]["update_state"] == "on_schedule"  # one failure is no delay
    sim.advance(3 * 3600)
    assert sim.connection("quiet_harbor")["status"]["update_state"] == "delayed"


def test_given_fivetran_pause_scenario_then_paused_with_actor_fivetran(sim) -> None:
    got: list[dict] = []
    sim.configure_webhook(lambda body, headers: got.append(__import__("json").loads(body)) or 200)
    sim.inject("copper_kite", "fivetran_paused", reason="trial_expired")
    sim.flush_webhooks()
    assert sim.connection("copper_kite")["paused"] is True and sim.connection("copper_kite")["pause_after_trial"]
    pause = next(e for e in got if e["event"] == "pause_connector")
    assert pause["data"]["actor"] == "Fivetran"
    assert any(r["message_event"] == "pause_connector" for r in sim.log_rows("copper_kite"))


def test_given_syncs_then_sync_history_has_statuses_and_stage_volumes(sim) -> None:
    sim.inject("quiet_harbor", "transient_network_blip")
    sim.sync("quiet_harbor")
    sim.advance(1800)
    sim.sync("quiet_harbor")
    sim.advance(1800)
    items, cursor = sim.sync_history("quiet_harbor")
    assert [i["status"] for i in items][:2] == ["COMPLETED", "FAILURE"] and cursor is None  # newest first
    assert items[0]["stages"]["load"]["volume"] > 0 and items[1]["reason"]
    with pytest.raises(SimApiError, match="7 days"):
        sim.sync_history("quiet_harbor", start_time="2026-01-01T00:00:00Z", end_time="2026-01-09T00:00:00Z")


def test_given_receiver_failing_then_retries_grow_and_the_webhook_is_disabled_after_24_hours(sim) -> None:
    attempts: list[str] = []
    sim.configure_webhook(lambda body, headers: attempts.append(sim.now().isoformat()) or 500,
                          events=["sync_start"])
    sim.advance(61)  # vivid_lantern's first sync starts
    sim.flush_webhooks()
    for _ in range(60):
        sim.advance(1800)
        sim.flush_webhooks()
    assert [d["webhook_id"] for d in sim.webhooks.disabled] == ["sim_configured"]
    assert len(attempts) > 20
    lenient = FivetranSimulator(fidelity=FAST.but(webhooks_no_retry=True))
    lenient.configure_webhook(lambda body, headers: 500, events=["sync_start"])
    lenient.advance(61)
    lenient.flush_webhooks()
    lenient.advance(25 * 3600)
    lenient.flush_webhooks()
    assert {d.attempt for d in lenient.deliveries} == {1} and lenient.webhooks.disabled == []


def test_given_legacy_force_route_when_called_then_a_sync_starts(api, served) -> None:
    answer = api.post("/v1/connectors/copper_kite/force", json={})
    assert answer.status_code == 200 and served.connection("copper_kite")["status"]["sync_state"] == "syncing"
