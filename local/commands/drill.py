"""`fivetran-recovery drill [--json] [--only NAME ...]`: play the failure scenarios end to end on the local stack."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drill",
        help="play the failure scenarios end to end on the local stack and report each",
        description="Each scenario runs on a fresh local stack: a real failure at the Fivetran simulator, its signed "
        "webhook through ingest, the queue, diagnose, the recovery workflow and the Fivetran API. Exit code 1 when "
        "a scenario fails.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scenarios")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.set_defaults(handler=run)


def _print_row(result) -> None:
    mark = "PASS" if result.passed else "FAIL"
    ttr = "-" if result.seconds_to_remediation is None else f"{result.seconds_to_remediation:.1f}s"
    print(f"{mark}  {result.scenario:28} writes={result.fivetran_write_calls:<3} llm={result.llm_calls:<3} "
          f"incidents={result.incidents:<3} to-remediation={ttr:>6}  ({result.seconds:.1f}s)", flush=True)
    print(f"      expected: {result.expected}\n      outcome:  {result.outcome}", flush=True)
    failed = [name for name, ok in result.checks.items() if not ok]
    if failed:
        print(f"      failed checks: {', '.join(failed)}", flush=True)


def run(args: argparse.Namespace) -> int:
    import logging
    import os

    from local.drill.all import all_scenarios
    from local.drill.runner import run_scenarios

    logging.disable(logging.CRITICAL)
    # EMF metrics are for CloudWatch; locally they would only flood the report (Powertools shares them process-wide).
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    report = sys.stdout
    if args.json:  # handler logs go to stderr so stdout carries exactly one JSON document
        sys.stdout = sys.stderr
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
    results = run_scenarios(scenarios, progress=None if args.json else _print_row)
    if args.json:
        sys.stdout = report
        print(json.dumps({"scenarios": [r.model_dump(mode="json") for r in results],
                          "passed": sum(r.passed for r in results), "failed": sum(not r.passed for r in results)},
                         indent=2))
    else:
        print(f"\n{sum(r.passed for r in results)} passed, {sum(not r.passed for r in results)} failed")
    return 0 if all(r.passed for r in results) else 1
