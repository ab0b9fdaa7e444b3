"""The client against the simulator on a real loopback socket: pagination, auth, errors, the simulator's own
faults driving the retry path, and the pause -> change -> resume fix."""

from __future__ import annotations

import pytest

from fivetran_recovery.fivetran import (
    BadRequestError,
    FivetranClient,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from local.simulator import FivetranSimulator
from local.simulator.options import FAST

from .conftest import Sleeps, client_for


def test_given_small_pages_when_listing_then_every_connection_once(served, sleeps) -> None:
    client = client_for(served, sleeps, page_size=3)
    ids = [c.id for c in client.list_connections()]
    assert sorted(ids) == sorted(served.connection_ids) and len(ids) == len(set(ids)) == 8
    group = [c.id for c in client.list_connections("warehouse_snowflake")]
    assert group and all(served.connection(cid)["group_id"] == "warehouse_snowflake" for cid in group)


def test_given_wrong_secret_when_calling_then_unauthorized(served, sleeps) -> None:
    client = FivetranClient(api_key=served.api_key, api_secret="wrong", base_url=served.base_url, sleep=sleeps)
    with pytest.raises(UnauthorizedError):
        client.list_connections()


def test_given_unknown_connection_when_fetched_then_not_found_with_fivetran_code(served, sleeps) -> None:
    with pytest.raises(NotFoundError) as caught:
        client_for(served, sleeps).get_connection("no_such_thing")
    assert caught.value.code == "NotFound_Connector"


def test_given_simulated_429s_when_get_then_client_honours_retry_after(served, sleeps) -> None:
    served.faults.add("rate_limit", count=2, retry_after=1, path="/connections/vivid_lantern")
    connection = client_for(served, sleeps).get_connection("vivid_lantern")
    assert connection.id == "vivid_lantern"
    assert len(sleeps) == 2 and all(1.0 <= s <= 1.1 for s in sleeps)


def test_given_simulated_429_without_budget_when_get_then_rate_limited(served, sleeps) -> None:
    served.faults.add("rate_limit", count=5, retry_after=120)
    with pytest.raises(RateLimitedError) as caught:
        client_for(served, sleeps).get_connection("vivid_lantern")
    assert caught.value.retry_after == 120 and sleeps == []


def test_given_simulated_500s_when_get_then_retried_until_success(served, sleeps) -> None:
    served.faults.add("server_error", count=2, status=503, method="GET")
    assert client_for(served, sleeps).get_connection("quiet_harbor").id == "quiet_harbor"
    assert len(sleeps) == 2


def test_given_simulated_500_when_resync_then_not_repeated(served, sleeps) -> None:
    served.faults.add("server_error", count=1, path="/resync")
    with pytest.raises(ServerError):
        client_for(served, sleeps).resync("quiet_harbor")
    calls = served.write_calls("quiet_harbor")
    assert [(c["method"], c["status"]) for c in calls] == [("POST", 500)]
    assert served.connection("quiet_harbor")["status"]["sync_state"] == "scheduled"


def test_given_slow_answer_when_get_then_read_timeout_retried(served, sleeps) -> None:
    served.faults.add("slow", count=1, seconds=1.5, method="GET")
    client = client_for(served, sleeps, timeout=0.5)
    assert client.get_connection("paper_comet").id == "paper_comet"
    assert len(sleeps) == 1


def test_given_unstoppable_sync_when_schedule_changes_then_pause_change_resume(served) -> None:
    served.faults.sync_stop_failure.add("vivid_lantern")
    client = client_for(served, Sleeps(), sleep=served.advance)  # polling waits advance virtual time
    client.sync_now("vivid_lantern")
    assert client.get_connection("vivid_lantern").is_syncing
    updated = client.update_schedule("vivid_lantern", sync_frequency=60)
    assert updated.sync_frequency == 60 and updated.paused is False
    bodies = [(c["method"], c["body"], c["status"]) for c in served.write_calls("vivid_lantern")]
    assert bodies[1:] == [
        ("PATCH", {"sync_frequency": 60}, 500),  # "Failed to stop in-progress sync after trying for 60 seconds"
        ("PATCH", {"paused": True}, 500),  # the documented 500 of a pause while syncing: read back, not re-sent
        ("PATCH", {"sync_frequency": 60}, 200),
        ("PATCH", {"paused": False}, 200),
    ]
    ends = [r for r in served.log_rows("vivid_lantern") if r["message_event"] == "sync_end"]
    assert '"CANCELED"' in ends[-1]["message_data"]


def test_given_expired_oauth_when_reauthorised_then_next_sync_succeeds(served, sleeps) -> None:
    client = client_for(served, sleeps)
    served.inject("amber_falcon", "oauth_expired")
    served.advance(3600)
    broken = client.get_connection("amber_falcon")
    assert broken.status.setup_state == "broken" and broken.task_codes == ["reconnect"]
    assert client.run_setup_tests("amber_falcon").setup_tests[0].status == "FAILED"
    card = client.create_connect_card("amber_falcon", redirect_uri="https://ops.example/done")
    assert card.uri.startswith("https://fivetran.com/connect-card/setup?auth=")
    served.complete_reauth("amber_falcon")
    client.sync_now("amber_falcon")
    served.advance(600)
    healed = client.get_connection("amber_falcon")
    assert healed.status.setup_state == "connected" and healed.task_codes == []
    assert healed.succeeded_at > broken.failed_at


def test_given_in_process_transport_when_used_then_same_answers_without_socket(sleeps) -> None:
    sim = FivetranSimulator(seed=3, fidelity=FAST)
    client = client_for(sim, sleeps)
    assert client.base_url == "http://simulator.invalid/v1"
    assert client.get_schema_config("silver_meadow").schemas["hubspot"].tables["deal"].columns == {}  # unedited
    assert client.get_table_columns("silver_meadow", "hubspot", "deal")["deal_id"].is_primary_key


def test_given_webhook_lifecycle_when_driven_by_client_then_simulator_agrees(served, sleeps) -> None:
    client = client_for(served, sleeps)
    with pytest.raises(ValueError, match="HTTPS"):
        client.create_account_webhook("http://127.0.0.1:9/hook", ["sync_end"])
    with pytest.raises(BadRequestError, match="not created"):  # Fivetran's test delivery to the URL failed
        client.create_account_webhook("https://127.0.0.1:9/hook", ["sync_end"], secret="s3")
    hook = client.create_account_webhook("https://127.0.0.1:9/hook", ["sync_end"], secret="s3", active=False)
    assert hook.secret == "******" and hook.active is False
    with pytest.raises(BadRequestError):  # activation tests the URL first
        client.update_webhook(hook.id, active=True)
    assert client.update_webhook(hook.id, events=["sync_start", "sync_end"]).active is False
    fetched = client.get_webhook(hook.id)
    assert fetched.events == ["sync_start", "sync_end"] and [w.id for w in client.list_webhooks()] == [hook.id]
    result = client.test_webhook(hook.id)
    assert result.succeed is False and result.status == 0  # nothing listens on port 9
    client.delete_webhook(hook.id)
    with pytest.raises(NotFoundError):
        client.get_webhook(hook.id)
    with pytest.raises(ValueError):
        client.update_webhook(hook.id)
