"""Powertools' `APIGatewayHttpResolver` for every HTTP route, made safe to share a process.

Powertools keeps the event being resolved on a class attribute (`BaseRouter.current_event`), so two resolvers
resolving at once in one process (the local stack runs ingest and the API function side by side on threads) would
read each other's request. `resolve` takes one process-wide lock around a resolution: in Lambda (one request per
environment) it is never contended.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

_RESOLVING = threading.Lock()
_REQUEST: dict[str, Any] = {}  # what `resolve` was given for the request being resolved (under the lock)
JSON = "application/json"


def resolve(app: APIGatewayHttpResolver, event: Mapping[str, Any], context: Any = None, **request_context: Any
            ) -> dict[str, Any]:
    """Resolve `event` with `app`; the route reads `request_context` with `request_value(name)` (a Router may be
    included in more than one resolver, so its own `context` is not the place)."""
    with _RESOLVING:
        _REQUEST.clear()
        _REQUEST.update(request_context)
        try:
            return app.resolve(_with_request_context(event), context)
        finally:
            _REQUEST.clear()


def request_value(name: str) -> Any:
    return _REQUEST[name]


def remember(name: str, value: Any) -> None:
    """Keep `value` for the rest of the request being resolved (e.g. who the caller is)."""
    _REQUEST[name] = value


def _with_request_context(event: Mapping[str, Any]) -> dict[str, Any]:
    """API Gateway always sends `requestContext`; a hand-made event with only `routeKey`/`rawPath` is routed too."""
    if "requestContext" in event:
        return dict(event)
    method, _, template = str(event.get("routeKey") or "").partition(" ")
    path = event.get("rawPath") or template or "/"
    return {**event, "requestContext": {"stage": "$default", "http": {"method": method or "GET", "path": path}}}


def json_response(status: int, body: Mapping[str, Any] | list[Any] | str, headers: Mapping[str, str] | None = None,
                  *, sort_keys: bool = False) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, sort_keys=sort_keys, separators=(",", ":"))
    return Response(status_code=status, content_type=JSON, body=text, headers=dict(headers or {}))
