"""Asking Claude for a recovery script when no template fits a diagnosed data problem. The request carries only
structured facts (the diagnosis' category and pattern, the incident tables' destination names, columns, types and
keys); the answer must come through a forced tool call, and whatever SQL it holds is only a draft until
`drafts.check_draft` accepts it (parser, allow-list, scope, a DuckDB run) - and then it still needs approval."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fivetran_recovery.recovery_sql.identifiers import TableRef, check_dialect

TOOL = "propose_recovery_sql"
SYSTEM = (
    "You draft recovery SQL for a data engineer. Answer only by calling the tool. Use only the tables listed, "
    "in the given dialect, with quoted identifiers. Allowed: SELECT, INSERT, UPDATE, DELETE, MERGE, CREATE TABLE "
    "or VIEW of a side table named <table>__<suffix> in the same schema, DROP of such a side table, BEGIN and "
    "COMMIT. Write exactly one of the listed tables. Never GRANT, ALTER, TRUNCATE, COPY, CALL, USE or SET. A "
    "person reviews and approves your script after it is tested on a copy."
)


class DraftUnavailable(RuntimeError):
    """The model gave no usable draft (no tool call, malformed input, API failure)."""


def build_draft_request(
    *, model: str, dialect: str, category: str, pattern: str,
    tables: Mapping[TableRef, Mapping[str, str]], keys: Mapping[TableRef, list[str]], max_tokens: int = 1500,
) -> dict[str, Any]:
    check_dialect(dialect)
    facts = {
        "dialect": dialect,
        "problem": {"category": category, "pattern": pattern},
        "tables": [
            {"name": ref.name, "columns": dict(columns), "primary_key": list(keys.get(ref, []))}
            for ref, columns in tables.items()
        ],
        "fivetran_system_columns": ["_fivetran_synced", "_fivetran_deleted", "_fivetran_id"],
    }
    tool = {
        "name": TOOL,
        "description": "Propose the recovery script (statements separated by semicolons) and why it is right.",
        "input_schema": {
            "type": "object",
            "properties": {
                "sql": {"type": "string", "maxLength": 8000},
                "explanation": {"type": "string", "maxLength": 1000},
            },
            "required": ["sql", "explanation"],
            "additionalProperties": False,
        },
    }
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": SYSTEM,
        "tools": [tool],
        "tool_choice": {"type": "tool", "name": TOOL},
        "messages": [{"role": "user", "content": "<facts>\n" + json.dumps(facts, indent=1) + "\n</facts>"}],
    }


def parse_draft(message: Any) -> tuple[str, str]:
    """(sql, explanation) from the forced tool call, or DraftUnavailable."""
    call = next((b for b in getattr(message, "content", []) or [] if getattr(b, "type", None) == "tool_use"), None)
    if call is None or getattr(call, "name", None) != TOOL:
        raise DraftUnavailable("no tool call in the answer")
    data = call.input if isinstance(call.input, dict) else {}
    sql, why = data.get("sql"), data.get("explanation")
    if not isinstance(sql, str) or not sql.strip() or not isinstance(why, str):
        raise DraftUnavailable("the tool call has no SQL")
    return sql, why[:1000]


def request_draft(client: Any, request: dict[str, Any]) -> tuple[str, str]:
    try:
        message = client.messages.create(**request)
    except Exception as exc:  # any API failure: no draft, the incident goes to a person
        raise DraftUnavailable(f"the LLM call failed: {type(exc).__name__}") from None
    return parse_draft(message)
