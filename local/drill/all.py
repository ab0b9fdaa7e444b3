"""Every drill scenario, in the order the drill plays them."""

from __future__ import annotations

from local.drill.runner import Scenario


def all_scenarios() -> list[Scenario]:
    from local.drill.scenarios import SCENARIOS
    from local.drill.scenarios_fidelity import FIDELITY_SCENARIOS
    from local.drill.scenarios_prediction import PREDICTION_SCENARIOS
    from local.drill.scenarios_reliability import SCENARIOS as RELIABILITY
    from local.drill.scenarios_sql import SQL_SCENARIOS
    from local.drill.scenarios_trust import TRUST_SCENARIOS
    from local.drill.storm_scenario import STORM

    return [*SCENARIOS, *TRUST_SCENARIOS, *RELIABILITY, STORM, *SQL_SCENARIOS, *PREDICTION_SCENARIOS,
            *FIDELITY_SCENARIOS]
