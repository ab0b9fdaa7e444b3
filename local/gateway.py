"""Local API Gateway (HTTP API, payload format 2.0): HTTP requests in, Lambda handlers called in-process.

    gateway = LocalGateway({("POST", "/webhooks/fivetran"): ingest_handler,
                            ("POST", "/approvals/{approval_id}/decision"): approve_handler})
    base_url = gateway.start()      # http://127.0.0.1:<port>
    ...
    gateway.stop()

Each request becomes the event API Gateway would send (`build_http_event`): lower-cased headers with repeated
values comma-joined, cookies split out, query parameters decoded, path parameters from the route template
(`{name}` for one segment, `{name+}` for the rest of the path), the body base64-encoded when it is not UTF-8 text.
The handler's answer is written back the way API Gateway does: a dict with `statusCode` is used as is (headers,
cookies, `isBase64Encoded`); anything else is a 200 JSON body. An unknown path answers 404 and a known path with
another method 405, both as `{"message": ...}`; a handler that raises answers 500 `Internal Server Error`.

Handlers are called one at a time per handler (like one warm execution environment per function), because
Powertools singletons (Logger keys, Metrics) are per process and not meant to be shared by concurrent calls.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.lambda_runtime import LambdaContext

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]

ACCOUNT_ID = "123456789012"
API_ID = "local"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota
_SEGMENT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]
    function_name: str

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.template}"

    @classmethod
    def compile(cls, method: str, template: str, handler: Handler) -> Route:
        if not template.startswith("/"):
            raise ValueError(f"route path must start with '/': {template!r}")
        regex, position = [], 0
        for match in _SEGMENT.finditer(template):
            regex.append(re.escape(template[position : match.start()]))
            name, greedy = match.group(1), match.group(2)
            if greedy and match.end() != len(template):
                raise ValueError(f"a greedy parameter must end the path: {template!r}")
            regex.append(f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)")
            position = match.end()
        regex.append(re.escape(template[position:]))
        name = getattr(handler, "__module__", None) or "handler"
        return cls(method.upper(), template, handler, re.compile("".join(regex)), f"local-{name.rsplit('.', 1)[-1]}")

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {key: unquote(value) for key, value in found.groupdict().items()}


def _join_headers(pairs: list[tuple[str, str]] | Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Lower-cased headers, repeated values comma-joined; `cookie` headers become the cookies list."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in items:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def _encode_body(body: bytes | str | None) -> tuple[str | None, bool]:
    if body is None or body == b"" or body == "":
        return None, False
    if isinstance(body, str):
        return body, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def build_http_event(
    method: str,
    path: str,
    headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    *,
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    stage: str = "$default",
    domain_name: str = "localhost",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload v2.0 event for one request (`path` may carry a `?query`)."""
    raw_path, _, raw_query = path.partition("?")
    joined, cookies = _join_headers(headers or {})
    text, is_base64 = _encode_body(body)
    moment = now or datetime.now(UTC)
    route = route_key or "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": base64.b64encode(secrets.token_bytes(12)).decode("ascii"),
            "routeKey": route,
            "stage": stage,
            "time": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(moment.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        event["queryStringParameters"] = _query_parameters(raw_query)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if text is not None:
        event["body"] = text
    return event


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _json_message(status: int, message: str, extra_headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("content-type", "application/json"), *(extra_headers or [])], body)


def response_from_result(result: Any) -> HttpResponse:
    """Translate a handler's return value the way API Gateway's payload 2.0 integration does."""
    if not (isinstance(result, Mapping) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("content-type", "application/json")], body.encode())
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return _json_message(502, "Internal Server Error")
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw = result.get("body")
    if raw is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(raw)
    else:
        body = (raw if isinstance(raw, str) else json.dumps(raw)).encode()
    return HttpResponse(status, headers, body)


class LocalGateway:
    """A threaded HTTP server on loopback that routes to Lambda handlers (see the module docstring)."""

    def __init__(
        self,
        routes: Mapping[tuple[str, str], Handler],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout_seconds: int = 30,
    ) -> None:
        self.routes = [Route.compile(method, template, handler) for (method, template), handler in routes.items()]
        self.host = host
        self.port = port
        self.timeout_seconds = timeout_seconds
        self._handler_locks: dict[int, threading.Lock] = {id(route.handler): threading.Lock() for route in self.routes}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routing, usable without a socket ---------------------------------------------------------------
    def dispatch(
        self, method: str, path: str, headers: list[tuple[str, str]] | Mapping[str, str], body: bytes
    ) -> HttpResponse:
        raw_path = path.partition("?")[0]
        allowed: list[str] = []
        for route in self.routes:
            params = route.match(raw_path)
            if params is None:
                continue
            if route.method not in (method.upper(), "ANY"):
                allowed.append(route.method)
                continue
            event = build_http_event(
                method, path, headers, body, route_key=route.route_key, path_parameters=params or None
            )
            return self._invoke(route, event)
        if allowed:
            return _json_message(405, "Method Not Allowed", [("allow", ", ".join(sorted(set(allowed))))])
        return _json_message(404, "Not Found")

    def _invoke(self, route: Route, event: dict[str, Any]) -> HttpResponse:
        context = LambdaContext(
            function_name=route.function_name,
            invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{route.function_name}",
            timeout_seconds=self.timeout_seconds,
            aws_request_id=str(uuid.uuid4()),
        )
        try:
            with self._handler_locks[id(route.handler)]:
                result = route.handler(event, context)
            return response_from_result(result)
        except Exception:  # API Gateway answers 500 when the integration fails; the trace goes to the log
            logger.exception("handler for %s failed", route.route_key)
            return _json_message(500, "Internal Server Error")

    # -- the server ---------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the gateway is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        from local.simulator.server import QuietThreadingServer

        server = QuietThreadingServer((self.host, self.port), _make_request_handler(self))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="local-gateway", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LocalGateway:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read_chunked(rfile: Any, limit: int) -> bytes | None:
    """Body of a `Transfer-Encoding: chunked` request, or None past `limit` bytes (ValueError if malformed)."""
    chunks, total = [], 0
    while True:
        size_line = rfile.readline(1024)
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        total += size
        if total > limit:
            return None
        chunks.append(rfile.read(size))
        rfile.readline(1024)


def _make_request_handler(gateway: LocalGateway) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "LocalApiGateway"
        disable_nagle_algorithm = True  # headers and body are separate writes: avoid the 40 ms delayed-ACK stall

        def _handle(self) -> None:
            try:
                body = self._read_body()
            except ValueError:
                body, response = None, _json_message(400, "Bad Request")
            else:
                response = _json_message(413, "Request Entity Too Large")
            if body is None:
                self.close_connection = True
            else:
                response = gateway.dispatch(self.command, self.path, list(self.headers.items()), body)
            self._write(response)

        def _read_body(self) -> bytes | None:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                return _read_chunked(self.rfile, MAX_PAYLOAD_BYTES)
            try:
                length = int(self.headers.get("content-length") or 0)
            except ValueError:
                length = 0
            if length > MAX_PAYLOAD_BYTES:
                return None
            return self.rfile.read(length) if length > 0 else b""

        def _write(self, response: HttpResponse) -> None:
            self.send_response(response.status)
            names = {name.lower() for name, _ in response.headers}
            for name, value in response.headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            if "content-type" not in names and response.body:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(response.body)))
            self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the handlers log what matters
            return None

    return RequestHandler
