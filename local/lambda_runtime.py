"""Run the Lambda handlers in-process, called the way AWS calls them.

`InProcessLambdas` loads functions/<name>/app.py by path and invokes handlers with a Lambda-like context.
`route_moto_lambda(lambdas)` points moto's docker-free Lambda backend (the one Step Functions task states call
through `lambda:Invoke`) at those handlers, so the state machine in the emulator reaches our real code.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

from local.aws import FunctionSpec

Handler = Callable[[Any, Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the real context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    timeout_seconds: int = 30
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def load_module(code_dir: Path, handler: str) -> ModuleType:
    """Import functions/<name>/<module>.py under a unique name (every function has an `app.py`)."""
    module_file, _ = handler.rsplit(".", 1)
    path = code_dir / f"{module_file.replace('.', '/')}.py"
    unique = f"lambda_{code_dir.name}_{module_file.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FunctionError(Exception):
    """A handler raised: carries the error payload AWS would return with X-Amz-Function-Error."""

    def __init__(self, payload: dict[str, Any]):
        super().__init__(payload.get("errorMessage", "function error"))
        self.payload = payload


@dataclass
class InProcessLambdas:
    specs: dict[str, FunctionSpec]
    _handlers: dict[str, Handler] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _busy: dict[str, threading.RLock] = field(default_factory=dict)
    invocations: list[tuple[str, float]] = field(default_factory=list)

    def _spec(self, name_or_arn: str) -> FunctionSpec:
        name = name_or_arn.split(":function:")[-1].split(":")[0]
        for spec in self.specs.values():
            if name in (spec.name, spec.short_name, spec.logical_id):
                return spec
        raise KeyError(f"no function named {name_or_arn}")

    def handler(self, name_or_arn: str) -> Handler:
        spec = self._spec(name_or_arn)
        with self._lock:
            if spec.name not in self._handlers:
                module = load_module(spec.code_dir, spec.handler)
                self._handlers[spec.name] = getattr(module, spec.handler.rsplit(".", 1)[1])
            return self._handlers[spec.name]

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Invoke like RequestResponse; a raised exception becomes FunctionError with AWS's error payload.

        One invocation at a time per function, as in one Lambda container: handlers keep module-level state."""
        spec = self._spec(name_or_arn)
        handler = self.handler(name_or_arn)
        context = LambdaContext(function_name=spec.name, invoked_function_arn=spec.arn, timeout_seconds=spec.timeout)
        self.invocations.append((spec.short_name, time.time()))
        with self._lock:
            busy = self._busy.setdefault(spec.name, threading.RLock())
        try:
            with busy:
                return handler(event, context)
        except Exception as exc:
            raise FunctionError({
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }) from exc
        finally:
            _drop_unpublished_metrics()


def _drop_unpublished_metrics() -> None:
    """With POWERTOOLS_METRICS_DISABLED, Powertools keeps every metric in a process-wide set and prints it once a
    metric reaches 100 values; in AWS each container is short-lived, here one process runs every function."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        from aws_lambda_powertools import Metrics

        Metrics().clear_metrics()


@contextmanager
def route_moto_lambda(lambdas: InProcessLambdas) -> Iterator[None]:
    """Make moto's docker-free Lambda backend call our handlers (tested against the pinned moto 5.2.5)."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any,
               response_headers: dict[str, str]) -> bytes:
        event = json.loads(body) if body else {}
        try:
            result = lambdas.invoke(function_name, event)
        except FunctionError as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(error.payload).encode()
        return json.dumps(result).encode()

    with mock.patch.object(LambdaSimpleBackend, "invoke", invoke):
        yield


@contextmanager
def serialized_moto() -> Iterator[None]:
    """One AWS request at a time through moto, as if each service were a consistent remote endpoint.

    moto's backends are plain dicts, not made for the poller, gateway, schedule and Step Functions threads of the
    local stack to mutate and scan them at once. Lambda invocations are let through unlocked: they only dispatch to
    a handler, whose own AWS calls then take the lock one by one (it is re-entrant for the same thread).
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.process_request

    def process_request(stubber: Any, request: Any) -> Any:
        if "/functions/" in request.url and request.url.rstrip("/").endswith("/invocations"):
            return original(stubber, request)
        with lock:
            return original(stubber, request)

    with mock.patch.object(BotocoreStubber, "process_request", process_request):
        yield
