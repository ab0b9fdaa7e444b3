"""Each playbook action as one call on the Fivetran client (or the warehouse, or a notifier).

The executor acts on a `PlanStep` exactly as it was rendered (and, where needed, approved): the params and SQL
come from the plan, not from a fresh guess, so what ran is what was shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fivetran_recovery.fivetran.client_schemas import ColumnChangeRefused
from fivetran_recovery.fivetran.errors import BadRequestError
from fivetran_recovery.models.workflow import PlanStep
from fivetran_recovery.notifiers.base import Notice
from fivetran_recovery.playbooks.schema import Action
from fivetran_recovery.policy.human import parse_time
from fivetran_recovery.recovery_sql.execution import run_script
from fivetran_recovery.remediation.rollback import schema_before

# Actions that may be repeated after an interrupted attempt without harm.
REPEATABLE = frozenset(
    {
        Action.PAUSE,
        Action.RESUME,
        Action.UPDATE_SCHEDULE,
        Action.UPDATE_SCHEMA_CONFIG,
        Action.RELOAD_SCHEMA,
        Action.RUN_SETUP_TESTS,
        Action.WAIT,
        Action.SYNC_IF_MANUAL,
    }
)
PASSING_SETUP = {"PASSED", "WARNING", "SKIPPED"}


def is_repeatable(step: PlanStep) -> bool:
    action = Action(step.action)
    if action is Action.SYNC_NOW:
        return not step.params.get("force")  # a non-forced sync is a no-op while one runs
    return action in REPEATABLE


def snapshot(connection: Any) -> dict[str, Any]:
    """The connection state worth keeping before and after an action (no config, no secrets)."""
    if connection is None:
        return {}
    status = connection.status
    return {
        "paused": connection.paused,
        "schedule_type": connection.schedule_type,
        "sync_frequency": connection.sync_frequency,
        "succeeded_at": connection.succeeded_at.isoformat() if connection.succeeded_at else None,
        "failed_at": connection.failed_at.isoformat() if connection.failed_at else None,
        "setup_state": status.setup_state,
        "sync_state": status.sync_state,
        "update_state": status.update_state,
        "rescheduled_for": status.rescheduled_for.isoformat() if status.rescheduled_for else None,
        "tasks": connection.task_codes,
    }


@dataclass
class StepResult:
    status: str  # done | skipped | blocked
    detail: str = ""
    wait_seconds: int = 0
    planned_wait_seconds: int = 0  # before STEP_WAIT_SCALE (the local stack compresses waits)
    response: dict[str, Any] = field(default_factory=dict)
    writes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "detail": self.detail,
            "wait_seconds": self.wait_seconds,
            "planned_wait_seconds": self.planned_wait_seconds,
            "response": self.response,
            "writes": self.writes,
        }


def condition_holds(when: str, connection: Any, previous: dict[str, Any] | None) -> tuple[bool, str]:
    if when == "always":
        return True, ""
    if connection is None:
        return False, f"condition {when}: connection state unknown"
    if when == "schedule_manual":
        return connection.schedule_type == "manual", f"schedule_type is {connection.schedule_type}"
    if when == "connection_paused":
        return bool(connection.paused), f"paused is {connection.paused}"
    if when == "not_syncing":
        return not connection.is_syncing, f"sync_state is {connection.status.sync_state}"
    if when == "setup_tests_passed":
        tests = (previous or {}).get("setup_tests") or [t.status for t in connection.setup_tests]
        passed = bool(tests) and all(t in PASSING_SETUP for t in tests)
        return passed, f"setup tests: {', '.join(map(str, tests)) or 'none'}"
    return False, f"unknown condition {when}"


def wait_seconds(params: dict[str, Any], connection: Any, now: datetime) -> tuple[int, str]:
    """How long the state machine should wait after this step, and why."""
    if params.get("until") == "rescheduled_for":
        margin = int(params.get("margin_seconds", 60))
        cap = int(params.get("max_seconds", 6 * 3600))
        target = connection.status.rescheduled_for if connection is not None else None
        target = parse_time(target) if target is not None else None
        if target is None:
            return 0, "no rescheduled_for on the connection: nothing to wait for"
        seconds = max(0, min(cap, int((target + timedelta(seconds=margin) - now).total_seconds())))
        return seconds, f"waiting until Fivetran's rescheduled_for {target.isoformat()} (+{margin} s)"
    seconds = int(params.get("seconds", 0))
    return seconds, f"back-off {seconds} s"


class ActionExecutor:
    def __init__(self, *, fivetran: Any, warehouse: Any, dispatcher: Any, clock, wait_scale: float = 1.0):
        self.fivetran = fivetran
        self.warehouse = warehouse
        self.dispatcher = dispatcher
        self.clock = clock
        self.wait_scale = wait_scale

    def run(self, step: PlanStep, workflow: dict[str, Any], connection: Any) -> StepResult:
        cid = workflow["connection_id"]
        action = Action(step.action)
        p = step.params
        client = self.fivetran
        match action:
            case Action.SYNC_NOW | Action.SYNC_IF_MANUAL:
                return self._sync(cid, p, connection)
            case Action.PAUSE:
                client.pause(cid)
                return StepResult("done", "paused", writes=1)
            case Action.RESUME:
                client.resume(cid)
                return StepResult("done", "resumed", writes=1)
            case Action.UPDATE_SCHEDULE:
                client.update_schedule(
                    cid, sync_frequency=p.get("sync_frequency"), schedule_type=p.get("schedule_type")
                )
                return StepResult("done", f"schedule updated: {p}", writes=1)
            case Action.RELOAD_SCHEMA:
                config = client.reload_schema(cid, exclude_mode=p.get("exclude_mode", "PRESERVE"))
                return StepResult(
                    "done",
                    "schema reloaded",
                    response={"schema_change_handling": config.schema_change_handling},
                    writes=1,
                )
            case Action.RESYNC_TABLES:
                return self._resync_tables(cid, p["scope"])
            case Action.RESYNC:
                answer = client.resync(cid, scope=p.get("scope") or None)
                return StepResult("done", answer.message or "re-sync triggered", writes=1)
            case Action.UPDATE_SCHEMA_CONFIG:
                return self._update_schema_config(cid, p)
            case Action.RUN_SETUP_TESTS:
                tested = client.run_setup_tests(cid, **{k: v for k, v in p.items() if v is not None})
                statuses = [t.status for t in tested.setup_tests]
                return StepResult(
                    "done",
                    f"setup tests: {', '.join(map(str, statuses)) or 'none returned'}",
                    response={"setup_tests": statuses, "setup_state": tested.status.setup_state},
                    writes=1,
                )
            case Action.CREATE_CONNECT_CARD:
                return self._connect_card(step, workflow, connection)
            case Action.RUN_RECOVERY_SQL:
                return self._recovery_sql(step)
            case Action.WAIT:
                seconds, detail = wait_seconds(p, connection, self.clock())
                return StepResult(
                    "done", detail, wait_seconds=int(seconds * self.wait_scale), planned_wait_seconds=seconds
                )
            case Action.NOTIFY_OWNER | Action.OPEN_TICKET | Action.ESCALATE:
                return self._notice(action, step, workflow)
        raise ValueError(f"no executor for action {action}")

    def _sync(self, cid: str, p: dict[str, Any], connection: Any) -> StepResult:
        """A sync on a paused connection runs nothing (Fivetran does not say it queues one). The policy already
        stopped for a human's pause; what is left here is Fivetran's own (actor Fivetran): re-enable it first,
        as the owner would after the fix."""
        writes, detail = 0, ""
        if connection is not None and connection.paused:
            self.fivetran.resume(cid)
            writes, detail = 1, "resumed (Fivetran had paused it), then "
        answer = self.fivetran.sync_now(cid, force=bool(p.get("force", False)))
        return StepResult("done", detail + (answer.message or "sync triggered"), writes=writes + 1)

    def _resync_tables(self, cid: str, scope: dict[str, list[str]]) -> StepResult:
        """Table-level re-sync exists per connector; one without it answers 400. A full re-sync instead would
        re-load everything (cost, load on the source): that is a human's call, so the step is blocked with why."""
        try:
            answer = self.fivetran.resync_tables(cid, scope)
        except BadRequestError as exc:
            if not _table_resync_unsupported(exc):
                raise
            return StepResult(
                "blocked",
                "this connector has no table-level re-sync (Fivetran answered 400); a full re-sync of the "
                "connection would be needed and is left to a human",
                response={"fivetran_status": exc.status},
            )
        return StepResult("done", answer.message or "tables re-sync triggered", writes=1)

    def _update_schema_config(self, cid: str, p: dict[str, Any]) -> StepResult:
        # The before-state must include unedited columns, which GET /schemas omits: read the columns endpoint
        # for the tables the change touches, so a rollback can put them back.
        touched = {s: list((e or {}).get("tables") or {}) for s, e in (p.get("schemas") or {}).items()}
        current = self.fivetran.schema_with_columns(cid, touched) if touched else self.fivetran.get_schema_config(cid)
        before = schema_before(current, p)  # kept so the change can be rolled back
        try:
            config = self.fivetran.update_schema_config(
                cid, schema_change_handling=p.get("schema_change_handling"), schemas=p.get("schemas")
            )
        except ColumnChangeRefused as exc:  # a primary-key / system column, or no column config: not sent
            return StepResult("blocked", f"Fivetran would refuse this column change: {exc}")
        return StepResult(
            "done",
            "schema config updated",
            response={"schema_change_handling": config.schema_change_handling, "schema_before": before},
            writes=1,
        )

    def _connect_card(self, step: PlanStep, workflow: dict[str, Any], connection: Any) -> StepResult:
        """The Connect Card link is a one-day re-authorisation credential: it goes to the owner alone (Slack DM
        by e-mail, the local outbox), never to the shared channel, a store or a log; the channel is told where."""
        p = step.params
        card = self.fivetran.create_connect_card(
            workflow["connection_id"], redirect_uri=p.get("redirect_uri"), hide_setup_guide=p.get("hide_setup_guide")
        )
        expires = (self.clock() + timedelta(days=1)).isoformat()
        direct = _notice_for(workflow, "owner_action", "Re-authorise the Fivetran connection")
        direct.summary = ("The connection's credentials are no longer valid. Open the link to re-authorise it; the "
                          "sync resumes after that. The link is yours alone and expires in one day.")
        direct.link = card.uri
        direct.facts = {"Link expires": expires}
        where, errors = self.dispatcher.post_direct(
            direct, email=self.dispatcher.owner_email(workflow["connection_id"], connection))
        notice = _notice_for(workflow, "owner_action", "Re-authorisation needed on a Fivetran connection")
        notice.summary = (f"A re-authorisation link (valid until {expires}) was sent directly to the owner: {where}."
                          if where else "The re-authorisation link could not be sent to the owner directly "
                          f"({'; '.join(errors.values())}); create a new one from the Fivetran dashboard.")
        notice.facts = {"Link expires": expires, "Link sent to": where or "nobody"}
        refs, channel_errors = self.dispatcher.post(notice)
        return StepResult(
            "done",
            f"re-authorisation link sent to {where or 'nobody (see errors)'} (valid until {expires}); channel told "
            f"via {', '.join(sorted(refs)) or 'no channel'}",
            response={"sent_to": where, "delivered": sorted(refs), "errors": {**errors, **channel_errors},
                      "link_expires": expires},
            writes=1,
        )

    def _recovery_sql(self, step: PlanStep) -> StepResult:
        if self.warehouse is None:
            raise RuntimeError("no warehouse is configured (WAREHOUSE_URL): the recovery SQL cannot run")
        planned = step.params.get("dialect")
        if planned != self.warehouse.dialect:
            raise RuntimeError(f"the approved SQL is {planned}, the warehouse speaks {self.warehouse.dialect}")
        statements = [c.sql for c in step.calls if c.kind == "sql" and c.sql]
        if not statements:
            raise RuntimeError("the plan has no SQL for this step")
        ran = run_script(step.params, statements, self.warehouse)
        # A failed check fails the step (blocked: escalated); the backup and undo are in the response.
        return StepResult("done" if ran["verified"] else "blocked", ran["detail"], response=ran["response"])

    def _notice(self, action: Action, step: PlanStep, workflow: dict[str, Any]) -> StepResult:
        kind = {Action.NOTIFY_OWNER: "owner_action", Action.OPEN_TICKET: "ticket", Action.ESCALATE: "escalation"}[
            action
        ]
        title = {
            "owner_action": "Action needed on a Fivetran connection",
            "ticket": step.params.get("summary") or "Fivetran incident needs review",
            "escalation": "Fivetran incident escalated",
        }[kind]
        notice = _notice_for(workflow, kind, title)
        notice.summary = step.params.get("message") or step.params.get("reason") or workflow["rca"]["summary"]
        refs, errors = self.dispatcher.post(notice)
        return StepResult(
            "done",
            f"{kind} sent via {', '.join(sorted(refs)) or 'no channel'}",
            response={"refs": refs, "errors": errors},
        )


def _table_resync_unsupported(exc: BadRequestError) -> bool:
    text = (exc.message or "").lower()
    return "table" in text and ("not support" in text or "unsupported" in text)


def _notice_for(workflow: dict[str, Any], kind: str, title: str) -> Notice:
    return Notice(
        kind=kind,  # type: ignore[arg-type]
        incident_id=workflow["incident_id"],
        connection_id=workflow["connection_id"],
        title=title,
        summary=workflow["rca"]["summary"],
        rca=workflow["rca"],
        planned_actions=list(workflow.get("dry_run", [])),
    )
