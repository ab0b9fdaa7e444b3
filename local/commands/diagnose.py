"""`fivetran-recovery diagnose [FILE|-]`: one diagnosis per JSON line in.

Input lines: a Fivetran webhook payload, a Platform Connector LOG row, or {"id": ..., "message": ...}.
Output: one JSON line per input with id, category, pattern, retryable, confidence, playbook, summary (and the
evidence); a bad line gets {"line": N, "error": "..."} and the run goes on; the exit code is 1 if any line
was bad. With no LLM key the built-in classifier answers alone; with a key (--api-key-env, default
$ANTHROPIC_API_KEY) the LLM is asked when the classifier is unsure. --no-llm forces offline, --llm requires a key.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import IO, Annotated, Any

import typer

DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"


def register(app: typer.Typer) -> None:
    app.command(
        "diagnose",
        help=__doc__.split("\n", 1)[1].strip(),
        short_help="Diagnose JSON lines (webhook payloads, LOG rows or {id, message}), one diagnosis per line.",
    )(diagnose)


def diagnose(
    file: Annotated[str, typer.Argument(help="JSON lines file, or - for stdin (default)")] = "-",
    llm: Annotated[
        bool | None, typer.Option("--llm/--no-llm", help="require the LLM (fails without a key) / classifier only")
    ] = None,
    api_key_env: Annotated[str, typer.Option(help="environment variable holding the API key")] = DEFAULT_KEY_ENV,
    model: Annotated[str | None, typer.Option(help="Anthropic model (default: settings ANTHROPIC_MODEL)")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Anthropic API base URL (default: settings ANTHROPIC_BASE_URL)")
    ] = None,
    threshold: Annotated[float, typer.Option(help="classifier confidence below which to ask")] = 0.7,
    timeout: Annotated[float, typer.Option(help="LLM request timeout in seconds")] = 20.0,
) -> int:
    return run(SimpleNamespace(file=file, llm=llm, api_key_env=api_key_env, model=model, base_url=base_url,
                               threshold=threshold, timeout=timeout))


def run(args: Any) -> int:
    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        print(f"diagnose: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        analyzer = _analyzer(args)
    except ValueError as exc:
        print(f"diagnose: {exc}", file=sys.stderr)
        return 2
    if stream is sys.stdin and sys.stdin.isatty():
        print("diagnose: reading JSON lines from the terminal; end with Ctrl-D (or give a FILE)", file=sys.stderr)
    try:
        with stream:
            bad = diagnose_lines(stream, sys.stdout, analyzer=analyzer, threshold=args.threshold)
    except BrokenPipeError:  # the reader went away (e.g. `| head`)
        return 0
    except UnicodeDecodeError:
        print(f"diagnose: {args.file} is not UTF-8 text (a binary file?): nothing diagnosed after that point",
              file=sys.stderr)
        return 2
    return 1 if bad else 0


def _analyzer(args: Any) -> Any:
    """None (classifier only) unless an API key is available; --llm makes a missing key an error."""
    if args.llm is False:
        return None
    from pydantic import SecretStr

    from fivetran_recovery.rca import LlmAnalyzer
    from fivetran_recovery.settings import Settings

    key = os.environ.get(args.api_key_env, "")
    if not key:
        if args.llm:
            raise ValueError(f"--llm needs an API key in ${args.api_key_env}")
        return None
    if not 0.0 <= args.threshold <= 1.0:
        raise ValueError("--threshold must be within 0..1")
    settings = Settings.from_env()
    return LlmAnalyzer(
        api_key=SecretStr(key),
        model=args.model or settings.anthropic_model,
        base_url=args.base_url or settings.anthropic_base_url,
        timeout=args.timeout,
        max_retries=2,
    )


def diagnose_lines(
    lines: Iterable[str],
    out: IO[str],
    *,
    analyzer: Any = None,
    threshold: float = 0.7,
    resolve_playbook: Callable[[Any, str | None], str | None] | None = None,
) -> int:
    """Write one JSON line per input line to `out`; returns how many lines were bad."""
    from fivetran_recovery.rca import InMemoryLlmCache
    from fivetran_recovery.rca.inputs import InputError, parse_line

    resolve = resolve_playbook or playbook_resolver()
    cache = InMemoryLlmCache()
    bad = 0
    for number, line in _numbered(lines):
        try:
            item = parse_line(line)
        except InputError as exc:
            bad += 1
            _write(out, {"line": number, "error": str(exc)})
            continue
        try:
            result = diagnose_one(item, number, analyzer=analyzer, threshold=threshold, resolve=resolve, cache=cache)
        except Exception as exc:  # one line's failure is reported on its line; the run goes on
            bad += 1
            result = {"line": number, "error": f"could not diagnose: {type(exc).__name__}: {exc}"[:500]}
        _write(out, result)
    return bad


def diagnose_one(item: Any, number: int, *, analyzer: Any, threshold: float, resolve: Callable, cache: Any) -> dict:
    from fivetran_recovery.rca import analyze_incident, classify, gather_context, incident_signature
    from fivetran_recovery.rca.context import context_from_message

    if not item.is_failure:
        return {
            "id": item.id,
            "line": number,
            "category": "unknown",
            "pattern": "not_a_failure",
            "retryable": False,
            "confidence": 0.0,
            "playbook": None,
            "summary": f"Not a failure ({item.status or 'no error text'}): nothing to diagnose.",
            "evidence": [],
            "analyzer": "rules",
        }
    diagnosis = classify(item.message, status=item.status, task_type=item.task_type)
    signature = incident_signature(
        item.message,
        category=diagnosis.category.value,
        pattern=diagnosis.pattern,
        connector_type=item.connector_type or "",
    )
    llm_fields: dict[str, Any] = {}
    if analyzer is not None:
        context = (
            gather_context(item.event)
            if item.event is not None
            else context_from_message(item.message, status=item.status, task_type=item.task_type)
        )
        allowed = _allowed_playbooks()
        outcome = analyze_incident(
            context,
            classifier_diagnosis=diagnosis,
            llm=analyzer,
            allowed_playbooks=allowed,
            threshold=threshold,
            cache=cache,
        )
        diagnosis = outcome.diagnosis
        llm_fields = {
            "llm_calls": outcome.llm_calls,
            "llm_failure": outcome.llm_failure.kind if outcome.llm_failure else None,
            "usage": outcome.usage.model_dump(),
        }
    return {
        "id": item.id,
        "line": number,
        "category": diagnosis.category.value,
        "pattern": diagnosis.pattern,
        "retryable": diagnosis.retryable,
        "confidence": diagnosis.confidence,
        "playbook": resolve(diagnosis, item.task_type),
        "summary": diagnosis.summary,
        "evidence": [e.model_dump() for e in diagnosis.evidence],
        "analyzer": diagnosis.analyzer,
        "signature": signature,
        **llm_fields,
    }


def playbook_resolver() -> Callable[[Any, str | None], str | None]:
    """Fill `playbook` through the playbook registry; without a registry, the field is null (said once)."""
    try:
        from fivetran_recovery.playbooks.registry import default_registry

        registry = default_registry()
    except Exception as exc:  # the registry is another package: a broken or missing one must not stop diagnoses
        print(
            f"diagnose: playbook registry unavailable ({type(exc).__name__}: {exc}); playbook is null", file=sys.stderr
        )
        return lambda diagnosis, task_type: None

    def resolve(diagnosis: Any, task_type: str | None) -> str | None:
        if diagnosis.playbook:
            return diagnosis.playbook
        return registry.match(diagnosis, task_type=task_type).id

    return resolve


def _allowed_playbooks() -> list[str]:
    try:
        from fivetran_recovery.playbooks.registry import default_registry

        return default_registry().ids()
    except Exception:
        return []


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


def _write(out: IO[str], record: dict) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
