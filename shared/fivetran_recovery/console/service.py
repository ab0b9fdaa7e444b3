"""The console's use case: who is signed in, what they may see, and the two things they may change (a decision
on an approval, automation on a connection). Collaborators come through the constructor."""

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
