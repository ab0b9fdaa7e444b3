"""Importing a handler (a Lambda cold start's init) loads none of the heavy libraries it needs only later.

sqlglot (recovery-SQL trees), httpx (the Fivetran client and the notifiers), anthropic (the LLM), boto3 (AWS
clients, built by `composition/adapters.py` on first use) and duckdb (the local warehouse) are imported inside
the functions that use them. Each handler is imported in a fresh interpreter, the way Lambda starts one; a
failure names who imported the library first. `bench/cold_start.py` measures what that saves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.parent.name for p in (REPO / "functions").glob("*/app.py"))
HEAVY = ("sqlglot", "httpx", "anthropic", "boto3", "duckdb")
# A handler that needs one of them at import goes here, with the reason: {"<handler>": {"<library>", ...}}.
NEEDED_AT_IMPORT: dict[str, set[str]] = {}

# Records, for each heavy library, the first of our own frames that imported it; then imports the handler file.
_PROBE = """
import importlib.util, json, sys, traceback
heavy, app = set(sys.argv[1].split(",")), sys.argv[2]
first = {}

class Spy:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in heavy and top not in first:
            ours = [f"{f.filename}:{f.lineno}" for f in traceback.extract_stack() if "/fivetran_recovery/" in f.filename
                    or "/functions/" in f.filename]
            first[top] = " <- ".join(reversed(ours[-6:]))
        return None

sys.meta_path.insert(0, Spy())
spec = importlib.util.spec_from_file_location("app", app)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({name: first.get(name, "?") for name in heavy if name in sys.modules}))
"""


def _loaded_at_import(handler: str) -> dict[str, str]:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true",
           "PYTHONPATH": os.pathsep.join([str(REPO / "shared"), str(REPO)])}
    app = REPO / "functions" / handler / "app.py"
    out = subprocess.run([sys.executable, "-c", _PROBE, ",".join(HEAVY), str(app)], capture_output=True, text=True,
                         env=env, cwd=REPO, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_handler_is_probed():
    assert {"approve", "notify", "remediate", "verify", "ingest", "diagnose", "predict"} <= set(HANDLERS)


@pytest.mark.parametrize("handler", HANDLERS)
def test_given_a_fresh_interpreter_when_a_handler_is_imported_then_no_heavy_library_is_loaded(handler):
    loaded = _loaded_at_import(handler)
    unexpected = {name: by for name, by in loaded.items() if name not in NEEDED_AT_IMPORT.get(handler, set())}
    assert not unexpected, f"functions/{handler}/app.py loads at import: " + "; ".join(
        f"{name} (first imported by {by.replace(str(REPO) + os.sep, '')})" for name, by in sorted(unexpected.items())
    )


def test_the_probe_sees_a_library_a_module_imports():
    """The probe can fail: a module that imports sqlglot and httpx at its top is reported, with the importer."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "shared"), str(REPO)])}
    module = REPO / "shared" / "fivetran_recovery" / "recovery_sql" / "templates.py"
    out = subprocess.run([sys.executable, "-c", _PROBE, "sqlglot,httpx", str(module)], capture_output=True,
                         text=True, env=env, cwd=REPO, timeout=60, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(loaded) == {"sqlglot"}
    assert "recovery_sql/templates.py" in loaded["sqlglot"]
