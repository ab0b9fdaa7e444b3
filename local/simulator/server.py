"""The simulator over HTTP (a threaded stdlib server on loopback) and the background ticker for `make run`."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from local.simulator.api import handle, http_date

if TYPE_CHECKING:
    from local.simulator.core import SimulatorCore

logger = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def _handler_for(sim: SimulatorCore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FivetranSimulator/1.0"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413, "request body too large")
                return
            body = self.rfile.read(length) if length else b""
            reply = handle(sim, self.command, self.path, dict(self.headers.items()), body)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def date_time_string(self, timestamp: float | None = None) -> str:
            return http_date(sim)  # the Date header on the simulator's clock

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("simulator %s", format % args)

    return Handler


class QuietThreadingServer(ThreadingHTTPServer):
    """A threading HTTP server for the local stack's servers (simulator, gateway, fake Messages API): a client
    that gave up (timeout, reset, closed connection) is logged at debug, not printed as a traceback on stderr."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("local server client %s went away", client_address)
            return
        logger.exception("local server request from %s failed", client_address)


class SimulatorServer:
    def __init__(self, sim: SimulatorCore, host: str, port: int) -> None:
        self._httpd = QuietThreadingServer((host, port), _handler_for(sim))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class Ticker:
    """Advances virtual time by `scale` simulated seconds per real second, every `interval` real seconds."""

    def __init__(self, sim: SimulatorCore, *, scale: float, interval: float) -> None:
        if scale <= 0 or interval <= 0:
            raise ValueError("scale and interval must be positive")
        self._sim, self._scale, self._interval = sim, scale, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sim.advance(self._interval * self._scale)
            except Exception:  # keep ticking; a bad tick is logged, not fatal
                logger.exception("simulator tick failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
