"""The policy gate: which path the workflow takes and which steps wait for a human.

monitor   -> record and notify, zero write calls.
recommend -> every write waits for approval.
auto      -> low-risk steps run; high-risk actions, approval-requiring playbooks, unresolved steps and critical
             connections wait for approval. Protective `before_approval` steps (e.g. pause) run first when
             their own action is low risk and the connection is not critical.
A human's recent change to the connection turns any mode into monitor for this incident, and so does an
operator's stop of automation on the connection (policy/overrides.py) until they resume it.
A playbook that has *earned* auto (autonomy/: promoted by verified runs, or set by a human) may also run its
medium-risk steps on its own in auto; high-risk steps, approval-requiring playbooks and critical connections still wait.
Holds (a schema change with no diff to show, a playbook only the LLM chose) make every write wait for approval,
protective steps included; so does a step whose scope only the failure text suggested.
"""

from __future__ import annotations

from fivetran_recovery.models.workflow import PlanStep, PolicyDecision
from fivetran_recovery.playbooks.schema import Playbook, Precondition, Risk
from fivetran_recovery.policy.modes import is_critical
from fivetran_recovery.settings import RolloutMode

_HUMAN_PRECONDITIONS = {Precondition.NOT_PAUSED_BY_HUMAN, Precondition.NO_RECENT_HUMAN_EDIT}


def _needs_approval(step: PlanStep, playbook: Playbook, mode: RolloutMode, critical: bool, held: bool,
                    earned: bool = False) -> bool:
    if not step.writes:
        return False
    if held or step.unresolved or step.scope == "failure_text" or mode is RolloutMode.RECOMMEND or critical:
        return True
    action_risk = Risk(step.risk)
    if step.before_approval:
        return action_risk is not Risk.LOW
    highest = Risk.highest(playbook.risk, action_risk)
    return playbook.requires_approval or highest is Risk.HIGH or (highest is Risk.MEDIUM and not earned)


def decide(
    playbook: Playbook,
    steps: list[PlanStep],
    *,
    mode: RolloutMode | str,
    criticality: str,
    human_change: str | None = None,
    holds: list[str] | None = None,
    automation_stopped: str | None = None,
    earned_auto: bool = False,
) -> tuple[PolicyDecision, list[PlanStep]]:
    """The decision, and the steps with `approval_required` set (a new list; inputs are not changed).

    `holds`: reasons why no write may run without a human (each is given as a reason of the decision).
    `earned_auto`: the playbook's earned stage is auto (its medium-risk steps may run on their own in auto)."""
    mode = RolloutMode(mode)
    critical = is_critical(criticality)
    base = {"mode": mode.value, "criticality": criticality, "critical": critical}
    if mode is RolloutMode.MONITOR:
        reason = "rollout mode is monitor: record and notify only, no write calls"
        return PolicyDecision(path="monitor", reasons=[reason], **base), [s.model_copy() for s in steps]
    if automation_stopped:
        return (
            PolicyDecision(path="monitor", reasons=[automation_stopped], blocked_by="operator_stop", **base),
            [s.model_copy() for s in steps],
        )
    if human_change and _HUMAN_PRECONDITIONS & set(playbook.preconditions):
        return (
            PolicyDecision(path="monitor", reasons=[human_change], blocked_by="human_change", **base),
            [s.model_copy() for s in steps],
        )
    held = bool(holds)
    earned = earned_auto and mode is RolloutMode.AUTO
    gated = [s.model_copy(update={"approval_required": _needs_approval(s, playbook, mode, critical, held, earned)})
             for s in steps]
    first = next((s.index for s in gated if s.approval_required), None)
    if first is None:
        medium = earned and any(s.writes and Risk(s.risk) is Risk.MEDIUM for s in gated)
        reasons = (
            [f"playbook {playbook.id} has earned auto: its medium-risk steps run on their own"] if medium
            else ["every step is low risk and allowed to run on its own"] if playbook.writes
            else ["no write steps: notify and escalate only"]
        )
        return PolicyDecision(path="auto", reasons=reasons, **base), gated
    # The approval covers the rest of the plan: steps after the first gated one run only once approved.
    gated = [s.model_copy(update={"approval_required": s.approval_required or s.index > first}) for s in gated]
    reasons = list(holds or [])
    if mode is RolloutMode.RECOMMEND:
        reasons.append("rollout mode is recommend: every write waits for approval")
    if critical:
        reasons.append(f"connection criticality is {criticality}: writes wait for approval")
    if playbook.requires_approval or playbook.risk is Risk.HIGH:
        reasons.append(f"playbook {playbook.id} is {playbook.risk.value} risk and requires approval")
    if any(s.unresolved for s in gated):
        reasons.append("a step could not be fully planned and needs a human")
    if any(s.scope == "failure_text" and s.writes for s in gated):
        reasons.append("a step's tables or columns were only suggested by the failure text: a human confirms them")
    return PolicyDecision(path="approval", reasons=reasons, approval_step_index=first, **base), gated
