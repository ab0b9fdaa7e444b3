"""The console's use case: who is signed in, what they may see, and what they may change (a decision on an
approval, automation on a connection, the proposal to roll back an action). Collaborators come through the
constructor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fivetran_recovery.approvals.auth import ApproverDirectory
from fivetran_recovery.console.reads import ConsoleReads
from fivetran_recovery.console.session import Session, SessionSigner


@dataclass(kw_only=True)
class ConsoleService:
    reads: ConsoleReads
    approvals: Any  # ApprovalService: its `decide` is the one decision path
    overrides: Any  # AutomationOverrides
    directory: Callable[[], ApproverDirectory]
    signer: Callable[[], SessionSigner]
    rollback: Callable[[], Any] | None = None  # RollbackService, built on first use (it starts workflows)
    deployed: bool = True

    def sign_in(self, token: str) -> tuple[str, Session]:
        """Exchange an approver token for a session cookie value; AuthError(401) when it is not on the list."""
        approver = self.directory().authenticate_bearer(f"Bearer {token.strip()}")
        return self.signer().issue(approver)

    def session(self, cookie: str | None) -> Session | None:
        return self.signer().verify(cookie)

    def bearer(self, authorization: str | None) -> str:
        return self.directory().authenticate_bearer(authorization)

    def set_automation(self, connection_id: str, *, stop: bool, by: str, reason: str) -> dict[str, Any]:
        if stop:
            if not reason.strip():
                raise ValueError("say why automation stops (reason)")
            return self.overrides.stop(connection_id, by=by, reason=reason.strip())
        return self.overrides.resume(connection_id, by=by, reason=reason.strip())

    # -- roll back this action --------------------------------------------------------------------------------
    def rollback_option(self, incident_id: str, seq: int, *, by: str) -> dict[str, Any]:
        """The audited Fivetran change `seq` of the incident and its rollback plan, when `by` may propose it:
        scoped like approvals (an approver of the connection's owning team, or an admin). RollbackRefused else."""
        if self.rollback is None:
            raise RollbackRefused(404, "rolling back is not available here")
        incident = self.reads.incidents.get(incident_id)
        if incident is None:
            raise RollbackRefused(404, f"no incident {incident_id}")
        why = self.directory().may_decide_for(by, incident.owner)
        if why:
            raise RollbackRefused(403, why)
        option = next((o for o in self.rollback().candidates(incident_id) if o["seq"] == seq), None)
        if option is None or option["sql"]:
            raise RollbackRefused(404, f"audit record {seq} of {incident_id} is not a Fivetran change that can be "
                                       "rolled back here")
        if option["why_not"]:
            raise RollbackRefused(409, option["why_not"])
        if option["proposed"]:
            raise RollbackRefused(409, f"its rollback {option['proposed']['rollback_incident_id']} was already "
                                       f"proposed by {option['proposed']['by']}")
        try:
            dry_run = self.rollback().plan(incident_id, seq)["dry_run"]
        except ValueError as exc:  # NotRevertible: the record holds no before-state
            raise RollbackRefused(409, str(exc)) from None
        return {**option, "incident_id": incident_id, "dry_run": dry_run}

    def propose_rollback(self, incident_id: str, seq: int, *, by: str) -> dict[str, Any]:
        """Starts the rollback workflow of one audited change (it waits for an approver like any other)."""
        self.rollback_option(incident_id, seq, by=by)  # the same checks, at the moment it starts
        return self.rollback().propose(incident_id, seq, actor=by)


class RollbackRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
