"""The simulator's route table and reply helpers, shared by the route modules and the dispatcher (api.py).

A route handler gets (simulator core, path params, query, parsed body) and returns (status, payload).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.simulator.core import SimulatorCore
from local.simulator.rules import bad_request

JSON = "application/json"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload, separators=(",", ":")).encode(), JSON, headers or {})


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return json_reply(status, {"code": code, "message": message}, headers)


def ok(data: Any = None, message: str = "Operation performed.") -> tuple[int, dict[str, Any]]:
    payload: dict[str, Any] = {"code": "Success", "message": message}
    if data is not None:
        payload["data"] = data
    return 200, payload


Handler = Callable[[SimulatorCore, dict[str, str], dict[str, list[str]], Any], tuple[int, dict[str, Any]]]
ROUTES: list[tuple[str, re.Pattern[str], Handler, str]] = []  # method, regex, handler, path template


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(func: Handler) -> Handler:
        ROUTES.append((method, regex, func, pattern))
        return func

    return register


def limit(query: dict[str, list[str]]) -> int:
    raw = query.get("limit", ["100"])[0]
    if not raw.isdigit():
        raise bad_request("limit must be an integer in the range 1..1000")
    return int(raw)


def one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body
