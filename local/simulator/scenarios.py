"""Failure scenarios the simulator plays on demand, each with the error text Fivetran (or the system behind it)
really shows, and the source of that text kept beside it.

A scenario is attached to one connection. At the end of each sync the simulator asks it for the sync's outcome
(None = the sync succeeds); recovery actions done through the API (reload schema, table re-sync, schema PATCH,
setup tests, manual sync, connect-card completion) are reported to it with `on_action`, and it says when it is
over (`done`). Texts:

- ft-* ids are rows of ../shared/corpus/fivetran_errors_dev.jsonl (each with its own source URL there).
- The others cite the public page or repository where the exact text appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

SUCCESSFUL = "SUCCESSFUL"
FAILURE = "FAILURE"
FAILURE_WITH_TASK = "FAILURE_WITH_TASK"
RESCHEDULED = "RESCHEDULED"
CANCELED = "CANCELED"


@dataclass(frozen=True)
class ErrorText:
    text: str
    source: str


# Real texts. Templated ones ('<name>') are filled with simulator object names, nothing else is changed.
NETWORK_RESET = ErrorText(
    "Error: Connection Error - Connection Reset by Peer",
    "corpus ft-078; https://fivetran.com/docs/connector-sdk/troubleshooting",
)
ITERABLE_RATE_LIMIT = ErrorText(
    "Retrying after 30 seconds. Error : ErrorResponse{msg='Exceeded rate limit for endpoint: "
    "/api/export/data.csv, project: 8575 ', code='RateLimitExceeded', params='{}'}",
    "corpus ft-019; https://fivetran.com/docs/connectors/applications/iterable/troubleshooting/kb-iterable-rate-limit",
)
SALESFORCE_TOKEN_EXPIRED = ErrorText(
    '{"error":"invalid_grant","error_description":"expired access/refresh token"}',
    "Salesforce OAuth token endpoint error; https://www.nango.dev/blog/salesforce-oauth-refresh-token-invalid-grant",
)
HUBSPOT_SCHEMA_CHANGE = ErrorText(
    "Failed to sync endpoint(s) with error: {CONTACT=java.lang.NullPointerException, "
    "DEAL=java.lang.NullPointerException, LINE_ITEM=java.lang.NullPointerException, "
    "COMPANY=java.lang.NullPointerException}",
    "corpus ft-004; https://fivetran.com/docs/connectors/applications/hubspot/troubleshooting/"
    "sync-failure-schema-changes-during-sync",
)
CLICKHOUSE_TYPE_CHANGE = ErrorText(
    "cause: can't map type UInt64 to Fivetran types",
    "corpus ft-041; ClickHouse/clickhouse-docs docs/integrations/data-ingestion/etl-tools/fivetran/troubleshooting.md",
)
SNOWFLAKE_MONITOR_SUSPENDED = ErrorText(
    "090073 (22000): Warehouse 'FIVETRAN_WAREHOUSE' cannot be resumed because resource monitor "
    "'FIVETRAN_MONITOR' has exceeded its quota.",
    "Snowflake error 090073 as mapped in rudderlabs/rudder-server warehouse/integrations/snowflake/snowflake.go "
    "(errorsMappings) @4d740190; warehouse and monitor names filled in",
)
SNOWFLAKE_DUPLICATE_ROW = ErrorText(
    "100090 (42P18): Duplicate row detected during DML action",
    "Snowflake MERGE error 100090; https://docs.coalesce.io/docs/duplicate-row-detected-during-dml-action-row-values",
)
POSTGRES_TOO_MANY_CONNECTIONS = ErrorText(
    'java.lang.RuntimeException: FATAL: too many connections for role "hxwraqld"',
    "corpus ft-037; datahub-project/datahub metadata-ingestion/tests/integration/fivetran/test_fivetran.py",
)
POSTGRES_STATEMENT_TIMEOUT = ErrorText(
    "ERROR: canceling statement due to statement timeout",
    "PostgreSQL server message (src/backend/tcop/postgres.c, ProcessInterrupts, QUERY_CANCELED)",
)
USER_CANCELED = ErrorText(
    "Sync has been cancelled because of a user action in the dashboard.Standard Config updated.",
    "datahub-project/datahub metadata-ingestion/tests/integration/fivetran/test_fivetran.py (FACTS.md 1.3)",
)
SYNC_STOP_TIMEOUT = ErrorText(
    "Failed to stop in-progress sync after trying for 60 seconds",
    "https://fivetran.com/docs/rest-api/troubleshooting/stop-in-progress-sync-error (FACTS.md 2.2)",
)


@dataclass
class SyncOutcome:
    status: str
    reason: str | None = None
    task_type: str | None = None
    retry_after_seconds: float | None = None
    source: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in (FAILURE, FAILURE_WITH_TASK)


class ScenarioError(ValueError):
    """A scenario name or option is invalid, or a control action does not apply."""


class Scenario:
    """Base: fails nothing. Subclasses set `name`, `error` and override the hooks they need."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    error: ClassVar[ErrorText | None] = None
    options: ClassVar[dict[str, type]] = {}

    def __init__(self, **options: Any) -> None:
        unknown = set(options) - set(self.options)
        if unknown:
            raise ScenarioError(f"{self.name}: unknown option(s) {sorted(unknown)}; allowed: {sorted(self.options)}")
        for key, kind in self.options.items():
            if key in options:
                value = options[key]
                try:
                    value = kind(value) if kind is not bool else _to_bool(value)
                except (TypeError, ValueError):
                    raise ScenarioError(f"{self.name}: option {key} must be {kind.__name__}") from None
                setattr(self, key, value)
        self.done = False

    # Hooks -----------------------------------------------------------------------------------------------
    def on_inject(self, connection: Any) -> None:
        """Called once when injected (may change the connection's state)."""

    def duration_factor(self) -> float:
        return 1.0

    def outcome(self, trigger: str) -> SyncOutcome | None:
        """The outcome of the sync that just ended (None = success). `trigger`: schedule|manual|force|resync."""
        return None

    def on_action(self, action: str, detail: dict[str, Any]) -> None:
        """A recovery action happened on the connection (reload_schema, resync, resync_tables, schema_patch,
        setup_tests, complete_reauth)."""

    def setup_tests(self) -> list[dict[str, Any]] | None:
        """Setup-test results while active (None = the normal, passing ones)."""
        return None

    def reload(self, schema_config: dict[str, Any]) -> None:
        """A schema reload read the source: show what changed there (in place)."""

    def auto_pause_due(self) -> bool:
        """True when Fivetran itself pauses the connection now (after the sync that just ended)."""
        return False

    auto_pause_reason: ClassVar[str] = ""
    # A status.warnings entry shown while the scenario fails the syncs (None: no warning).
    warning: ClassVar[dict[str, Any] | None] = None

    def describe(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "description": self.description,
            "error": self.error.text if self.error else None,
            "source": self.error.source if self.error else None,
            "options": {k: getattr(self, k) for k in self.options},
            "done": self.done,
        }

    def _fail(self, status: str = FAILURE, task_type: str | None = None) -> SyncOutcome:
        assert self.error is not None
        return SyncOutcome(status, self.error.text, task_type=task_type, source=self.error.source)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "no"):
        return False
    raise ValueError(value)


class FailsThenRecovers(Scenario):
    """Fails the next `failures` syncs, then clears by itself."""

    failures = 1

    def outcome(self, trigger: str) -> SyncOutcome | None:
        if self.failures > 0:
            self.failures -= 1
            return self._fail()
        self.done = True
        return None


class TransientNetworkBlip(FailsThenRecovers):
    name = "transient_network_blip"
    description = "the next sync fails on a connection reset; the one after succeeds"
    error = NETWORK_RESET
    options = {"failures": int}
    failures = 1


class RateLimit(Scenario):
    name = "rate_limit"
    description = "the source API's quota runs out: the sync ends RESCHEDULED with rescheduled_for set"
    error = ITERABLE_RATE_LIMIT
    options = {"times": int, "retry_after": float}
    times = 1
    retry_after = 3600.0

    def outcome(self, trigger: str) -> SyncOutcome | None:
        if self.times > 0:
            self.times -= 1
            assert self.error is not None
            return SyncOutcome(
                RESCHEDULED, self.error.text, retry_after_seconds=self.retry_after, source=self.error.source
            )
        self.done = True
        return None


class OAuthExpired(Scenario):
    name = "oauth_expired"
    description = "the OAuth refresh token expired: FAILURE_WITH_TASK reconnect until the connect card is completed"
    error = SALESFORCE_TOKEN_EXPIRED
    reauthorised = False

    def outcome(self, trigger: str) -> SyncOutcome | None:
        if self.reauthorised:
            self.done = True
            return None
        return self._fail(FAILURE_WITH_TASK, task_type="reconnect")

    def on_action(self, action: str, detail: dict[str, Any]) -> None:
        if action == "complete_reauth":
            self.reauthorised = True

    def setup_tests(self) -> list[dict[str, Any]] | None:
        if self.reauthorised:
            return None
        assert self.error is not None
        return [{"title": "Validate Login", "status": "FAILED", "message": self.error.text, "details": None}]


class SchemaChangeNonBreaking(Scenario):
    name = "schema_change_non_breaking"
    description = "the source schema changed during sync: fails until the schema is reloaded and the tables re-synced"
    error = HUBSPOT_SCHEMA_CHANGE
    # Code and label as in go-fivetran / dagster fixtures and the connection-details docs (FACTS.md 2.2).
    warning = {"code": "resync_table_warning", "message": "Resync Table Warning", "details": None}
    reloaded = False
    resynced = False

    def outcome(self, trigger: str) -> SyncOutcome | None:
        if self.reloaded and self.resynced:
            self.done = True
            return None
        return self._fail()

    def on_inject(self, connection: Any) -> None:
        """The failing sync saw the source change: Fivetran's schema config shows the new column at once (as it
        does per schema_change_handling), so the diff against a known-good snapshot names the changed table."""
        self.reload(connection.schema_config)

    def on_action(self, action: str, detail: dict[str, Any]) -> None:
        if action == "reload_schema":
            self.reloaded = True
        elif action in ("resync_tables", "resync") and self.reloaded:
            self.resynced = True

    def reload(self, schema_config: dict[str, Any]) -> None:
        """The source gained a column; ALLOW_ALL/ALLOW_COLUMNS enable it, BLOCK_ALL leaves it disabled."""
        enabled = schema_config.get("schema_change_handling") != "BLOCK_ALL"
        for schema in schema_config.get("schemas", {}).values():
            for table in schema.get("tables", {}).values():
                table.setdefault("columns", {}).setdefault(
                    "new_source_property",
                    {
                        "enabled": enabled,
                        "hashed": False,
                        "name_in_destination": "new_source_property",
                        "is_primary_key": False,
                        "enabled_patch_settings": {"allowed": True, "reason_code": None, "reason": None},
                    },
                )
                return


class SchemaChangeBreaking(Scenario):
    name = "schema_change_breaking"
    description = "a column changed to a type the destination cannot map: fails until the schema config is PATCHed"
    error = CLICKHOUSE_TYPE_CHANGE
    patched = False

    def outcome(self, trigger: str) -> SyncOutcome | None:
        if self.patched:
            self.done = True
            return None
        return self._fail()

    def on_action(self, action: str, detail: dict[str, Any]) -> None:
        if action == "schema_patch" and detail.get("schemas"):
            self.patched = True


class WarehouseSuspended(FailsThenRecovers):
    name = "warehouse_suspended"
    description = "the destination warehouse is suspended by its resource monitor for N syncs, then resumes"
    error = SNOWFLAKE_MONITOR_SUSPENDED
    options = {"failures": int, "group": bool}
    failures = 3
    group = False


class DuplicatePrimaryKey(Scenario):
    name = "duplicate_primary_key"
    description = "duplicate keys in the destination make the MERGE fail until the rows are cleaned (recovery SQL)"
    error = SNOWFLAKE_DUPLICATE_ROW

    def outcome(self, trigger: str) -> SyncOutcome | None:
        return self._fail()


class BrokenSetup(Scenario):
    name = "broken_setup"
    description = "setup_state broken; setup tests pass, then a manual (force) sync clears it"
    error = POSTGRES_TOO_MANY_CONNECTIONS
    tests_passed = False

    def on_inject(self, connection: Any) -> None:
        connection.setup_state = "broken"

    def outcome(self, trigger: str) -> SyncOutcome | None:
        if self.tests_passed and trigger in ("manual", "force"):
            self.done = True
            return None
        return self._fail()

    def on_action(self, action: str, detail: dict[str, Any]) -> None:
        if action == "setup_tests":
            self.tests_passed = True


class LatencyCreep(Scenario):
    name = "latency_creep"
    description = "each sync takes longer (x growth) for `steps` syncs, then `failures` syncs time out"
    error = POSTGRES_STATEMENT_TIMEOUT
    options = {"steps": int, "growth": float, "failures": int}
    steps = 4
    growth = 1.6
    failures = 1
    seen = 0

    def duration_factor(self) -> float:
        if self.seen < self.steps:
            return self.growth ** (self.seen + 1)
        return self.growth ** (self.steps + 1) if self.failures > 0 else 1.0

    def outcome(self, trigger: str) -> SyncOutcome | None:
        self.seen += 1
        if self.seen <= self.steps:
            return None
        if self.failures > 0:
            self.failures -= 1
            return self._fail()
        self.done = True
        return None


BROKEN_AUTO_PAUSE = "The connection was paused by Fivetran because it has been broken for too long"
TRIAL_AUTO_PAUSE = "The connection was paused by Fivetran because its free trial ended"


class FivetranPaused(Scenario):
    """Fivetran pauses the connection itself (actor Fivetran): a broken one after `failures` failed syncs, or one
    whose trial ended at once. The wording of the reasons is the simulator's (no public sample)."""

    name = "fivetran_paused"
    description = "Fivetran pauses the connection itself (actor Fivetran): broken for too long, or trial over"
    error = POSTGRES_TOO_MANY_CONNECTIONS
    options = {"reason": str, "failures": int}
    reason = "broken"
    failures = 1
    failed = 0

    def on_inject(self, connection: Any) -> None:
        if self.reason not in ("broken", "trial_expired"):
            raise ScenarioError("fivetran_paused: reason must be broken or trial_expired")
        if self.reason == "trial_expired":
            connection.pause_after_trial = True
        else:
            connection.setup_state = "broken"

    @property
    def auto_pause_reason(self) -> str:  # type: ignore[override]
        return TRIAL_AUTO_PAUSE if self.reason == "trial_expired" else BROKEN_AUTO_PAUSE

    def auto_pause_due(self) -> bool:
        return self.reason == "trial_expired" or self.failed >= self.failures

    def outcome(self, trigger: str) -> SyncOutcome | None:
        if self.reason == "trial_expired" or self.done:
            return None
        self.failed += 1
        return self._fail()

    def on_action(self, action: str, detail: dict[str, Any]) -> None:
        if action == "setup_tests" and self.reason == "broken":
            self.done = True


SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls
    for cls in (
        TransientNetworkBlip,
        RateLimit,
        OAuthExpired,
        SchemaChangeNonBreaking,
        SchemaChangeBreaking,
        WarehouseSuspended,
        DuplicatePrimaryKey,
        BrokenSetup,
        LatencyCreep,
        FivetranPaused,
    )
}


def build_scenario(name: str, **options: Any) -> Scenario:
    try:
        cls = SCENARIOS[name]
    except KeyError:
        raise ScenarioError(f"unknown scenario {name!r}; known: {sorted(SCENARIOS)}") from None
    return cls(**options)
