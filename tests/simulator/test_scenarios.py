"""Each failure scenario fails the way Fivetran does, with its real text, and clears only through its recovery."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from local.simulator import SCENARIO_HOMES, SCENARIOS, FivetranSimulator, ScenarioError
from local.simulator.scenarios import ErrorText


def _ends(sim: FivetranSimulator, cid: str) -> list[dict]:
    return [json.loads(r["message_data"]) for r in sim.log_rows(cid) if r["message_event"] == "sync_end"]


def one_sync(sim: FivetranSimulator, cid: str, *, force: bool = False) -> dict:
    """Trigger a sync (or let the running one finish) and return its sync_end data."""
    before = len(_ends(sim, cid))
    sim.sync(cid, force=force)
    for _ in range(2000):
        if len(_ends(sim, cid)) > before and sim.connection(cid)["status"]["sync_state"] != "syncing":
            return _ends(sim, cid)[-1]
        sim.advance(15)
    raise AssertionError("sync did not finish")


def test_given_every_scenario_when_listed_then_it_has_a_real_text_source_and_a_home() -> None:
    assert set(SCENARIOS) == {
        "fivetran_paused",
        "transient_network_blip",
        "rate_limit",
        "oauth_expired",
        "schema_change_non_breaking",
        "schema_change_breaking",
        "warehouse_suspended",
        "duplicate_primary_key",
        "broken_setup",
        "latency_creep",
    }
    for name, cls in SCENARIOS.items():
        assert isinstance(cls.error, ErrorText) and cls.error.text and cls.error.source
        assert SCENARIO_HOMES[name] in FivetranSimulator().connection_ids


def test_given_corpus_ids_when_cited_then_texts_are_verbatim_in_the_corpus(shared_dir) -> None:
    corpus = {
        row["id"]: row["message"]
        for row in map(json.loads, (shared_dir / "corpus" / "fivetran_errors_dev.jsonl").read_text().splitlines())
    }
    cited = 0
    for cls in SCENARIOS.values():
        match = re.match(r"corpus (ft-\d+)", cls.error.source)
        if match:
            assert cls.error.text in corpus[match.group(1)].replace('"status": "FAILURE",\n"reason": "', "")
            cited += 1
    assert cited >= 5


def test_given_network_blip_when_synced_twice_then_one_failure_then_success(sim) -> None:
    sim.inject("quiet_harbor", "transient_network_blip")
    failed = one_sync(sim, "quiet_harbor")
    assert failed == {"status": "FAILURE", "reason": "Error: Connection Error - Connection Reset by Peer"}
    assert sim.connection("quiet_harbor")["failed_at"] is not None
    assert one_sync(sim, "quiet_harbor")["status"] == "SUCCESSFUL"
    assert sim.scenario_of("quiet_harbor") is None


def test_given_rate_limit_when_synced_then_rescheduled_with_time_and_retry_warning(sim) -> None:
    sim.configure_webhook(lambda body, headers: 200, "s")
    sim.inject("brisk_otter", "rate_limit", retry_after=900)
    end = one_sync(sim, "brisk_otter")
    assert end["status"] == "RESCHEDULED" and "RateLimitExceeded" in end["reason"]
    status = sim.connection("brisk_otter")["status"]
    assert status["sync_state"] == "rescheduled" and status["rescheduled_for"]
    warnings = [r for r in sim.log_rows("brisk_otter") if r["event"] == "WARNING" and r["message_event"] == "warning"]
    assert json.loads(warnings[-1]["message_data"])["type"] == "retry_api_call"
    webhook = [d.payload for d in sim.flush_webhooks() if d.event == "sync_end"][-1]
    assert webhook["data"]["status"] == "RESCHEDULED"
    rescheduled_at = datetime.fromisoformat(webhook["data"]["rescheduledAt"].replace("Z", "+00:00"))
    assert rescheduled_at == datetime.fromisoformat(status["rescheduled_for"].replace("Z", "+00:00")).replace(
        microsecond=rescheduled_at.microsecond
    )


def test_given_oauth_expired_when_syncing_then_reconnect_task_until_connect_card_completed(sim) -> None:
    sim.inject("amber_falcon", "oauth_expired")
    end = one_sync(sim, "amber_falcon")
    assert end["status"] == "FAILURE_WITH_TASK" and end["taskType"] == "reconnect"
    assert "expired access/refresh token" in end["reason"]
    connection = sim.connection("amber_falcon")
    assert connection["status"]["setup_state"] == "broken"
    assert connection["status"]["tasks"][0]["code"] == "reconnect"
    with pytest.raises(ScenarioError, match="connect card"):
        sim.complete_reauth("amber_falcon")
    assert one_sync(sim, "amber_falcon")["status"] == "FAILURE_WITH_TASK"  # a retry does not help
    sim.create_connect_card("amber_falcon", {})
    sim.complete_reauth("amber_falcon")
    assert one_sync(sim, "amber_falcon")["status"] == "SUCCESSFUL"
    assert sim.connection("amber_falcon")["status"]["tasks"] == []


def test_given_non_breaking_schema_change_when_resynced_without_reload_then_still_fails(sim) -> None:
    sim.inject("silver_meadow", "schema_change_non_breaking")
    assert "NullPointerException" in one_sync(sim, "silver_meadow")["reason"]
    sim.resync_tables("silver_meadow", {"hubspot": ["contact"]})
    sim.advance(3600)
    assert _ends(sim, "silver_meadow")[-1]["status"] == "FAILURE"
    reloaded = sim.reload_schema("silver_meadow")
    assert reloaded["schemas"]["hubspot"]["tables"]["contact"]["columns"] == {}  # unedited columns are omitted
    columns = sim.table_columns("silver_meadow", "hubspot", "contact")["columns"]
    assert columns["new_source_property"]["enabled"] is True
    sim.resync_tables("silver_meadow", {"hubspot": ["contact", "deal"]})
    sim.advance(3600)
    assert _ends(sim, "silver_meadow")[-1]["status"] == "SUCCESSFUL"
    assert sim.scenario_of("silver_meadow") is None


def test_given_breaking_schema_change_when_schema_config_patched_then_sync_succeeds(sim) -> None:
    sim.inject("lunar_pebble", "schema_change_breaking")
    assert one_sync(sim, "lunar_pebble")["reason"] == "cause: can't map type UInt64 to Fivetran types"
    sim.reload_schema("lunar_pebble")
    sim.patch_schema_config("lunar_pebble", {"schema_change_handling": "BLOCK_ALL"})
    assert one_sync(sim, "lunar_pebble")["status"] == "FAILURE"
    config = sim.patch_schema_config(
        "lunar_pebble", {"schemas": {"events": {"tables": {"page_view": {"columns": {"url": {"enabled": False}}}}}}}
    )
    assert config["schemas"]["events"]["tables"]["page_view"]["columns"]["url"]["enabled"] is False
    assert one_sync(sim, "lunar_pebble")["status"] == "SUCCESSFUL"


def test_given_warehouse_suspended_when_n_syncs_pass_then_it_clears_by_itself(sim) -> None:
    sim.inject("quiet_harbor", "warehouse_suspended", failures=2)
    results = [one_sync(sim, "quiet_harbor") for _ in range(3)]
    assert [r["status"] for r in results] == ["FAILURE", "FAILURE", "SUCCESSFUL"]
    assert "cannot be resumed because resource monitor" in results[0]["reason"]


def test_given_group_wide_suspension_when_injected_then_every_connection_of_the_destination_fails(sim) -> None:
    injected = sim.inject("vivid_lantern", "warehouse_suspended", group=True, failures=1)
    hit = {item["connection_id"] for item in injected}
    assert hit == {c for c in sim.connection_ids if sim.connection(c)["group_id"] == "warehouse_snowflake"}
    assert len(hit) == 4
    assert "silver_meadow" not in hit


def test_given_duplicate_primary_key_when_retried_then_fails_until_cleared(sim) -> None:
    sim.inject("vivid_lantern", "duplicate_primary_key")
    for _ in range(3):
        assert one_sync(sim, "vivid_lantern")["reason"] == "100090 (42P18): Duplicate row detected during DML action"
    sim.clear("vivid_lantern")
    assert one_sync(sim, "vivid_lantern")["status"] == "SUCCESSFUL"


def test_given_broken_setup_when_tests_pass_then_only_a_manual_sync_clears_it(sim) -> None:
    sim.inject("quiet_harbor", "broken_setup")
    assert sim.connection("quiet_harbor")["status"]["setup_state"] == "broken"
    sim.advance(600)  # the scheduled sync fails
    assert _ends(sim, "quiet_harbor")[-1]["status"] == "FAILURE"
    tested = sim.run_setup_tests("quiet_harbor")
    assert {t["status"] for t in tested["setup_tests"]} == {"PASSED"}
    assert tested["status"]["setup_state"] == "broken"
    assert one_sync(sim, "quiet_harbor", force=True)["status"] == "SUCCESSFUL"
    assert sim.connection("quiet_harbor")["status"]["setup_state"] == "connected"


def test_given_latency_creep_when_syncs_run_then_durations_grow_before_a_timeout(sim) -> None:
    sim.inject("vivid_lantern", "latency_creep", steps=3, growth=1.5)
    sim.advance(10 * 3600)
    rows = [r for r in sim.log_rows("vivid_lantern") if r["message_event"] in ("sync_start", "sync_end")]
    starts = [
        datetime.strptime(r["time_stamp"], "%Y-%m-%d %H:%M:%S.%f") for r in rows if r["message_event"] == "sync_start"
    ]
    ends = [r for r in rows if r["message_event"] == "sync_end"]
    end_times = [datetime.strptime(r["time_stamp"], "%Y-%m-%d %H:%M:%S.%f") for r in ends]
    durations = [(e - s).total_seconds() for s, e in zip(starts, end_times, strict=False)]
    statuses = [json.loads(r["message_data"])["status"] for r in ends]
    assert statuses[:5] == ["SUCCESSFUL", "SUCCESSFUL", "SUCCESSFUL", "FAILURE", "SUCCESSFUL"]
    assert durations[0] < durations[1] < durations[2] < durations[3]
    assert durations[3] > 2.5 * durations[4]
    assert json.loads(ends[3]["message_data"])["reason"] == "ERROR: canceling statement due to statement timeout"


@pytest.mark.parametrize(
    ("name", "options", "fragment"),
    [
        ("meteor_strike", {}, "unknown scenario"),
        ("rate_limit", {"retry_after": "soon"}, "retry_after"),
        ("transient_network_blip", {"colour": 1}, "unknown option"),
    ],
)
def test_given_bad_injection_when_requested_then_clear_error(sim, name, options, fragment) -> None:
    with pytest.raises(ScenarioError, match=fragment):
        sim.inject("vivid_lantern", name, **options)
