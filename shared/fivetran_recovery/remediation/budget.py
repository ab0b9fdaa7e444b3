"""How long one remediate invocation can take on its longest path, so the function's timeout, the ledger's lease
and the state machine's retries agree (tests/template checks template.yaml and the ASL against these numbers).

The longest path is a schema-config change that meets a running sync: read the connection and the schema config
(the rollback's before-state), the PATCH answers 409, the client pauses the connection, waits for the sync to stop
(up to its sync-state wait), sends the PATCH again, then reads the connection after; if the outcome is unknown the
read-back reads the connection and the schema config once more. Each call may use its whole timeout once, plus the
client's retry budget once.
"""

from __future__ import annotations

from dataclasses import dataclass

CALLS_ON_LONGEST_PATH = 8  # get_connection, get_schema_config, PATCH (409), pause, PATCH, get_connection, 2 reads back
STORE_SECONDS = 10  # DynamoDB: ledger, audit (intent and outcome), history, approvals
LEASE_MARGIN_SECONDS = 15


@dataclass(frozen=True)
class ClientTimings:
    """The Fivetran client's defaults (fivetran/client.py)."""

    timeout: float = 10.0
    retry_budget: float = 30.0
    sync_state_wait: float = 120.0


def longest_step_seconds(client: ClientTimings | None = None) -> int:
    c = client or ClientTimings()
    return int(CALLS_ON_LONGEST_PATH * c.timeout + c.retry_budget + c.sync_state_wait + STORE_SECONDS)


def lease_seconds(function_timeout: int) -> int:
    """A claim outlives any invocation that could hold it."""
    return function_timeout + LEASE_MARGIN_SECONDS
