"""Checks a request or a response against Fivetran's per-endpoint definitions (tests/data/fivetran/openapi/).

Small on purpose: method + path template, query parameters, body fields (recursively, through `properties`,
`additionalProperties`, `allOf` and the "Schema name" map idiom the definitions use for {schema: [tables]}),
required fields, JSON types and enums (integer enums are listed as strings: both spellings match). Fields the
definitions do not name fail; `null` is accepted (Fivetran's own answers carry nulls).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFINITIONS = Path(__file__).resolve().parent.parent / "data" / "fivetran" / "openapi"
TYPES = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    regex: re.Pattern[str]
    query: set[str]
    body: dict[str, Any] | None
    response: dict[str, Any] | None


def load() -> list[Endpoint]:
    endpoints = []
    for file in sorted(DEFINITIONS.glob("*/*.json")):
        spec = json.loads(file.read_text())
        regex = re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", spec["path"]) + "$")
        query = {p["name"] for p in spec.get("parameters", []) if p.get("in") == "query"}
        body = ((spec.get("request_body") or {}).get("content") or {}).get("application/json")
        response = ((spec.get("response") or {}).get("content") or {}).get("application/json")
        endpoints.append(Endpoint(file.stem, spec["method"].upper(), spec["path"], regex, query, body, response))
    return endpoints


def find(endpoints: list[Endpoint], method: str, path: str) -> Endpoint | None:
    """The definition of a concrete request path (most specific first: fewer template segments)."""
    matches = [e for e in endpoints if e.method == method.upper() and e.regex.match(path)]
    return min(matches, key=lambda e: e.path.count("{"), default=None)


def _merged(schema: dict[str, Any]) -> dict[str, Any]:
    """Fold `allOf` parts into one schema."""
    if "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = _merged(part)
        merged.setdefault("properties", {}).update(part.get("properties") or {})
        merged["required"] = sorted({*merged.get("required", []), *part.get("required", [])})
        for key in ("type", "additionalProperties", "items", "enum"):
            if key in part:
                merged.setdefault(key, part[key])
    return merged


def _map_value(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The value schema of an object used as a map: `additionalProperties`, or the definitions' idiom of one
    property titled "Schema name" that stands for any schema name."""
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        # `{"type": "object"}` with nothing else is how the generated definitions spell a free-form map
        # (connection `config`: strings, numbers, booleans): any value.
        return {} if extra == {"type": "object"} else extra
    props = schema.get("properties") or {}
    if len(props) == 1:
        (only,) = props.values()
        if isinstance(only, dict) and only.get("title") == "Schema name":
            return only
    return None


def check(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Problems of `value` against `schema` (an empty list when it conforms)."""
    schema = _merged(schema or {})
    problems: list[str] = []
    kind = schema.get("type")
    if value is None:
        return problems
    if kind in TYPES and not (isinstance(value, TYPES[kind]) and not (kind != "boolean" and isinstance(value, bool))):
        return [f"{where}: {type(value).__name__} is not {kind}"]
    if "enum" in schema and value not in schema["enum"] and str(value) not in schema["enum"]:  # ints as "15"
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems += check(item, schema["items"], f"{where}[{index}]")
    if isinstance(value, dict) and (kind == "object" or "properties" in schema or _map_value(schema)):
        map_value = _map_value(schema)
        props = schema.get("properties") or {}
        idiom = map_value is not None and "additionalProperties" not in schema  # {"<schema name>": [...]}
        for name in [] if idiom else schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: required field {name!r} missing")
        for name, item in value.items():
            if idiom or (map_value is not None and name not in props):
                problems += check(item, map_value, f"{where}.{name}")
            elif name in props:
                problems += check(item, props[name], f"{where}.{name}")
            elif props or map_value is not None:
                problems.append(f"{where}: field {name!r} is not in the definition")
    return problems


def check_response(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Responses: types, enums and required fields; fields the definition does not list are allowed (the
    definitions describe what Fivetran promises, not everything it sends)."""
    return [p for p in check(value, schema, where) if "is not in the definition" not in p]
