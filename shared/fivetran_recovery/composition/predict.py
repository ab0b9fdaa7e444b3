"""Composition root of the predict function: the risk scoring and, on `high`, the preemptive use case."""

from __future__ import annotations

from typing import Any

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.prediction.preempt import DynamoAtRiskStore, PreemptService
from fivetran_recovery.prediction.service import PredictService
from fivetran_recovery.prediction.store import DynamoRiskStore, DynamoScheduleMemo


def preempt_service(adapters: Adapters) -> PreemptService:
    from fivetran_recovery.config import resolve_config_dir
    from fivetran_recovery.policy.modes import resolve
    from fivetran_recovery.remediation.actions import ActionExecutor
    from fivetran_recovery.triage.routing import Routing

    routing = Routing.load(resolve_config_dir() / "owners.yaml")

    def approvals() -> Any:  # the same approval use case the API decides with (composition/approve.py)
        from fivetran_recovery.composition.approve import approval_service

        return adapters.cached("approval_service", lambda: approval_service(adapters))

    def audit(connection_id: str, notice_id: str, kind: str, detail: dict[str, Any]) -> None:
        adapters.audit.append(chain_id=connection_id, incident_id=notice_id, kind=kind, actor="predict", detail=detail)

    return PreemptService(
        notices=DynamoAtRiskStore(adapters.table(adapters.settings.incidents_table)),
        registry=adapters.registry,
        executor=ActionExecutor(fivetran=adapters.fivetran, warehouse=None, dispatcher=adapters.dispatcher,
                                clock=adapters.clock),
        dispatcher=adapters.dispatcher,
        history=adapters.history,
        audit=audit,
        policy_for=lambda cid: tuple(m.value if hasattr(m, "value") else m
                                     for m in resolve(cid, adapters.settings.rollout_mode, adapters.config)),
        owner_of=lambda cid: routing.resolve(connection_id=cid).owner,
        clock=adapters.clock,
        stopped=adapters.overrides.stopped_reason,
        autonomy=adapters.autonomy,
        request_approval=lambda workflow: approvals().request(workflow, "", start_on_approval=True),
        expire_approvals=lambda record_id: approvals().expire_for({"incident_id": record_id}),
        trail=lambda record_id: adapters.audit.for_incident(record_id),
        start_approved=lambda approval_id: approvals().start_approved(approval_id, actor="predict"),
    )


def predict_service(adapters: Adapters) -> PredictService:
    return PredictService(
        fivetran=adapters.fivetran,
        history=adapters.history,
        risks=adapters.cached("risks", lambda: DynamoRiskStore(adapters.table(adapters.settings.incidents_table))),
        clock=adapters.clock,
        preempt=adapters.cached("preempt", lambda: preempt_service(adapters)),
        read_times=_read_times(adapters),
        memo=DynamoScheduleMemo(adapters.table(adapters.settings.incidents_table)),
    )


def _read_times(adapters: Adapters) -> Any:
    """Read times from the configured warehouse's query history (DuckDB's query_times locally); None without a
    warehouse (then no cost-aware recommendations)."""
    if not (adapters.config.warehouse_url or adapters.config.warehouse_secret_id):
        return None

    def read(connections: list[Any], now: Any) -> dict[str, list[Any]]:
        from fivetran_recovery.recovery_sql.query_history import read_times

        warehouse = adapters.warehouse
        if warehouse is None:
            return {}
        schemas = {c.id: getattr(c, "schema_", None) or "" for c in connections}
        return read_times(warehouse, schemas, now=now, location=getattr(warehouse, "location", None))

    return read
