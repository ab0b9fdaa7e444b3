"""Fixtures shared by every test area. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"  # the steering repo's shared/ (read-only), beside the clone


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach real AWS: fake credentials and a fixed region for every test."""
    from local.aws import FAKE_CREDENTIALS

    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def aws_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """moto with every resource of template.yaml created (local secret values), env vars set as in Lambda.

    Yields local.aws.LocalResources (tables, queues, secrets, functions, state_machines).
    """
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    from fivetran_recovery.settings import get_settings
    from local.aws import MOTO_CONFIG, create_resources
    from local.defaults import local_secrets

    with mock_aws(config=MOTO_CONFIG):
        resources = create_resources(secrets=local_secrets())
        for key, value in resources.environment().items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        parameters.clear_caches()
        yield resources
    get_settings.cache_clear()
    parameters.clear_caches()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED_DIR.exists():
        pytest.skip(f"{SHARED_DIR} is not present")
    return SHARED_DIR


def pytest_configure(config: pytest.Config) -> None:
    from local.botocore_cache import share_botocore_loader

    share_botocore_loader()  # every mock_aws start makes a new boto3 session: parse the service models once
    # A developer's running `make run` stack (its state file, its URLs) is never the tests' stack.
    os.environ["FIVETRAN_RECOVERY_STATE"] = str(Path(tempfile.mkdtemp(prefix="fr-tests-")) / "local-stack.json")
    for key in ("FIVETRAN_SIMULATOR_URL", "FIVETRAN_RECOVERY_API_URL"):
        os.environ.pop(key, None)
    os.environ.setdefault("POWERTOOLS_DEV", "false")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "FivetranRecoveryTests")



@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`make test` (pytest -n 2 --dist loadscope): each test module runs whole on one worker, so its module-scoped
    fixtures (the console's local stack and browser) are built once, as in one process; the end-to-end tests
    (tests/e2e/: each builds its own stack, most of the suite's time) are handed out one by one.

    (xdist's own loadgroup cannot do this under pytest 9: it renames `item._nodeid`, which pytest 9 no longer reads.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrEndToEndTest(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return nodeid if module.startswith("tests/e2e/") else module

    return ModuleOrEndToEndTest(config, log)
