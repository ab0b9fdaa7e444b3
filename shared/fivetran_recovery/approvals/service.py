"""Approvals: request one (notify), show it, and take exactly one authorised decision (approve), then resume
the waiting workflow with SendTaskSuccess or SendTaskFailure(ApprovalRejected)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fivetran_recovery.approvals import delivery
from fivetran_recovery.approvals.auth import ApproverDirectory, AuthError, verify_slack_request
from fivetran_recovery.approvals.scope import approval_policy, resolution_problem, schema_columns
from fivetran_recovery.approvals.store import ApprovalConflict, ApprovalStore
from fivetran_recovery.config import RecoveryConfig, SecretMissing, SecretSource, field
from fivetran_recovery.notifiers.base import Notice
from fivetran_recovery.recovery_sql.execution import plan_steps, preview_lines, resolved_by_begin
from fivetran_recovery.settings import Settings
from fivetran_recovery.workflow import notice_journal

if TYPE_CHECKING:
    from fivetran_recovery.audit import AuditLog
    from fivetran_recovery.notifiers import Dispatcher
    from fivetran_recovery.workflow.records import WorkflowRecords

logger = logging.getLogger(__name__)
REJECTED_ERROR = "ApprovalRejected"
Response = tuple[int, dict[str, Any]]


_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"


class Resolution(BaseModel):
    """What an approver supplies for a step the plan could not resolve (e.g. which column to exclude)."""

    model_config = ConfigDict(extra="forbid")

    exclude_columns: dict[str, list[str]] = Field(
        description='{"schema.table": ["column", ...]}', min_length=1, max_length=20
    )

    @field_validator("exclude_columns")
    @classmethod
    def _identifiers(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for table, columns in value.items():
            if not re.fullmatch(rf"{_IDENT}\.{_IDENT}", table):
                raise ValueError(f"{table!r} is not schema.table")
            if not columns or not all(re.fullmatch(_IDENT, c) for c in columns):
                raise ValueError(f"columns of {table} must be plain identifiers")
        return value


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    comment: str = Field("", max_length=1000)
    resolve: Resolution | None = None


def _both(current: dict[str, Any], approver: str, decision: str) -> str:
    """Under the two-person rule the decision is recorded as taken by both approvers."""
    first = current.get("first_approver")
    return f"{first} + {approver}" if decision == "approved" and first and first != approver else approver


def _error(http_status: int, message: str, **extra: Any) -> Response:
    return http_status, {"error": message, **extra}


def planned_lines(workflow: dict[str, Any]) -> list[str]:
    """The plan's dry-run lines, with the steps remediate's begin completed described as they will run."""
    from fivetran_recovery.models.workflow import PlanStep
    from fivetran_recovery.policy.dry_run import describe

    resolved = resolved_by_begin(workflow)
    return [describe(PlanStep.model_validate(resolved[str(i)])) if str(i) in resolved else line
            for i, line in enumerate(workflow["dry_run"])]


@dataclass(kw_only=True)
class ApprovalService:
    """Its collaborators are given by the composition root (`composition/approve.py`, and `composition/notify.py`
    for requests and expiry), never looked up. `sfn` is the Step Functions client the decision resumes."""

    settings: Settings
    config: RecoveryConfig
    approvals: ApprovalStore
    records: WorkflowRecords
    audit: AuditLog
    dispatcher: Dispatcher
    secrets: SecretSource
    sfn: Any
    clock: Callable[[], datetime]
    team_of: Callable[[dict[str, Any]], str | None] = lambda workflow: None  # owners.yaml team of the connection
    schema_of: Callable[[str], dict[str, Any] | None] | None = None  # the connection's schema config, for resolve
    start_workflow: Callable[[str, dict[str, Any]], Any] | None = None  # (execution name, input): see _start

    # -- request (notify function) --------------------------------------------------------------------------
    def request(self, workflow: dict[str, Any], task_token: str, *, start_on_approval: bool = False
                ) -> dict[str, Any]:
        """`start_on_approval`: no workflow waits (task_token ""); approving starts `workflow` (a preemptive plan)."""
        decision = workflow["decision"]
        timeout = int(
            (workflow.get("config") or {}).get("approval_timeout_seconds") or self.settings.approval_timeout_seconds
        )
        unresolved = [step for step in plan_steps(workflow) if step.get("unresolved")]  # begin may complete some
        reasons = list(decision.get("reasons", []))
        if unresolved:
            reasons.append(
                f"step(s) {', '.join(str(s['index']) for s in unresolved)} need your input: approve through the API "
                'with "resolve" (e.g. {"exclude_columns": {"schema.table": ["column"]}}), or reject'
            )
        notice = Notice(
            kind="approval_request",
            incident_id=workflow["incident_id"],
            connection_id=workflow["connection_id"],
            title=f"Approval needed: {workflow['playbook']['title']}",
            summary=workflow["rca"]["summary"],
            rca=workflow["rca"],
            planned_actions=planned_lines(workflow) + preview_lines(workflow),  # SQL preview beside the SQL
            reasons=reasons,
        )
        record = self.approvals.create(
            incident_id=workflow["incident_id"],
            connection_id=workflow["connection_id"],
            task_token=task_token,
            timeout_seconds=timeout,
            playbook_id=workflow["playbook"]["id"],
            planned_actions=notice.planned_actions,
            rca=workflow["rca"],
            reasons=notice.reasons,
            unresolved_steps=[step["index"] for step in unresolved],
            policy=approval_policy(workflow, self.team_of(workflow)),
            start_input=workflow if start_on_approval else None,
        )
        self.records.add_approval(workflow["incident_id"], record["approval_id"])
        notice.approval_id = record["approval_id"]
        notice.expires_at = record["expires_at_iso"]
        base = self.config.approval_base_url.rstrip("/")
        notice.approval_url = f"{base}/approvals/{record['approval_id']}" if base else None
        sent = notice_journal.send_once(audit=self.audit, dispatcher=self.dispatcher, workflow=workflow, notice=notice,
                                        purpose=f"approval_request:{record['approval_id']}", actor="notify")
        refs, errors = sent.refs, sent.errors  # the intent is on record before the request goes out
        self.approvals.set_refs(record["approval_id"], {"refs": refs, "notice": notice.model_dump(mode="json")})
        self.audit.append(
            chain_id=workflow["connection_id"],
            incident_id=workflow["incident_id"],
            kind="approval_requested",
            actor="notify",
            detail=sent.record({
                "approval_id": record["approval_id"],
                "expires_at": record["expires_at_iso"],
                "planned_actions": notice.planned_actions,
                "channels": sorted(refs),
                "channel_errors": errors,
            }),
        )
        self.records.set_status(
            workflow["incident_id"], "awaiting_approval", f"approval {record['approval_id']} requested"
        )
        return {"approval_id": record["approval_id"], "channels": sorted(refs), "errors": errors}

    def expire_for(self, workflow: dict[str, Any],
                   text: str = "Expired: nobody decided in time, nothing was changed.") -> list[str]:
        """Every still-pending approval of the incident -> expired (its message updated with `text`)."""
        expired = []
        for approval_id in self.records.approval_ids(workflow["incident_id"]):
            if self.approvals.expire(approval_id):
                expired.append(approval_id)
                self._update_channels(approval_id, text)
            elif (pending := self.approvals.undelivered(approval_id)) is not None:
                # decided, but the deciding invocation stopped before the workflow heard of it: say so
                delivery.complete_records(self.audit, pending[0])
                self.approvals.mark_delivered(approval_id, "workflow_timed_out")
                delivery.record_delivery(self.audit, pending[0], delivery.TIMED_OUT)
        return expired

    # -- approve function ---------------------------------------------------------------------------------
    def _directory(self) -> ApproverDirectory:
        return ApproverDirectory.from_secret(self.secrets.get(self.config.approver_secret_id))

    def show(self, approval_id: str, authorization: str | None) -> Response:
        try:
            self._directory().authenticate_bearer(authorization)
        except AuthError as exc:
            return _error(exc.status, str(exc))
        approval = self.approvals.get(approval_id)
        return (200, approval) if approval else _error(404, "no such approval")

    def decide_api(self, approval_id: str, authorization: str | None, body: bytes) -> Response:
        try:
            approver = self._directory().authenticate_bearer(authorization)
        except AuthError as exc:
            return _error(exc.status, str(exc))
        try:
            parsed = DecisionBody.model_validate_json(body or b"{}")
        except ValidationError as exc:
            return _error(
                400,
                'body must be {"decision": "approve"|"reject", "comment": "..."}',
                problems=[e["msg"] for e in exc.errors()][:5],
            )
        return self.decide(approval_id, parsed, approver=approver, source="api")

    def decide(self, approval_id: str, parsed: DecisionBody, *, approver: str, source: str) -> Response:
        """The one decision path (API, console): checks what the body asks against the approval, then applies
        exactly one decision and resumes the workflow. `approver` is already authenticated."""
        decision = "approved" if parsed.decision == "approve" else "rejected"
        if decision == "rejected" and source == "console" and not parsed.comment.strip():
            return _error(400, "a rejection needs a comment saying why")
        resolution = parsed.resolve.model_dump() if parsed.resolve else None
        current = self.approvals.get(approval_id)
        if current is None:
            return _error(404, "no such approval")
        if resolution is not None and (decision != "approved" or not current.get("unresolved_steps")):
            return _error(400, "resolve is only for approving a plan with unresolved steps")
        if decision == "approved" and current.get("unresolved_steps") and resolution is None:
            return _error(400, "this plan has steps that need input: give the columns to exclude (resolve)")
        refusal = self._scope_refusal(current, approver, decision, resolution)
        if refusal is not None:
            return refusal
        approver = _both(current, approver, decision)
        return self._apply(
            approval_id, decision, approver=approver, source=source, comment=parsed.comment, resolution=resolution
        )

    def slack_interaction(self, headers: dict[str, str], body: bytes) -> Response:
        try:
            signing_secret = str(field(self.secrets, self.settings.slack_secret_id, "signing_secret"))
        except SecretMissing:
            return _error(503, "Slack signing secret is not configured")
        try:
            verify_slack_request(
                signing_secret=signing_secret,
                headers=headers,
                body=body,
                now=self.clock(),
                window_seconds=self.config.slack_replay_window_seconds,
            )
        except AuthError as exc:
            return _error(exc.status, str(exc))
        try:
            payload = json.loads(parse_qs(body.decode("utf-8")).get("payload", [""])[0])
            user_id = payload["user"]["id"]
            action = payload["actions"][0]
            action_id, approval_id = action["action_id"], action["value"]
        except (ValueError, KeyError, IndexError, TypeError):
            return _error(400, "not a Slack block_actions payload")
        if action_id not in ("approve", "reject"):
            return _error(400, f"unknown action {action_id!r}")
        if not self._directory().slack_user_allowed(user_id):
            return _error(403, "this Slack user may not approve")
        name = payload["user"].get("username") or payload["user"].get("name") or ""
        approver = f"slack:{user_id}" + (f" ({name})" if name else "")
        decision = "approved" if action_id == "approve" else "rejected"
        current = self.approvals.get(approval_id)
        if decision == "approved" and current and current.get("unresolved_steps"):
            return _error(409, "this plan has steps that need input: approve it through the approval API with resolve")
        refusal = self._scope_refusal(current, approver, decision, None) if current else None
        if refusal is not None:
            return refusal
        approver = _both(current or {}, approver, decision)
        return self._apply(approval_id, decision, approver=approver, source="slack", comment="")

    def _scope_refusal(self, current: dict[str, Any], approver: str, decision: str,
                       resolution: dict[str, Any] | None) -> Response | None:
        """Team scope, resolve values, and the two-person rule; each refusal says why (None: go ahead)."""
        policy = current.get("policy") or {}
        why = self._directory().may_decide_for(approver, policy.get("team"))
        if why:
            return _error(403, why)
        if resolution is not None:
            known = None
            if self.schema_of is not None:
                config = self.schema_of(current["connection_id"])
                known = schema_columns(config) if config is not None else None
            problem = resolution_problem(resolution, policy, known)
            if problem:
                return _error(400, f"resolve refused: {problem}")
        if decision != "approved" or not policy.get("two_person"):
            return None
        first = current.get("first_approver")
        if first is None:
            if not self.approvals.add_first_approval(current["approval_id"], approver):
                return _error(409, "another approver was first at the same moment; try again")
            self.audit.append(chain_id=current["connection_id"], incident_id=current["incident_id"],
                              kind="approval_first", actor=approver,
                              detail={"approval_id": current["approval_id"], "needs": "a second, different approver"})
            return 202, {"approval_id": current["approval_id"], "status": "pending", "first_approver": approver,
                         "waiting_for": "a second, different approver (high-risk plan on a critical connection)"}
        if first == approver:
            return _error(409, f"{approver} already approved: a high-risk plan on a critical connection needs a "
                               "second, different approver")
        return None

    def _apply(
        self,
        approval_id: str,
        decision: str,
        *,
        approver: str,
        source: str,
        comment: str,
        resolution: dict[str, Any] | None = None,
    ) -> Response:
        try:
            approval, token = self.approvals.decide(
                approval_id,
                decision=decision,
                approver=approver,
                source=source,
                comment=comment,
                resolution=resolution,
            )
        except KeyError:
            return _error(404, "no such approval")
        except ApprovalConflict as exc:
            current = exc.current or {}
            settled = self._settle(approval_id)  # a decision whose invocation stopped midway is completed
            if settled is not None and current.get("status") == decision:
                return settled
            return _error(409, str(exc), status=current.get("status"), decided_by=current.get("decided_by"))
        delivery.record_decision(self.audit, approval)  # written ahead: the resumed workflow finds it
        return self._deliver(approval, token)

    def _deliver(self, approval: dict[str, Any], token: str, *, retry: bool = False) -> Response:
        """Send the recorded decision with its task token, then mark and record the delivery."""
        approval_id, decision, approver = approval["approval_id"], approval["status"], approval["decided_by"]
        sent = self._resume(approval, token, decision)
        self.approvals.mark_delivered(approval_id, sent)
        delivery.record_delivery(self.audit, approval, sent, note=delivery.RETRY_NOTE if retry else None)
        verb = "Approved" if decision == "approved" else "Rejected"
        self._update_channels(approval_id, f"{verb} by {approver} at {approval['decided_at']}")
        if sent.startswith("not_started"):  # a preemptive plan: the next predict run starts it (start_approved)
            return 202, {"approval_id": approval_id, "status": decision, "decided_by": approver,
                         "waiting_for": "the workflow could not start yet; the next predict run starts it"}
        if sent != "delivered":
            why = (delivery.RETRY_REFUSED if retry
                   else "the workflow no longer waits for this approval; nothing will run")
            return _error(409, why, status=decision, delivery=sent)
        return 200, {
            "approval_id": approval_id,
            "status": decision,
            "decided_by": approver,
            "decided_at": approval["decided_at"],
        }

    def _settle(self, approval_id: str) -> Response | None:
        """Complete a decision the deciding invocation did not finish (delivery.py); None when it was finished."""
        pending = self.approvals.undelivered(approval_id)
        if pending is None:
            current = self.approvals.get(approval_id)
            if current is not None and current.get("status") in ("approved", "rejected"):
                delivery.complete_records(self.audit, current)
            return None
        approval, token = pending
        delivery.complete_records(self.audit, approval)
        return self._deliver(approval, token, retry=True)

    def _resume(self, approval: dict[str, Any], token: str, decision: str) -> str:
        from botocore.exceptions import ClientError

        if not token:
            return self._start(approval, decision)
        try:
            if decision == "approved":
                output = {
                    "status": "approved",
                    "approval_id": approval["approval_id"],
                    "approved_by": approval["decided_by"],
                    "decided_at": approval["decided_at"],
                }
                self.sfn.send_task_success(taskToken=token, output=json.dumps(output))
            else:
                cause = json.dumps(
                    {
                        "approval_id": approval["approval_id"],
                        "rejected_by": approval["decided_by"],
                        "comment": approval.get("comment", ""),
                    }
                )
                self.sfn.send_task_failure(taskToken=token, error=REJECTED_ERROR, cause=cause[:32768])
            return "delivered"
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            logger.warning(
                "workflow did not take the decision", extra={"code": code, "approval_id": approval["approval_id"]}
            )
            return f"workflow_gone:{code}"

    def _start(self, approval: dict[str, Any], decision: str) -> str:
        """An approval no workflow waits on (a preemptive plan): approving starts its workflow, named after the
        plan, so a second start (a retried request) finds it running instead of running the plan twice; the
        workflow's remediate still checks the stored approval before each gated step. A rejection starts nothing."""
        from botocore.exceptions import ClientError

        start = self.approvals.start_input(approval["approval_id"]) if self.start_workflow is not None else None
        if start is None:
            return "no_token"
        if decision != "approved":
            return "delivered"
        workflow = {**start, "approval": {"status": "approved", "approval_id": approval["approval_id"],
                                          "approved_by": approval["decided_by"], "decided_at": approval["decided_at"]}}
        workflow.pop("config", None)  # the state machine loads its own
        try:
            self.start_workflow(workflow["incident_id"], workflow)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code != "ExecutionAlreadyExists":
                logger.warning("could not start the approved workflow", extra={"code": code})
                return f"not_started:{code}"
        return "delivered"

    def start_approved(self, approval_id: str, *, actor: str = "reconcile") -> str | None:
        """An approved plan no workflow waits on whose workflow did not start (the decision was taken, then the
        process stopped, or the start failed): start it now, once (the execution's name is the plan's). None
        when there is nothing to do."""
        approval = self.approvals.get(approval_id)
        if (not approval or approval["status"] != "approved" or not approval.get("starts_workflow")
                or approval.get("delivery") == "delivered"):
            return None
        delivery = self._start(approval, "approved")
        self.approvals.mark_delivered(approval_id, delivery)
        self.audit.append(chain_id=approval["connection_id"], incident_id=approval["incident_id"],
                          kind="approval_reconciled", actor=actor,
                          detail={"approval_id": approval_id, "delivery": delivery})
        return delivery

    def _update_channels(self, approval_id: str, text: str) -> None:
        stored = self.approvals.channel_refs(approval_id)
        refs, notice_doc = stored.get("refs") or {}, stored.get("notice")
        if not refs or not notice_doc:
            return
        errors = self.dispatcher.update(refs, Notice.model_validate(notice_doc), decided=text)
        if errors:
            logger.warning("could not update the approval message", extra={"errors": errors})
