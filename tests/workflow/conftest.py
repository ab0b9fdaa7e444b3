"""Fixtures of the recovery-workflow tests: the moto stack with short workflow timings and the harness."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.simulator.options import FAST

sys.path.insert(0, str(Path(__file__).parent))  # recovery_harness.py (importlib mode does not add test dirs)

WORKFLOW_PARAMETERS = {"ApprovalTimeoutSeconds": "30", "VerifyWaitSeconds": "0", "VerifyMaxAttempts": "8"}


@pytest.fixture
def workflow_stack(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """moto with template.yaml's resources; no real verify wait (the harness advances the simulator's clock).

    The approval timeout is 30 s, so a test that decides never races it on a loaded machine; a test that waits
    for the timeout asks for a short one with `@pytest.mark.approval_timeout(2)`."""
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    from fivetran_recovery.config import get_recovery_config
    from fivetran_recovery.playbooks.registry import default_registry
    from fivetran_recovery.settings import get_settings
    from local.aws import MOTO_CONFIG, create_resources
    from local.defaults import local_secrets

    with mock_aws(config=MOTO_CONFIG):
        marker = request.node.get_closest_marker("approval_timeout")
        parameters_ = {**WORKFLOW_PARAMETERS, **({"ApprovalTimeoutSeconds": str(marker.args[0])} if marker else {})}
        resources = create_resources(parameters=parameters_, secrets=local_secrets())
        for key, value in resources.environment().items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        get_recovery_config.cache_clear()
        default_registry.cache_clear()
        parameters.clear_caches()
        yield resources
    get_settings.cache_clear()
    get_recovery_config.cache_clear()
    parameters.clear_caches()


@pytest.fixture
def sim():
    from datetime import UTC, datetime

    from local.simulator import FivetranSimulator

    # Fivetran's clock starts at ours, as in production
    simulator = FivetranSimulator(start=datetime.now(UTC), fidelity=FAST)
    yield simulator
    simulator.stop()


@pytest.fixture
def harness(workflow_stack, sim):
    from recovery_harness import build_harness

    from local.lambda_runtime import route_moto_lambda

    built = build_harness(workflow_stack, sim)
    with route_moto_lambda(built.lambdas):
        yield built
