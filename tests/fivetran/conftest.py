"""Fixtures for the Fivetran client tests: the copied fixtures (tests/data/fivetran) and simulators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fivetran_recovery.fivetran import FivetranClient
from local.simulator import FivetranSimulator
from local.simulator.options import FAST

DATA = Path(__file__).resolve().parent.parent / "data" / "fivetran"
BASE = "https://api.fivetran.test/v1"


def load_fixture(name: str) -> Any:
    return json.loads((DATA / "fixtures" / name).read_text())


class Sleeps(list):
    """An injected sleeper that records every wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps: Sleeps) -> Iterator[FivetranClient]:
    with FivetranClient(api_key="key-123", api_secret="very-secret-value", base_url=BASE, sleep=sleeps) as c:
        yield c


@pytest.fixture
def sim() -> Iterator[FivetranSimulator]:
    simulator = FivetranSimulator(fidelity=FAST)
    yield simulator
    simulator.stop()


@pytest.fixture
def served(sim: FivetranSimulator) -> Iterator[FivetranSimulator]:
    """The simulator on a real loopback socket."""
    sim.start(deliver_in_background=False)
    yield sim


def client_for(sim: FivetranSimulator, sleeps: Sleeps, **kwargs: Any) -> FivetranClient:
    """A client over the simulator's socket when started, else in-process through its httpx transport."""
    try:
        base_url, http = sim.base_url, None
    except RuntimeError:
        base_url, http = "http://simulator.invalid/v1", httpx.Client(transport=sim.transport())
    kwargs.setdefault("sleep", sleeps)
    return FivetranClient(api_key=sim.api_key, api_secret=sim.api_secret, base_url=base_url, http_client=http, **kwargs)
