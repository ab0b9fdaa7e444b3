"""Crash and fault injection between the side effects of one remediation step (issue 13), shared by the test
suite (small) and bench/crash_injection.py (every point x every action x repeats).

A *kill* is the process dying: a BaseException no `except Exception` handler sees, so no cleanup runs (the
claim stays in the ledger). A *fault* is an error the code sees (a reset or a 5xx after Fivetran acted, a reset
before the call was sent). After either, the step is invoked again as Step Functions would retry it, with our
clock moved past the claim's lease, until it settles.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fivetran_recovery.fivetran import FivetranConnectionError
from fivetran_recovery.fivetran.errors import ServerError
from fivetran_recovery.remediation import journal as journal_module
from fivetran_recovery.remediation import ledger as ledger_module
from fivetran_recovery.remediation.actions import ActionExecutor
from fivetran_recovery.remediation.journal import SafeToRetry
from fivetran_recovery.remediation.ledger import StepInProgress, StepLedger

FULL = os.environ.get("CRASH_FULL") == "1"  # bench/crash_injection.py: every point; `make test`: a sample
REPEAT = int(os.environ.get("CRASH_REPEAT", "1"))


def sample(cases: Sequence[Any], small: Sequence[Any]) -> list[Any]:
    """Every case under bench/crash_injection.py (CRASH_FULL=1), else the `small` ones (`make test`'s budget)."""
    unknown = [c for c in small if c not in cases]
    assert not unknown, unknown
    return list(cases) if FULL else [c for c in cases if c in small]


class Killed(BaseException):
    """The invocation's process died here."""


KILLS = ["before_intent", "after_intent", "after_call", "after_ledger_complete", "after_outcome_record"]
FAULTS = ["reset_after_apply", "server_error_after_apply", "reset_before_send"]
POINTS = KILLS + FAULTS


@dataclasses.dataclass
class Clock:
    now: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


def inject(point: str, monkeypatch: Any, audit: Any) -> None:
    """Arrange for `point` to fire once."""
    fired = {"done": False}

    def once() -> bool:
        if fired["done"]:
            return False
        fired["done"] = True
        return True

    real_intend, real_run = journal_module.Journal.intend, ActionExecutor.run
    real_complete, real_append = ledger_module.StepLedger.complete, audit.append

    def intend(self, before):
        if point == "before_intent" and once():
            raise Killed(point)
        real_intend(self, before)
        if point == "after_intent" and once():
            raise Killed(point)

    def run(self, step, workflow, connection):
        if point == "reset_before_send" and once():
            raise FivetranConnectionError("ConnectError: connection refused", method="POST", path="/x")
        result = real_run(self, step, workflow, connection)
        if point == "after_call" and once():
            raise Killed(point)
        if point == "reset_after_apply" and once():
            raise FivetranConnectionError("RemoteProtocolError: peer closed connection", method="POST", path="/x")
        if point == "server_error_after_apply" and once():
            raise ServerError("502 Bad Gateway", status=502, method="POST", path="/x")
        return result

    def complete(self, key, result):
        real_complete(self, key, result)
        if point == "after_ledger_complete" and once():
            raise Killed(point)

    def append(**kwargs):
        record = real_append(**kwargs)
        if point == "after_outcome_record" and kwargs.get("kind") == "action" and once():
            raise Killed(point)
        return record

    monkeypatch.setattr(journal_module.Journal, "intend", intend)
    monkeypatch.setattr(ActionExecutor, "run", run)
    monkeypatch.setattr(ledger_module.StepLedger, "complete", complete)
    monkeypatch.setattr(audit, "append", append)


def run_until_settled(service: Any, workflow: dict[str, Any], clock: Clock, *, tries: int = 6) -> dict[str, Any]:
    """Invoke the step like the state machine: retry what it retries, after the lease when a claim is held."""
    last: BaseException | None = None
    for _ in range(tries):
        try:
            return service.step(workflow)
        except (Killed, StepInProgress, SafeToRetry, FivetranConnectionError, ServerError) as exc:
            last = exc
            clock.now += timedelta(seconds=service.ledger.lease_seconds + 1)
    raise AssertionError(f"step did not settle after {tries} invocations: {last!r}")


def with_clock(service: Any, clock: Clock) -> Any:
    table = service.ledger._table
    return dataclasses.replace(service, ledger=StepLedger(table, clock=clock, lease_seconds=315))


def check_trail(audit: Any, incident_id: str, key: str, connection_id: str) -> dict[str, Any]:
    """What the audit trail says about the step: intents, outcomes, and whether the chain verifies."""
    records = [r for r in audit.for_incident(incident_id) if r.detail.get("idempotency_key") == key]
    intents = [r for r in records if r.kind == "action_intent"]
    applied = [r for r in records if r.kind == "action" and r.detail.get("outcome") in ("applied", "verified_applied")]
    failed_as = [r.detail.get("outcome") for r in records if r.kind in ("action_failed", "action_unknown")]
    return {"intents": len(intents), "applied": len(applied), "failed_as": failed_as,
            "chain_ok": audit.verify_chain(connection_id).ok}
