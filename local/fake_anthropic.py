"""A loopback fake of the Anthropic Messages API (`POST /v1/messages`) for tests and the local stack.

It also answers Claude on Amazon Bedrock's route, `POST /model/{model}/invoke` (the model in the path, the body
carrying `anthropic_version` instead of `model`), so `anthropic.AnthropicBedrock(base_url=fake.base_url)` works;
the SigV4 `authorization` header of each Bedrock request is kept in `bedrock_auth` (to check it was signed).

The real `anthropic` client is pointed at it with `base_url`. Each request takes the next scripted behaviour
(or the default one): a real-shaped `tool_use` answer, an answer that echoes the classifier's hypothesis,
malformed answers, a 529 overload, or a hang that outlasts the client's timeout. Every request body is recorded
(without headers) so tests can check what left the process: redaction, delimiters, cache_control, the tool schema.

    with FakeAnthropic() as fake:
        fake.enqueue(Behaviour.overloaded(), Behaviour.tool_use({...}))
        client = anthropic.Anthropic(api_key="test", base_url=fake.base_url)
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import urllib.parse
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

DEFAULT_USAGE = {
    "input_tokens": 1200,
    "output_tokens": 180,
    "cache_read_input_tokens": 0,
    "cache_creation_input_tokens": 0,
}


@dataclass(frozen=True)
class Behaviour:
    """What the fake does with one request."""

    kind: str  # tool_use | echo_baseline | text | invalid_json | status | hang
    tool_input: dict[str, Any] | None = None
    text: str = ""
    status: int = 200
    error_type: str = ""
    hang_seconds: float = 0.0
    usage: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_USAGE))

    @classmethod
    def tool_use(cls, tool_input: dict[str, Any], *, usage: dict[str, int] | None = None) -> Behaviour:
        return cls("tool_use", tool_input=tool_input, usage=usage or dict(DEFAULT_USAGE))

    @classmethod
    def echo_baseline(cls) -> Behaviour:
        """Confirm the classifier's hypothesis found in the prompt, citing the first evidence piece."""
        return cls("echo_baseline")

    @classmethod
    def text_only(cls, text: str = "I think it is the network.") -> Behaviour:
        return cls("text", text=text)

    @classmethod
    def invalid_json(cls) -> Behaviour:
        return cls("invalid_json")

    @classmethod
    def overloaded(cls) -> Behaviour:
        return cls("status", status=529, error_type="overloaded_error", text="Overloaded")

    @classmethod
    def error(cls, status: int, error_type: str = "api_error", message: str = "Internal server error") -> Behaviour:
        return cls("status", status=status, error_type=error_type, text=message)

    @classmethod
    def hang(cls, seconds: float = 2.0) -> Behaviour:
        """Answer only after `seconds` (or when the fake stops): longer than the client's timeout."""
        return cls("hang", hang_seconds=seconds)


class FakeAnthropic:
    def __init__(self, default: Behaviour | None = None, host: str = "127.0.0.1", port: int = 0):
        self.default = default or Behaviour.echo_baseline()
        self.requests: list[dict[str, Any]] = []
        self.bedrock_auth: list[str] = []
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        from local.simulator.server import QuietThreadingServer

        self._server = QuietThreadingServer((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def start(self) -> FakeAnthropic:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-anthropic", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- responses ---------------------------------------------------------------------------------------

    def respond(self, body: dict[str, Any], behaviour: Behaviour) -> tuple[int, dict[str, str], bytes]:
        if behaviour.kind == "hang":
            self._stopping.wait(behaviour.hang_seconds)
            behaviour = Behaviour.echo_baseline()
        if behaviour.kind == "status":
            payload = {"type": "error", "error": {"type": behaviour.error_type, "message": behaviour.text}}
            return behaviour.status, {"retry-after-ms": "10"}, json.dumps(payload).encode()
        if behaviour.kind == "invalid_json":
            return 200, {}, b'{"id": "msg_broken", "type": "message", "content": [{"type": "tool_use", "inp'
        if behaviour.kind == "text":
            return (
                200,
                {},
                json.dumps(
                    _message(body, [{"type": "text", "text": behaviour.text}], "end_turn", behaviour.usage)
                ).encode(),
            )
        tool_input = behaviour.tool_input if behaviour.kind == "tool_use" else echo_baseline_input(body)
        block = {
            "type": "tool_use",
            "id": f"toolu_{uuid.uuid4().hex[:24]}",
            "name": _tool_name(body),
            "input": tool_input,
        }
        return 200, {}, json.dumps(_message(body, [block], "tool_use", behaviour.usage)).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                path = urllib.parse.unquote(self.path.split("?")[0])
                bedrock = _BEDROCK_INVOKE.fullmatch(path)
                if path != "/v1/messages" and not bedrock:
                    self._send(
                        404,
                        {},
                        json.dumps(
                            {"type": "error", "error": {"type": "not_found_error", "message": self.path}}
                        ).encode(),
                    )
                    return
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._send(400, {}, b'{"type":"error","error":{"type":"invalid_request_error","message":"json"}}')
                    return
                if bedrock:  # record it as the Messages API body it stands for
                    body = {"model": bedrock.group(1), **body}
                with fake._lock:
                    fake.requests.append(body)
                    if bedrock:
                        fake.bedrock_auth.append(self.headers.get("authorization", ""))
                status, headers, payload = fake.respond(body, fake.next_behaviour())
                # The client may have given up already (the hang scenario): that is expected.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(status, headers, payload)

            def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("request-id", f"req_{uuid.uuid4().hex[:24]}")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _tool_name(body: dict[str, Any]) -> str:
    choice = body.get("tool_choice") or {}
    if choice.get("name"):
        return choice["name"]
    tools = body.get("tools") or [{}]
    return tools[0].get("name", "tool")


def _message(body: dict[str, Any], content: list[dict[str, Any]], stop: str, usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "claude-fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": dict(usage),
    }


_BEDROCK_INVOKE = re.compile(r"/model/([^/]+)/invoke")
_HYPOTHESIS = re.compile(r"\{[^{}]*\"category\"[^{}]*\}")
_PIECE = re.compile(r'<piece id="(E\d+)"')


def echo_baseline_input(body: dict[str, Any]) -> dict[str, Any]:
    """A valid record_diagnosis input that confirms the hypothesis in the prompt (or says inconclusive)."""
    text = "".join(
        m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
        for m in body.get("messages") or []
    )
    match = _HYPOTHESIS.search(text)
    hypothesis = json.loads(match.group(0)) if match else {}
    pieces = _PIECE.findall(text) or ["E1"]
    category = hypothesis.get("category", "unknown")
    schema = ((body.get("tools") or [{}])[0].get("input_schema") or {}).get("properties", {})
    playbooks = schema.get("recommended_playbook", {}).get("enum", ["none"])
    return {
        "verdict": "inconclusive" if category == "unknown" else "diagnosed",
        "category": category,
        "pattern": hypothesis.get("pattern", "unknown"),
        "retryable": bool(hypothesis.get("retryable", False)),
        "confidence": 0.8 if category != "unknown" else 0.2,
        "summary": f"The evidence is consistent with {category} ({hypothesis.get('pattern', 'unknown')}).",
        "claims": [{"claim": "The failure message matches this family.", "evidence_ids": [pieces[0]]}],
        "recommended_playbook": "none" if "none" in playbooks else playbooks[0],
    }
