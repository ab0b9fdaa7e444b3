"""Crash injection, full size (issue 13): every handler killed at every point between its side effects, `--repeat`
times against the strict simulator, whose latencies vary run to run. `make test` runs a sample of each suite once
(tests/workflow/crash_points.py: `sample`); here CRASH_FULL=1 runs every point.

    .venv/bin/python bench/crash_injection.py --repeat 3

Suites (tests/workflow/):
- test_crash_injection.py: remediate's Fivetran writes (a sync, a pause) x 5 kills + 3 faults;
- test_crash_injection_sql.py: a recovery-SQL dedup x 5 kills + after the backup / the statements + a warehouse
  error before / after it ran;
- test_crash_injection_verify.py: verify after the read, the verdict, the count, autonomy, the status, and in its
  automatic rollback;
- test_crash_injection_notify.py: each workflow notice (monitor, approval timeout, escalation, close) x after the
  intent / the send / the record (+ after the close's lock release), and Slack looked up by message metadata;
- test_crash_injection_approve.py: approve after the stored decision / its record / SendTaskSuccess / the delivery
  mark / the delivery record, retried or left to the approval timeout.

Prints the cases run and failed per suite; each case checks: no duplicate action, no action without a record, the
terminal state reached, the chain verifies (each suite's docstring says exactly what).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUITES = ("test_crash_injection.py", "test_crash_injection_sql.py", "test_crash_injection_verify.py",
          "test_crash_injection_notify.py", "test_crash_injection_approve.py")


def _count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found[1]) if found else 0


def run_suite(name: str, repeat: int) -> tuple[int, int, float, str]:
    started = time.perf_counter()
    # no -q here: the project's addopts has one, and a second one hides the summary line counted below
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", f"tests/workflow/{name}"],
                         cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "CRASH_REPEAT": str(repeat), "CRASH_FULL": "1"})
    lines = [ln for ln in run.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    summary = lines[-1] if lines else run.stderr[-500:]  # pytest's last line may be a warnings footer
    passed, failed = _count(r"(\d+) passed", summary), _count(r"(\d+) failed", summary)
    errors = _count(r"(\d+) error", summary)
    output = run.stdout[-4000:] if failed or errors or run.returncode else ""
    return passed, failed + errors, time.perf_counter() - started, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--suite", choices=SUITES, action="append", help="only these suites (default: all)")
    args = parser.parse_args(argv)
    total = bad = 0
    for name in args.suite or SUITES:
        passed, failed, seconds, output = run_suite(name, args.repeat)
        total, bad = total + passed + failed, bad + failed
        print(f"{name:34} cases {passed + failed:4}  failed {failed:3}  {seconds:6.1f} s", flush=True)
        if output:
            print(output)
    print(f"crash-injection cases: {total}, failed: {bad} (repeat {args.repeat})")
    return 1 if bad or not total else 0


if __name__ == "__main__":
    sys.exit(main())
