"""The repo's config files validate; bad files fail with a message naming the file and the problem."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fivetran_recovery.config import resolve_config_dir
from fivetran_recovery.models.incident import Criticality
from fivetran_recovery.triage.calendar import (
    CalendarConfigError,
    MaintenanceCalendar,
    MaintenanceConfig,
    load_maintenance_config,
)
from fivetran_recovery.triage.routing import Routing, RoutingConfigError, load_owners_config
from fivetran_recovery.triage.status_feed import StatusFeedConfigError, load_status_feeds

CONFIG = Path(__file__).resolve().parents[2] / "shared" / "fivetran_recovery" / "config"


def test_given_repo_config_when_loaded_then_every_file_validates() -> None:
    maintenance = load_maintenance_config(CONFIG / "maintenance.yaml")
    owners = load_owners_config(CONFIG / "owners.yaml")
    feeds = load_status_feeds(CONFIG / "status_feeds.yaml")
    assert maintenance.windows and owners.teams and feeds.feeds
    assert resolve_config_dir() == CONFIG
    assert resolve_config_dir(environ={"TRIAGE_CONFIG_DIR": "/x"}) == Path("/x")


def test_given_repo_maintenance_when_checking_times_then_windows_and_calendar_apply() -> None:
    calendar = MaintenanceCalendar.load(CONFIG / "maintenance.yaml")
    inside = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    window = calendar.active_window(connection_id="x", destination_group_id="bq_analytics_prod", at=inside)
    assert window is not None and window.name == "bigquery-reservation-migration"
    assert calendar.active_window(connection_id="x", destination_group_id="other", at=inside) is None
    # weekly slot Sat 22:00 -> Sun 02:00 in Los Angeles, through the finance_sources group
    sunday_1am_la = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert calendar.active_window(connection_id="finance_netsuite", destination_group_id=None, at=sunday_1am_la)
    assert not calendar.active_window(
        connection_id="finance_netsuite", destination_group_id=None, at=datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    )
    assert calendar.is_business_time(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # Tuesday 11:00 Berlin
    assert not calendar.is_business_time(datetime(2026, 12, 25, 10, 0, tzinfo=UTC))  # holiday
    assert not calendar.is_business_time(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # Saturday


def test_given_outside_business_hours_window_when_closed_then_active() -> None:
    config = MaintenanceConfig.model_validate(
        {
            "business_calendar": {"timezone": "UTC", "start": "09:00", "end": "17:00"},
            "windows": [
                {
                    "name": "after-hours",
                    "reason": "batch jobs",
                    "scope": {"connections": ["c1"]},
                    "outside_business_hours": True,
                }
            ],
        }
    )
    calendar = MaintenanceCalendar(config)
    assert calendar.active_window(
        connection_id="c1", destination_group_id=None, at=datetime(2026, 11, 24, 20, tzinfo=UTC)
    )
    assert not calendar.active_window(
        connection_id="c1", destination_group_id=None, at=datetime(2026, 11, 24, 12, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "windows: [{name: a, reason: r, scope: {}, start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}]",
            "scope is empty",
        ),
        (
            "windows: [{name: a, reason: r, scope: {connections: [c]}, start: 2026-01-02T00:00:00Z, "
            "end: 2026-01-01T00:00:00Z}]",
            "end is not after start",
        ),
        (
            "windows: [{name: a, reason: r, scope: {connections: [c]}, start: 2026-01-01T00:00:00, "
            "end: 2026-01-02T00:00:00}]",
            "UTC offset",
        ),
        ("windows: [{name: a, reason: r, scope: {groups: [nope]}, outside_business_hours: true}]", "unknown groups"),
        ("windows: [{name: a, reason: r, scope: {connections: [c]}}]", "exactly one of"),
        ("business_calendar: {timezone: Mars/Olympus}", "unknown time zone"),
        (
            "windows: [{name: a, reason: r, scope: {connections: [c]}, outside_business_hours: true, colour: red}]",
            "Extra inputs",
        ),
        (
            "windows: [{name: a, reason: r, scope: {connections: [c]}, outside_business_hours: true},"
            " {name: a, reason: r, scope: {connections: [c]}, outside_business_hours: true}]",
            "duplicate window",
        ),
        ("windows: [oops", "not valid YAML"),
    ],
)
def test_given_invalid_maintenance_file_when_loaded_then_clear_error(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "maintenance.yaml"
    path.write_text(body)
    with pytest.raises(CalendarConfigError, match=problem) as info:
        load_maintenance_config(path)
    assert str(path) in str(info.value)


def test_given_owners_when_resolving_then_tags_beat_rules_beat_default() -> None:
    routing = Routing.load(CONFIG / "owners.yaml")
    default = routing.resolve(connection_id="unknown", destination_group_id="nowhere")
    assert (default.owner, default.criticality, default.source) == ("data-platform", Criticality.MEDIUM, "default")
    by_destination = routing.resolve(connection_id="x", destination_group_id="bq_analytics_prod")
    assert (by_destination.owner, by_destination.criticality) == ("analytics-eng", Criticality.CRITICAL)
    assert by_destination.channel == "#analytics-incidents" and by_destination.pagerduty_service == "analytics"
    tagged = routing.resolve(
        connection_id="x",
        destination_group_id="bq_analytics_prod",
        tags=["owner:finance-data", "criticality:low", "slack:#fin-oncall", "slack:not a channel"],
    )
    assert (tagged.owner, tagged.criticality, tagged.channel, tagged.source) == (
        "finance-data",
        Criticality.LOW,
        "#fin-oncall",
        "tag",
    )
    unknown_team_tag = routing.resolve(connection_id="x", tags=["owner:nobody"])
    assert unknown_team_tag.owner == "data-platform"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("default: {owner: ghost}\nteams: {a: {channel: '#a'}}", "owners not listed under teams: ghost"),
        ("default: {owner: a}\nteams: {a: {channel: 'no-hash'}}", "channel"),
        ("default: {owner: a}\nteams: {a: {channel: '#a'}}\nrules: [{match: {}, owner: a}]", "match is empty"),
        ("default: {owner: a, criticality: urgent}\nteams: {a: {channel: '#a'}}", "criticality"),
        ("default: {owner: a}\nteams: {}", "teams"),
    ],
)
def test_given_invalid_owners_file_when_loaded_then_clear_error(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "owners.yaml"
    path.write_text(body)
    with pytest.raises(RoutingConfigError, match=problem):
        load_owners_config(path)


def test_given_invalid_feeds_file_when_loaded_then_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "status_feeds.yaml"
    path.write_text("feeds: [{name: x, url: ftp://nope}]")
    with pytest.raises(StatusFeedConfigError, match=r"status_feeds\.yaml"):
        load_status_feeds(path)
    path.write_text("feeds: [{name: x, url: 'https://a/api/v2/summary.json'}]")
    replaced = load_status_feeds(path, urls=["http://127.0.0.1:9/__sim/status/summary.json"])
    assert [f.url for f in replaced.feeds] == ["http://127.0.0.1:9/__sim/status/summary.json"]


def test_given_settings_and_client_when_building_triage_then_repo_config_and_template_tables_used(
    dynamodb_client,
) -> None:
    from fivetran_recovery.composition.triage import build_triage
    from fivetran_recovery.settings import Settings

    settings = Settings.from_env({}, incidents_table="incidents", history_table="history", self_heal_window_seconds=300)
    triage = build_triage(
        settings=settings, client=dynamodb_client, status_feed_urls=["http://127.0.0.1:1/__sim/status/summary.json"]
    )
    assert triage.policy.self_heal_window_seconds == 300
    assert triage.routing.config.teams["finance-data"].channel == "#finance-data"
    assert [f.url for f in triage.status_feed.config.feeds] == ["http://127.0.0.1:1/__sim/status/summary.json"]
    with pytest.raises(ValueError, match="stores or a DynamoDB client"):
        build_triage(settings=settings)
