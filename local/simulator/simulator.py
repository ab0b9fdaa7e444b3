"""`FivetranSimulator`: the simulated account (core.py) with its HTTP surface (api.py) and server (server.py).

The top of the simulator package: it imports the three, none of them imports it.
"""

from __future__ import annotations

from typing import Any

from local.simulator.api import mock_transport
from local.simulator.core import SimulatorCore
from local.simulator.server import SimulatorServer, Ticker


class FivetranSimulator(SimulatorCore):
    """An in-process Fivetran. Drive it in Python (advance, inject, ...) or over HTTP (`start()`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._server: SimulatorServer | None = None
        self._ticker: Ticker | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0, *, deliver_in_background: bool = True) -> str:
        """Serve /v1 (and /__sim) on a background thread; returns the base URL, e.g. http://127.0.0.1:PORT/v1."""
        if self._server is not None:
            raise RuntimeError("simulator already started")
        self._server = SimulatorServer(self, host, port)
        self._server.start()
        if deliver_in_background:
            self.sender.start_worker()
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator is not started")
        return self._server.url

    def start_ticker(self, scale: float = 60.0, interval: float = 0.25) -> None:
        """Advance virtual time in the background: `scale` simulated seconds per real second."""
        if self._ticker is not None:
            raise RuntimeError("ticker already running")
        self._ticker = Ticker(self, scale=scale, interval=interval)
        self._ticker.start()

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.sender.close()

    def transport(self) -> Any:
        """An httpx transport answering in-process (no socket): `httpx.Client(transport=sim.transport())`."""
        return mock_transport(self)

    def __enter__(self) -> FivetranSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
