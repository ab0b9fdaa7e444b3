"""Cold import of every Lambda handler, each in a fresh interpreter, against a floor measured in the same run.

What Lambda's init phase runs for our code is the import of functions/<name>/app.py (the adapters, clients and
secrets are built on the first event). Each sample starts a new interpreter and times, inside it, only the
import of the handler file (interpreter start-up excluded); the samples are interleaved so machine noise hits
every handler alike, and the median of `--runs` is reported.

The floor is `import boto3` alone in a fresh interpreter, timed the same way: every handler needs boto3 on its
first event anyway, so a ratio of 1.0 means the handler's init costs as much as that one unavoidable library.
The interpreter's own start-up (`python -c "import json"`, wall clock) is printed beside it for scale.
"+httpx" is the handler's import followed by `import httpx`: what its first Fivetran or Slack call adds back,
since the handlers no longer import httpx at init (sqlglot comes back only for a recovery-SQL step).

    .venv/bin/python bench/cold_start.py [--runs 7] [--repo DIR ...]

`--repo` (repeatable) times the handlers of other checkouts (e.g. a worktree of an older commit) with this
interpreter, interleaved with each other and the floor, so a before/after pair shares the machine's state.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sqlglot", "httpx", "anthropic", "boto3", "duckdb")

# Prints the seconds the snippet took and which heavy libraries it left loaded.
_TIMED = """
import json, sys, time
t = time.perf_counter()
{code}
elapsed = time.perf_counter() - t
print(json.dumps({{"seconds": elapsed, "modules": len(sys.modules),
                  "heavy": [name for name in {heavy!r} if name in sys.modules]}}))
"""
_IMPORT_APP = (
    "import importlib.util\n"
    "spec = importlib.util.spec_from_file_location('app', {path!r})\n"
    "app = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(app)"
)
FLOOR = "boto3"


def _env(repo: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo / "shared"), str(repo)]),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }


def snippets(repo: Path) -> dict[str, str]:
    """{handler: its import, handler+httpx: its import and then httpx's (what the first Fivetran or Slack call
    adds when the handler no longer imports httpx at init)}."""
    out = {}
    for app in sorted((repo / "functions").glob("*/app.py")):
        out[app.parent.name] = _IMPORT_APP.format(path=str(app))
        out[f"{app.parent.name}+httpx"] = out[app.parent.name] + "\nimport httpx"
    return out


def _sample(code: str, env: dict[str, str], cwd: Path) -> dict:
    script = _TIMED.format(code=code, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=cwd,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _startup(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import json"], env=env, check=True, timeout=60)
    return time.perf_counter() - start


def measure(repos: list[Path], runs: int) -> tuple[dict[str, float], dict[Path, dict[str, dict]]]:
    """The floor and the interpreter start-up (median ms), and per checkout {handler: {"ms": median,
    "modules": n, "heavy": [...]}}. Every sample of every checkout is interleaved with the floor's."""
    plan = [(None, FLOOR, "import boto3", _env(repos[0]), repos[0])]
    for repo in repos:
        plan += [(repo, name, code, _env(repo), repo) for name, code in snippets(repo).items()]
    samples: dict[tuple, list[dict]] = {(repo, name): [] for repo, name, *_ in plan}
    startups = []
    for _ in range(runs):
        startups.append(_startup(_env(repos[0])))
        for repo, name, code, env, cwd in plan:
            samples[(repo, name)].append(_sample(code, env, cwd))
    floors = {"floor": statistics.median(s["seconds"] for s in samples.pop((None, FLOOR))) * 1e3,
              "startup": statistics.median(startups) * 1e3}
    per_repo: dict[Path, dict[str, dict]] = {repo: {} for repo in repos}
    for (repo, name), got in samples.items():
        per_repo[repo][name] = {"ms": statistics.median(s["seconds"] for s in got) * 1e3,
                                "modules": got[-1]["modules"], "heavy": got[-1]["heavy"]}
    return floors, per_repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per handler (median reported)")
    parser.add_argument("--repo", type=Path, action="append",
                        help="checkout whose handlers are timed (repeat to compare; default this one)")
    args = parser.parse_args()
    repos = [repo.resolve() for repo in args.repo or [REPO_ROOT]]
    floors, per_repo = measure(repos, args.runs)
    print(f"cold import of each handler, median of {args.runs} fresh interpreters (samples interleaved)")
    print(f"floor: `import {FLOOR}` alone {floors['floor']:.1f} ms; interpreter start-up "
          f"(`python -c \"import json\"`, wall clock) {floors['startup']:.1f} ms")
    for repo, results in per_repo.items():
        print(f"\n{repo}")
        print(f"{'handler':<10} {'import ms':>9} {'ratio':>6} {'+httpx ms':>9} {'ratio':>6} {'modules':>7}  "
              "heavy libraries loaded by the import")
        for name, got in results.items():
            if name.endswith("+httpx"):
                continue
            with_httpx = results[f"{name}+httpx"]["ms"]
            print(f"{name:<10} {got['ms']:9.1f} {got['ms'] / floors['floor']:5.2f}x {with_httpx:9.1f} "
                  f"{with_httpx / floors['floor']:5.2f}x {got['modules']:7d}  {', '.join(got['heavy']) or '-'}")


if __name__ == "__main__":
    main()
