"""Composition root of the predict function."""

from __future__ import annotations

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.prediction.service import PredictService
from fivetran_recovery.prediction.store import DynamoRiskStore


def predict_service(adapters: Adapters) -> PredictService:
    return PredictService(
        fivetran=adapters.fivetran,
        history=adapters.history,
        risks=adapters.cached("risks", lambda: DynamoRiskStore(adapters.table(adapters.settings.incidents_table))),
        clock=adapters.clock,
    )
