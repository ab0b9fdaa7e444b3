"""The drill framework: each scenario runs on a fresh local stack and reports what happened, in numbers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from local.stack import LocalStack, StackOptions


class ScenarioResult(BaseModel):
    scenario: str
    expected: str
    outcome: str
    passed: bool
    seconds_to_remediation: float | None = Field(
        None, description="webhook received -> first remediation write call at Fivetran (None if none was due)"
    )
    fivetran_write_calls: int = 0
    llm_calls: int = 0
    incidents: int = 0
    seconds: float = 0.0
    checks: dict[str, bool] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Scenario:
    name: str
    expected: str
    play: Callable[[LocalStack, ScenarioResult], None]
    rollout_mode: str = "auto"
    parameters: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    background: bool = True
    fake_llm: bool = True  # LLM calls go to the loopback fake of the Messages API, so they are real and counted


def run_scenario(scenario: Scenario) -> ScenarioResult:
    """Play one scenario on its own stack; any exception is a failed scenario with the error as outcome."""
    result = ScenarioResult(scenario=scenario.name, expected=scenario.expected, outcome="", passed=False)
    started = time.monotonic()
    options = StackOptions(
        rollout_mode=scenario.rollout_mode,
        parameters=scenario.parameters,
        extra_environment=scenario.environment,
        background=scenario.background,
        fake_llm=scenario.fake_llm,
    )
    try:
        with LocalStack(options) as stack:
            scenario.play(stack, result)
    except Exception as exc:  # report, do not crash the whole drill
        result.passed = False
        result.outcome = f"error: {type(exc).__name__}: {exc}"
    result.passed = result.passed and all(result.checks.values())
    result.seconds = round(time.monotonic() - started, 2)
    return result


def run_scenarios(
    scenarios: list[Scenario], progress: Callable[[ScenarioResult], None] | None = None
) -> list[ScenarioResult]:
    results = []
    for scenario in scenarios:
        result = run_scenario(scenario)
        if progress:
            progress(result)
        results.append(result)
    return results
