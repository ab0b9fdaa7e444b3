"""How faithful the simulator is: strict (Fivetran's documented behaviour) by default, every lenient behaviour an
explicit option that a test must name.

Sources: ../shared/fivetran/openapi/ (the endpoint definitions) and FACTS.md; each undocumented choice below says so.
Latencies are simulated seconds; the simulator sleeps `latency / time_factor` real seconds, so the drill at 60x
and tests at a larger factor stay fast while the order of events (and the client's timeouts) stay real.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Latency:
    """Simulated seconds an endpoint takes before it answers."""

    schema_reload: float = 90.0  # "may take a long time" (reload_connection_schema_config)
    setup_tests: float = 45.0  # setup tests connect to the source
    columns: float = 5.0  # the columns endpoint queries the source (connection_column_config)
    pause_syncing: float = 60.0  # troubleshooting/pause-connector-500-error: ~60 s, then 500, though it paused
    sync_stop_failure: float = 60.0  # "Failed to stop in-progress sync after trying for 60 seconds"
    stop_sync: float = 10.0  # a PATCH that first stops a running sync which does stop
    default: float = 0.0


@dataclass(frozen=True)
class Quota:
    """Account rate limits (https://fivetran.com/docs/rest-api/rate-limiting, FACTS.md 2.1), rolling windows."""

    per_hour: int = 20_000  # all requests (a trial account: 500)
    setup_tests_per_minute: int = 250
    setup_tests_per_hour: int = 2_500
    source_per_minute: int = 500  # setup tests, schema reload, source columns config
    source_per_hour: int = 5_000


@dataclass(frozen=True)
class Fidelity:
    time_factor: float = 60.0  # simulated seconds per real second for latencies (the drill's ticker runs at 60x)
    latency: Latency = field(default_factory=Latency)
    quota: Quota = field(default_factory=Quota)
    # The pause documented to answer 500 after ~60 s although the connection did pause.
    pause_syncing_status: int = 500
    # Undocumented: the HTTP status of "Failed to stop in-progress sync after trying for 60 seconds". The docs give
    # the text, not the status; 409 was an assumption. The client must not depend on it (it reads the text).
    sync_stop_failure_status: int = 500
    # Undocumented: what /sync does on a paused connection. The docs say a paused connection's *re-sync* runs when
    # it is re-enabled; for /sync they say nothing. Strict: accepted, nothing runs, nothing is queued.
    queue_sync_while_paused: bool = False
    # Undocumented: whether resuming starts a sync at once. Strict: the schedule simply continues (a sync is due
    # at once only if one became due while paused).
    sync_on_resume: bool = False
    # Lenient behaviours of the old simulator (off unless a test names them):
    all_columns_in_schema_config: bool = False  # GET /schemas lists unedited columns too
    every_feature_everywhere: bool = False  # every service supports table re-sync and column config
    any_daily_sync_time: bool = False  # daily_sync_time at half hours or with a frequency other than 1440
    webhooks_http_allowed: bool = False  # Fivetran insists on HTTPS
    webhooks_untested: bool = False  # no synchronous test delivery on create / activation
    webhooks_no_retry: bool = False  # a failed delivery is not retried (and the webhook never disabled)
    # Webhook retries (FACTS.md 1.5, older Fivetran text): the wait grows by 5 minutes each time, for 24 h,
    # after which the webhook is disabled. Simulated seconds.
    webhook_retry_step: float = 300.0
    webhook_retry_for: float = 24 * 3600.0

    def real_seconds(self, simulated: float) -> float:
        return max(0.0, simulated) / self.time_factor if self.time_factor > 0 else 0.0

    def but(self, **changes: Any) -> Fidelity:
        """A copy with some options changed: `Fidelity().but(time_factor=3600)`."""
        return replace(self, **changes)


STRICT = Fidelity()
# Strict, with latencies scaled for tests (a 60 s pause answers in ~17 ms): what the test suites use.
FAST = STRICT.but(time_factor=3600.0)
