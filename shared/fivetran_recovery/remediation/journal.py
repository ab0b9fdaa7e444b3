"""Write-ahead audit of one external write: intent, then the call, then the outcome — and what to do when the
outcome is not known (a timeout, a reset, a 5xx, a crash between the call and its record).

Each attempt appends an `action_intent` record (idempotency key = the ledger key, attempt number, the call, its
parameters, the connection's state before) to the connection's audit chain before the call is made. Its outcome
follows as `action` (`applied`, or `verified_applied` after a read-back), `action_failed` (`refused`,
`verified_not_applied`, `unknown_safe_to_repeat`) or `action_unknown` (a person must check before repeating).
The trail therefore always says what really happened, and our own writes are recognised by their intents
(`own_writes`), not by counting the records of the ones that succeeded.
"""

from __future__ import annotations

from typing import Any

from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.remediation import reconcile
from fivetran_recovery.remediation.actions import StepResult
from fivetran_recovery.remediation.ledger import Claim, StepLedger, StepOutcomeUnknown

OUTCOME_KINDS = frozenset({"action", "action_failed", "action_unknown"})
STALE_CAUSE = "an earlier invocation stopped after its intent (crash or timeout)"


class SafeToRetry(RuntimeError):
    """The write's outcome is unknown but repeating it is harmless (the state machine retries)."""


class ActionNotApplied(SafeToRetry):
    """The write failed and Fivetran's state shows it did not happen: a retry is safe (the state machine retries)."""


class Journal:
    def __init__(self, *, workflow: dict[str, Any], step: PlanStep, key: str, audit: Any, ledger: StepLedger,
                 fivetran: Any, actor: str, warehouse: Any = None) -> None:
        self.workflow, self.step, self.key = workflow, step, key
        self.audit, self.ledger, self.fivetran, self.actor = audit, ledger, fivetran, actor
        self.warehouse = warehouse  # recovery SQL is read back from the warehouse
        self.intended = False
        self.attempt = 0
        self.before: dict[str, Any] = {}

    # -- records -------------------------------------------------------------------------------------------
    def intend(self, before: dict[str, Any]) -> None:
        """Record what we are about to do, before doing it."""
        self.attempt = len(self._intents()) + 1
        self.before = before
        self._append("action_intent", {"before": before, "params": self.step.params,
                                       **self.outcome_fields("intended")})
        self.intended = True

    def outcome_fields(self, outcome: str, **extra: Any) -> dict[str, Any]:
        return {"idempotency_key": self.key, "attempt": self.attempt, "outcome": outcome, **extra}

    def _append(self, kind: str, detail: dict[str, Any]) -> None:
        step = self.step
        self.audit.append(chain_id=self.workflow["connection_id"], incident_id=self.workflow["incident_id"],
                          kind=kind, actor=self.actor,
                          detail={"step": step.index, "action": step.action,
                                  "calls": [c.model_dump() for c in step.calls], **detail})

    def _intents(self) -> list[Any]:
        return [r for r in self.audit.for_incident(self.workflow["incident_id"])
                if r.kind == "action_intent" and r.detail.get("idempotency_key") == self.key]

    # -- unknown outcomes ----------------------------------------------------------------------------------
    def after_error(self, exc: BaseException, *, repeatable: bool) -> StepResult | None:
        """The call failed after its intent. None: Fivetran refused, nothing happened (the caller releases the
        claim and re-raises). A result: Fivetran shows the write happened. Otherwise raises."""
        if not reconcile.maybe_acted(exc):
            self._append("action_failed", self.outcome_fields("refused", error=_cause(exc)))
            return None
        verdict = self._read_back()
        cause = _cause(exc)
        if verdict.outcome == reconcile.APPLIED:
            return self._applied(verdict, cause)
        if verdict.outcome == reconcile.NOT_APPLIED:
            self._append("action_failed", self.outcome_fields("verified_not_applied", evidence=verdict.evidence,
                                                              error=cause))
            self.ledger.release(self.key)
            raise ActionNotApplied(f"{self.step.action} did not happen ({verdict.evidence}) after {cause}") from exc
        if repeatable:
            self._append("action_failed", self.outcome_fields("unknown_safe_to_repeat", evidence=verdict.evidence,
                                                              error=cause))
            self.ledger.release(self.key)
            raise SafeToRetry(f"{self.step.action}: outcome unknown ({verdict.evidence}) after {cause}; "
                              "repeating it is harmless") from exc
        raise self._unknown(verdict, cause) from exc

    def settle_stale(self, claim: Claim, *, repeatable: bool) -> StepResult | None:
        """An earlier invocation claimed the step and is gone. None: act now (nothing was sent, or Fivetran shows
        it did not happen, or repeating is safe). A result: it had acted. Raises when nobody can tell."""
        self.ledger.take_over(self.key, claim)  # exactly one invocation settles it
        intents = self._intents()
        if not intents:
            return None  # it died before its intent: the call was never made
        last = intents[-1].detail
        self.attempt, self.before = int(last.get("attempt") or len(intents)), last.get("before") or {}
        verdict = self._read_back()
        if verdict.outcome == reconcile.APPLIED:
            return self._applied(verdict, STALE_CAUSE)
        if verdict.outcome == reconcile.NOT_APPLIED or repeatable:
            outcome = "verified_not_applied" if verdict.outcome == reconcile.NOT_APPLIED else "unknown_safe_to_repeat"
            self._append("action_failed", self.outcome_fields(outcome, evidence=verdict.evidence, error=STALE_CAUSE))
            return None
        raise self._unknown(verdict, STALE_CAUSE)

    def _read_back(self) -> reconcile.Verdict:
        return reconcile.read_back(self.step, self.workflow["connection_id"], self.fivetran, self.before,
                                   warehouse=self.warehouse)

    def ensure_outcome(self, result: dict[str, Any]) -> None:
        """A completed step whose outcome record was lost (a crash after the ledger, before the audit): add it."""
        records = [r for r in self.audit.for_incident(self.workflow["incident_id"])
                   if r.detail.get("idempotency_key") == self.key]
        intents = [r for r in records if r.kind == "action_intent"]
        if not intents or any(r.kind == "action" for r in records):
            return
        last = intents[-1].detail
        self.attempt, self.before = int(last.get("attempt") or len(intents)), last.get("before") or {}
        self._append("action", {"before": self.before, "result": result,
                                **self.outcome_fields("applied", note="recorded on replay: the ledger had it")})

    def _applied(self, verdict: reconcile.Verdict, cause: str) -> StepResult:
        response = None
        if self.step.action == "run_recovery_sql":  # the way back stays on record (backup, undo, the script)
            from fivetran_recovery.recovery_sql.execution import recorded_script

            response = recorded_script(self.step.params)
        result = StepResult("done", f"{self.step.action}: verified applied after {cause} ({verdict.evidence})",
                            response=response or {}, writes=1)
        self.ledger.complete(self.key, {**result.as_dict(), "index": self.step.index, "action": self.step.action})
        self._append("action", {"before": self.before, "after": verdict.state, "result": result.as_dict(),
                                **self.outcome_fields("verified_applied", evidence=verdict.evidence, error=cause)})
        return result

    def _unknown(self, verdict: reconcile.Verdict, cause: str) -> StepOutcomeUnknown:
        detail = (f"{self.step.action} may or may not have happened ({verdict.evidence}) after {cause}: "
                  "check Fivetran before repeating it")
        self.ledger.mark_unknown(self.key, detail)
        self._append("action_unknown", self.outcome_fields("unknown", evidence=verdict.evidence, error=cause))
        return StepOutcomeUnknown(detail)


def own_writes(records: list[Any]) -> list[str]:
    """Our own write actions in these audit records, one per attempt that may have reached Fivetran: each intent,
    minus attempts verified as not applied or refused (whether or not the attempt's outcome was recorded);
    records older than the write-ahead journal count by their `action` record."""
    void = {(r.detail.get("idempotency_key"), r.detail.get("attempt")) for r in records
            if r.detail.get("outcome") in ("verified_not_applied", "refused")}
    def ours(record: Any) -> bool:
        detail = record.detail
        if record.kind == "action_intent":
            return (detail.get("idempotency_key"), detail.get("attempt")) not in void
        return record.kind == "action" and bool(detail.get("calls")) and not detail.get("idempotency_key")

    return [r.detail.get("action") for r in records if ours(r)]


def _cause(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"
