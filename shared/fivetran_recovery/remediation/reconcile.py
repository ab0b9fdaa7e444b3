"""Did the write happen? After a timeout, a reset, a 5xx or a crash, the answer is read back from Fivetran, never
guessed: the connection's state (paused? schedule? a sync started since the intent's `before`?) and the schema
config (is the PATCH already there?). Three verdicts:

- applied: Fivetran shows the change; the step is recorded done (`unknown -> verified applied`), never repeated;
- not_applied: Fivetran shows no change; repeating is safe;
- unknown: Fivetran's state cannot tell (a reload, a queued re-sync); only an action safe to repeat is repeated,
  any other waits for a person.

Recovery SQL is read back from the warehouse instead (`recovery_sql.execution.landed`): is the step's backup
table there, do the script's checks hold against the counts the backup still gives?

Comparisons are between Fivetran's own values (before vs now), never against our clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fivetran_recovery.fivetran import FivetranError
from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.playbooks.schema import Action
from fivetran_recovery.remediation.actions import snapshot

APPLIED, NOT_APPLIED, UNKNOWN = "applied", "not_applied", "unknown"
SYNC_STARTING = frozenset({Action.SYNC_NOW, Action.SYNC_IF_MANUAL, Action.RESYNC, Action.RESYNC_TABLES})


@dataclass(frozen=True)
class Verdict:
    outcome: str
    evidence: str
    state: dict[str, Any] = field(default_factory=dict)


def maybe_acted(exc: BaseException) -> bool:
    """Whether the failed call may have reached Fivetran and acted: a refusal (4xx, 429) did not."""
    status = getattr(exc, "status", None)
    return not (isinstance(exc, FivetranError) and status is not None and status < 500)


def read_back(step: PlanStep, connection_id: str, fivetran: Any, before: dict[str, Any], *,
              warehouse: Any = None) -> Verdict:
    action = Action(step.action)
    if action is Action.RUN_RECOVERY_SQL:  # read from the warehouse: the backup, then the script's checks
        return _sql_verdict(step, warehouse)
    try:
        connection = fivetran.get_connection(connection_id)
    except FivetranError as exc:
        return Verdict(UNKNOWN, f"Fivetran's state could not be read ({type(exc).__name__})")
    now = snapshot(connection)
    params = step.params
    if action in (Action.PAUSE, Action.RESUME):
        wanted = action is Action.PAUSE
        outcome = APPLIED if connection.paused is wanted else NOT_APPLIED
        return Verdict(outcome, f"paused is {connection.paused}", now)
    if action is Action.UPDATE_SCHEDULE:
        wanted = {k: params[k] for k in ("sync_frequency", "schedule_type") if params.get(k) is not None}
        seen = {k: now.get(k) for k in wanted}
        return Verdict(APPLIED if seen == wanted else NOT_APPLIED, f"schedule is {seen}", now)
    if action in SYNC_STARTING:
        return _sync_verdict(action, before, now, syncing=connection.is_syncing)
    if action is Action.UPDATE_SCHEMA_CONFIG:
        return _schema_verdict(fivetran, connection_id, params, now)
    return Verdict(UNKNOWN, f"Fivetran's state does not show whether {action.value} ran", now)


def _sql_verdict(step: PlanStep, warehouse: Any) -> Verdict:
    from fivetran_recovery.recovery_sql import WarehouseError
    from fivetran_recovery.recovery_sql.execution import landed

    if warehouse is None:
        return Verdict(UNKNOWN, "no warehouse to read back from")
    try:
        outcome, evidence = landed(step.params, warehouse)
    except (WarehouseError, ValueError) as exc:
        return Verdict(UNKNOWN, f"the warehouse could not be read ({type(exc).__name__})")
    return Verdict(outcome, evidence)


def _sync_verdict(action: Action, before: dict[str, Any], now: dict[str, Any], *, syncing: bool) -> Verdict:
    finished_since = any(now.get(k) != before.get(k) for k in ("succeeded_at", "failed_at")) if before else False
    if syncing or finished_since:
        why = "a sync is running" if syncing else "a sync finished since the call was made"
        return Verdict(APPLIED, f"{why} (sync_state {now.get('sync_state')})", now)
    if action in (Action.RESYNC, Action.RESYNC_TABLES):  # Fivetran may queue a re-sync: absence proves nothing
        return Verdict(UNKNOWN, "no sync visible yet; a re-sync may be queued", now)
    return Verdict(NOT_APPLIED, f"no sync started (sync_state {now.get('sync_state')})", now)


def _schema_verdict(fivetran: Any, connection_id: str, params: dict[str, Any], now: dict[str, Any]) -> Verdict:
    try:
        config = fivetran.get_schema_config(connection_id)
    except FivetranError as exc:
        return Verdict(UNKNOWN, f"the schema config could not be read ({type(exc).__name__})", now)
    current = config.model_dump(mode="json") if hasattr(config, "model_dump") else dict(config)
    wanted = {k: params[k] for k in ("schema_change_handling", "schemas") if params.get(k) is not None}
    if not wanted:
        return Verdict(UNKNOWN, "the step names no field to compare", now)
    if contains(current, wanted):
        return Verdict(APPLIED, "the schema config already holds the requested change", now)
    return Verdict(NOT_APPLIED, "the schema config does not hold the requested change", now)


def contains(current: Any, wanted: Any) -> bool:
    """Every value `wanted` names is in `current` (nested dicts compared key by key)."""
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(k in current and contains(current[k], v) for k, v in wanted.items())
    return current == wanted
