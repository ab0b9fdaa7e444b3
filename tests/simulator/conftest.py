"""Fixtures for the simulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local.simulator import FivetranSimulator
from local.simulator.options import FAST

# Loopback receivers in tests speak plain HTTP; Fivetran insists on HTTPS. Tests that register one through the
# API name this lenient option: @pytest.mark.parametrize("sim", [HTTP_RECEIVERS], indirect=True).
HTTP_RECEIVERS = FAST.but(webhooks_http_allowed=True)


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[FivetranSimulator]:
    simulator = FivetranSimulator(fidelity=getattr(request, "param", FAST))
    yield simulator
    simulator.stop()


@pytest.fixture
def served(sim: FivetranSimulator) -> Iterator[FivetranSimulator]:
    sim.start(deliver_in_background=False)
    yield sim


@pytest.fixture
def api(served: FivetranSimulator) -> Iterator[httpx.Client]:
    """Raw HTTP to the served simulator's root, authenticated like a Fivetran API client."""
    with httpx.Client(
        base_url=served.root_url,
        auth=(served.api_key, served.api_secret),
        headers={"Accept": "application/json;version=2"},
        timeout=10.0,
    ) as client:
        yield client


class Receiver:
    """A loopback webhook receiver recording the raw body and headers of every POST."""

    def __init__(self, status: int = 200) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []
        reply_status = status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(reply_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/fivetran"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
