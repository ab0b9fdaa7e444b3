""""Roll back this action": from an incident's audited action to a proposed rollback workflow, always approved.

A recovery-SQL action rolls back by its stored undo script (run as a script of its own: preview, approval,
backup of the current state, checks); a Fivetran change rolls back to the before-state in its audit record.
The CLI (`fivetran-recovery rollback`) and the console call `propose`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fivetran_recovery.recovery_sql.script import RecoveryScript
from fivetran_recovery.remediation.rollback import (
    NotRevertible,
    revert_steps,
    revertible,
    rollback_name,
    rollback_options,
)
from fivetran_recovery.workflow.sql_proposal import ROLLBACK_PLAYBOOK_ID, reviewed_workflow, script_workflow

ACTOR = "rollback"


@dataclass(kw_only=True)
class RollbackService:
    """Its collaborators are given by the composition root (`composition/rollback.py`)."""

    audit: Any
    settings: Any
    config: Any
    registry: Any
    start_workflow: Callable[[str, dict[str, Any]], Any]  # (execution name, input)

    def candidates(self, incident_id: str) -> list[dict[str, Any]]:
        """The incident's actions that can be rolled back, newest first, with what the rollback would do
        (`rollback_options`: the CLI's --list and the console)."""
        records = [r.model_dump(mode="json") for r in self.audit.for_incident(incident_id)]
        return rollback_options(records, incident_id)

    def plan(self, incident_id: str, seq: int | None = None) -> dict[str, Any]:
        """The rollback workflow's input for one audited action (the newest revertible one by default)."""
        records = [r.model_dump(mode="json") for r in self.audit.for_incident(incident_id)]
        options = revertible(records)
        record = next((r for r in options if seq is None or r["seq"] == seq), None)
        if record is None:
            raise NotRevertible(f"incident {incident_id} has no revertible action" + (f" {seq}" if seq else ""))
        detail, connection_id = record["detail"], record["chain_id"]
        name = rollback_name(incident_id, int(record["seq"]))
        common = {"incident_id": name, "connection_id": connection_id, "settings": self.settings,
                  "config": self.config, "registry": self.registry}
        reason = f"roll back {detail.get('action')} of incident {incident_id} (audit record {record['seq']})"
        if detail.get("action") == "run_recovery_sql":
            stored = ((detail.get("result") or {}).get("response") or {}).get("script")
            if not stored:
                raise NotRevertible("the recovery-SQL record holds no script (nothing ran, or it predates undo)")
            from fivetran_recovery.recovery_sql.undo import undo_as_script  # sqlglot: not at cold start

            undo = undo_as_script(RecoveryScript.from_dict(stored), name)
            return script_workflow(script=undo, reason=reason, **common)
        steps = revert_steps(record, connection_id)
        return reviewed_workflow(steps=steps, reason=reason, evidence=f"audit record {record['seq']}",
                                 playbook_id=ROLLBACK_PLAYBOOK_ID, **common)

    def propose(self, incident_id: str, seq: int | None = None, *, actor: str = "operator") -> dict[str, Any]:
        """Starts the rollback workflow (it waits for approval like any other) and audits the request."""
        workflow = self.plan(incident_id, seq)
        earlier = next((r for r in self.audit.for_incident(incident_id) if r.kind == "rollback_proposed"
                        and r.detail.get("rollback_incident_id") == workflow["incident_id"]), None)
        if earlier is not None:  # once per action: its workflow exists (running, waiting or done)
            raise NotRevertible(f"its rollback {workflow['incident_id']} was already proposed by {earlier.actor}")
        self.start_workflow(workflow["incident_id"], workflow)
        self.audit.append(chain_id=workflow["connection_id"], incident_id=incident_id, kind="rollback_proposed",
                          actor=actor, detail={"rollback_incident_id": workflow["incident_id"],
                                               "plan": workflow["dry_run"]})
        return {"rollback_incident_id": workflow["incident_id"], "plan": workflow["dry_run"], "started": True}


def sfn_starter(sfn: Any, state_machine_arn: str) -> Callable[[str, dict[str, Any]], Any]:
    def start(name: str, payload: dict[str, Any]) -> Any:
        return sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))

    return start
