"""From verified raw bytes to a `WebhookEvent`, with errors that name the problem (never echo the body)."""

from __future__ import annotations

import json
import math
from typing import NoReturn

from pydantic import ValidationError

from fivetran_recovery.ingest.errors import InvalidPayload, MalformedJson, NotAnObject
from fivetran_recovery.models.webhook import WebhookEvent, describe_validation_error

_JSON_TYPE_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")
    return value


_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def parse_webhook_event(raw: bytes) -> WebhookEvent:
    """Strict JSON (UTF-8, no NaN/Infinity), an object, and a valid Fivetran envelope for its event type."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJson("the body is not UTF-8 encoded JSON") from None
    try:
        payload = _STRICT_JSON.decode(text)
    except (ValueError, RecursionError) as exc:
        where = f" at position {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise MalformedJson(f"the body is not valid JSON{where}") from None
    if not isinstance(payload, dict):
        kind = "null" if payload is None else _JSON_TYPE_NAMES.get(type(payload), type(payload).__name__)
        raise NotAnObject(f"the body must be a JSON object, not {kind}")
    try:
        return WebhookEvent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload(f"not a Fivetran webhook event: {describe_validation_error(exc)}") from None
    except RecursionError:
        raise InvalidPayload("not a Fivetran webhook event: the payload is nested too deeply") from None
