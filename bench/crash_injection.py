"""Crash injection, full size (issue 13): tests/workflow/test_crash_injection.py's matrix (every kill point and
fault between a remediation step's side effects x a sync and a protective pause) run `--repeat` times against
the strict simulator, whose latencies vary run to run. `make test` runs it once.

    .venv/bin/python bench/crash_injection.py --repeat 10

Prints the cases run and failed; each case checks: one write at Fivetran, recorded as applied exactly once,
"not applied" only where the call was never sent, never "unknown" for a write Fivetran shows, the chain verifies.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                          "tests/workflow/test_crash_injection.py"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "CRASH_REPEAT": str(args.repeat)})
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    passed = int((re.search(r"(\d+) passed", summary) or [0, 0])[1])
    failed = int((re.search(r"(\d+) failed", summary) or [0, 0])[1])
    print(f"crash-injection cases: {passed + failed}, failed: {failed}, "
          f"{time.perf_counter() - started:.1f} s  ({summary})")
    if failed:
        print(run.stdout[-4000:])
    return 1 if failed or run.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
