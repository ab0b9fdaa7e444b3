"""Syncs evolve on the virtual clock: scheduled -> syncing -> scheduled, timestamps advance, rescheduled
connections resume at rescheduled_for, manual connections only sync on /sync, pause and resume behave."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from local.simulator import DEFAULT_START, FivetranSimulator
from local.simulator.options import FAST


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def test_given_default_fleet_when_built_then_services_and_groups_are_varied_and_deterministic() -> None:
    first, second = FivetranSimulator(seed=1, fidelity=FAST), FivetranSimulator(seed=1, fidelity=FAST)
    services = {first.connection(c)["service"] for c in first.connection_ids}
    assert {"postgres", "mysql", "salesforce", "hubspot", "google_sheets"} <= services
    assert len(first.group_ids) == 3
    first.advance(6 * 3600)
    second.advance(6 * 3600)
    assert first.log_rows() == second.log_rows()
    assert [first.connection(c) for c in first.connection_ids] == [second.connection(c) for c in second.connection_ids]


def test_given_scheduled_connection_when_time_passes_then_it_syncs_and_returns_to_scheduled(sim) -> None:
    before = _at(sim.connection("vivid_lantern")["succeeded_at"])
    sim.advance(61)  # first sync starts at +60 s
    assert sim.connection("vivid_lantern")["status"]["sync_state"] == "syncing"
    sim.advance(300)
    after = sim.connection("vivid_lantern")
    assert after["status"]["sync_state"] == "scheduled"
    assert _at(after["succeeded_at"]) > before
    events = [r["message_event"] for r in sim.log_rows("vivid_lantern")]
    assert events[0] == "sync_start" and events[-1] == "sync_end"


def test_given_15_minute_frequency_when_two_hours_pass_then_about_eight_syncs(sim) -> None:
    sim.advance(2 * 3600)
    starts = [r for r in sim.log_rows("vivid_lantern") if r["message_event"] == "sync_start"]
    assert 7 <= len(starts) <= 9
    stamps = [datetime.strptime(r["time_stamp"], "%Y-%m-%d %H:%M:%S.%f") for r in starts]
    assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(stamps))


def test_given_manual_schedule_when_time_passes_then_no_sync_until_triggered(sim) -> None:
    sim.advance(6 * 3600)
    assert sim.log_rows("copper_kite") == []
    sim.sync("copper_kite")
    assert sim.connection("copper_kite")["status"]["sync_state"] == "syncing"
    sim.advance(600)
    assert [r["message_event"] for r in sim.log_rows("copper_kite")][-1] == "sync_end"
    sim.advance(6 * 3600)
    assert len([r for r in sim.log_rows("copper_kite") if r["message_event"] == "sync_start"]) == 1


def test_given_daily_sync_time_when_a_day_passes_then_syncs_at_that_hour(sim) -> None:
    sim.advance(36 * 3600)
    starts = [r["time_stamp"] for r in sim.log_rows("paper_comet") if r["message_event"] == "sync_start"]
    assert starts[1:] == ["2026-01-06 03:00:00.000"]


def test_given_rate_limited_auto_connection_when_rescheduled_for_passes_then_it_resumes(sim) -> None:
    sim.inject("brisk_otter", "rate_limit", retry_after=1800)
    sim.advance(7 * 60 + 300)
    status = sim.connection("brisk_otter")["status"]
    assert status["sync_state"] == "rescheduled"
    resume_at = _at(status["rescheduled_for"])
    sim.advance((resume_at - sim.now()).total_seconds() + 1)
    assert sim.connection("brisk_otter")["status"]["sync_state"] == "syncing"
    sim.advance(600)
    final = sim.connection("brisk_otter")
    assert final["status"]["sync_state"] == "scheduled" and _at(final["succeeded_at"]) > resume_at


def test_given_rate_limited_manual_connection_when_time_passes_then_waits_for_sync_call(sim) -> None:
    sim.inject("copper_kite", "rate_limit", retry_after=600)
    sim.sync("copper_kite")
    sim.advance(300)
    assert sim.connection("copper_kite")["status"]["sync_state"] == "rescheduled"
    sim.advance(3 * 3600)
    assert sim.connection("copper_kite")["status"]["sync_state"] == "rescheduled"
    sim.sync("copper_kite")
    sim.advance(300)
    assert sim.connection("copper_kite")["status"]["sync_state"] == "scheduled"


def test_given_syncing_connection_when_paused_then_stops_within_seconds_and_stays_paused(sim) -> None:
    sim.advance(61)
    sim.patch_connection("vivid_lantern", {"paused": True})
    assert sim.connection("vivid_lantern")["status"]["sync_state"] == "syncing"
    sim.advance(5)
    assert sim.connection("vivid_lantern")["status"]["sync_state"] == "paused"
    sim.advance(3 * 3600)
    assert len([r for r in sim.log_rows("vivid_lantern") if r["message_event"] == "sync_start"]) == 1
    sim.patch_connection("vivid_lantern", {"paused": False})
    sim.advance(1)
    assert sim.connection("vivid_lantern")["status"]["sync_state"] == "syncing"


def test_given_paused_connection_when_sync_requested_then_nothing_is_queued(sim) -> None:
    """Undocumented, so strict: /sync on a paused connection is accepted and does nothing (no sync on resume)."""
    sim.patch_connection("quiet_harbor", {"paused": True})
    sim.sync("quiet_harbor")
    sim.advance(3600)
    assert sim.log_rows("quiet_harbor") == []
    sim.patch_connection("quiet_harbor", {"paused": False})
    assert sim.connection("quiet_harbor")["status"]["sync_state"] == "scheduled"


def test_given_lenient_queue_option_when_paused_sync_requested_then_runs_on_resume() -> None:
    lenient = FivetranSimulator(fidelity=FAST.but(queue_sync_while_paused=True))
    lenient.patch_connection("quiet_harbor", {"paused": True})
    lenient.sync("quiet_harbor")
    lenient.advance(3600)
    lenient.patch_connection("quiet_harbor", {"paused": False})
    assert lenient.connection("quiet_harbor")["status"]["sync_state"] == "syncing"


def test_given_running_sync_when_forced_then_cancelled_and_restarted(sim) -> None:
    sim.advance(61)
    sim.sync("vivid_lantern")  # not forced: a no-op while syncing
    assert len([r for r in sim.log_rows("vivid_lantern") if r["message_event"] == "sync_start"]) == 1
    sim.sync("vivid_lantern", force=True)
    ends = [r for r in sim.log_rows("vivid_lantern") if r["message_event"] == "sync_end"]
    assert '"CANCELED"' in ends[0]["message_data"] and "user action" in ends[0]["message_data"]
    assert sim.connection("vivid_lantern")["status"]["sync_state"] == "syncing"


def test_given_frequency_change_when_patched_then_next_sync_follows_it(sim) -> None:
    sim.advance(400)  # first sync of vivid_lantern done
    sim.patch_connection("vivid_lantern", {"sync_frequency": 60})
    sim.advance(3 * 3600)
    starts = [r for r in sim.log_rows("vivid_lantern") if r["message_event"] == "sync_start"]
    assert len(starts) == 4  # t=1 min, then hourly


def test_given_historical_resync_when_started_then_flagged_and_longer(sim) -> None:
    sim.advance(3600)
    sim.resync("silver_meadow", scope={"hubspot": ["contact"]})
    connection = sim.connection("silver_meadow")
    assert connection["status"]["is_historical_sync"] is True
    sim.advance(3 * 240 * 0.85)
    assert sim.connection("silver_meadow")["status"]["sync_state"] == "syncing"  # about 3x a normal sync
    sim.advance(3600)
    assert sim.connection("silver_meadow")["status"]["is_historical_sync"] is False


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"sync_frequency": 7}, "sync_frequency"),
        ({"schedule_type": "hourly"}, "schedule_type"),
        ({"daily_sync_time": "3am"}, "daily_sync_time"),
        ({"paused": "yes"}, "paused"),
        ({"colour": "red"}, "unknown field"),
        ({}, "non-empty"),
    ],
)
def test_given_invalid_patch_when_applied_then_clear_400(sim, body, fragment) -> None:
    from local.simulator import SimApiError

    with pytest.raises(SimApiError) as caught:
        sim.patch_connection("vivid_lantern", body)
    assert caught.value.status == 400 and fragment in caught.value.message


def test_given_virtual_clock_when_advanced_backwards_then_refused(sim) -> None:
    with pytest.raises(ValueError):
        sim.advance(-1)
    assert sim.now() == DEFAULT_START


def test_given_custom_fleet_when_built_then_used_and_unknown_groups_refused() -> None:
    from local.simulator import Group, SimConnection

    group = Group("g1", "Only", "snowflake")
    conn = SimConnection(
        id="c1",
        group_id="g1",
        service="postgres",
        schema="pg",
        base_duration=60.0,
        created_at=DEFAULT_START,
        tables={"public": {"t": ["id"]}},
        sync_frequency=5,
        next_sync_at=DEFAULT_START,
    )
    sim = FivetranSimulator(groups=[group], connections=[conn])
    sim.advance(120)
    assert sim.connection_ids == ["c1"] and sim.connection("c1")["succeeded_at"]
    with pytest.raises(ValueError, match="unknown groups"):
        FivetranSimulator(groups=[], connections=[conn])
