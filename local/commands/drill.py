"""`fivetran-recovery drill [--json] [--only NAME ...]`: play the failure scenarios end to end on the local stack."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command(
        "drill",
        help="Each scenario runs on a fresh local stack: a real failure at the Fivetran simulator, its signed "
        "webhook through ingest, the queue, diagnose, the recovery workflow and the Fivetran API. One line per "
        "scenario as it finishes, then a table. Exit code 1 when a scenario fails.",
        short_help="Play the failure scenarios end to end on the local stack and report each.",
    )(drill)


def drill(
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON document instead of a table")] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="NAME", help="run only these scenarios (repeat, or list them after --only)"),
    ] = None,
    more: Annotated[list[str] | None, typer.Argument(hidden=True, metavar="[NAME]")] = None,
    list_: Annotated[bool, typer.Option("--list", help="list the scenarios and exit")] = False,
) -> int:
    if more and not only:
        raise typer.BadParameter(f"unexpected argument(s): {' '.join(more)} (scenario names go after --only)")
    names = [*(only or []), *(more or [])] or None
    return run(SimpleNamespace(json=json_out, only=names, list=list_))


def _print_row(result) -> None:
    mark = "PASS" if result.passed else "FAIL"
    ttr = "-" if result.seconds_to_remediation is None else f"{result.seconds_to_remediation:.1f}s"
    print(f"{mark}  {result.scenario:28} writes={result.fivetran_write_calls:<3} llm={result.llm_calls:<3} "
          f"incidents={result.incidents:<3} to-remediation={ttr:>6}  ({result.seconds:.1f}s)", flush=True)
    print(f"      expected: {result.expected}\n      outcome:  {result.outcome}", flush=True)
    failed = [name for name, ok in result.checks.items() if not ok]
    if failed:
        print(f"      failed checks: {', '.join(failed)}", flush=True)


def run(args: Any) -> int:
    """Quiet handlers for the run (logging off, no EMF, logs to stderr under --json), restored afterwards: the
    drill may run inside another program (tests call the CLI in-process)."""
    import logging
    import os

    saved_env, report = os.environ.get("POWERTOOLS_METRICS_DISABLED"), sys.stdout
    logging.disable(logging.CRITICAL)
    # EMF metrics are for CloudWatch; locally they would only flood the report (Powertools shares them process-wide).
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    if args.json:  # handler logs go to stderr so stdout carries exactly one JSON document
        sys.stdout = sys.stderr
    try:
        return _run(args, report)
    finally:
        sys.stdout = report
        logging.disable(logging.NOTSET)
        if saved_env is None:
            os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
        else:
            os.environ["POWERTOOLS_METRICS_DISABLED"] = saved_env


def _run(args: Any, report: Any) -> int:
    from local.drill.all import all_scenarios

    scenarios = all_scenarios()
    if args.list:
        for scenario in scenarios:
            print(f"{scenario.name:28} {scenario.expected}")
        return 0
    if args.only:
        unknown = sorted(set(args.only) - {s.name for s in scenarios})
        if unknown:
            print(f"drill: unknown scenario(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s.name in args.only]
    if not args.json:
        print(f"Playing {len(scenarios)} scenario(s), each on a fresh local stack...", flush=True)
    results = _play(scenarios, show=not args.json)
    if args.json:
        sys.stdout = report
        print(json.dumps({"scenarios": [r.model_dump(mode="json") for r in results],
                          "passed": sum(r.passed for r in results), "failed": sum(not r.passed for r in results)},
                         indent=2))
    else:
        _summary(results)
        print(f"\n{sum(r.passed for r in results)} passed, {sum(not r.passed for r in results)} failed")
    return 0 if all(r.passed for r in results) else 1


def _play(scenarios: list, *, show: bool) -> list:
    """Run the scenarios one by one: a spinner names the one playing (on a terminal), a line reports each."""
    import contextlib

    from local.commands._output import console
    from local.drill.runner import run_scenario

    screen = console()
    results = []
    for number, scenario in enumerate(scenarios, start=1):
        status = (screen.status(f"playing {scenario.name} ({number}/{len(scenarios)})...")
                  if show and screen.is_terminal else contextlib.nullcontext())
        with status:
            result = run_scenario(scenario)
        if show:
            _print_row(result)
        results.append(result)
    return results


def _summary(results: list) -> None:
    from local.commands._output import table

    print()
    table(["scenario", "passed", "to remediation (s)", "Fivetran writes", "LLM calls", "incidents", "seconds"],
          [(r.scenario, "yes" if r.passed else "NO",
            None if r.seconds_to_remediation is None else f"{r.seconds_to_remediation:.2f}",
            r.fivetran_write_calls, r.llm_calls, r.incidents, f"{r.seconds:.1f}") for r in results])
