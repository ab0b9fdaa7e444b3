"""Imports point down the floors of docs/ARCHITECTURE.md and never run in a circle between files.

The layering is read from the table in docs/ARCHITECTURE.md, the same one a newcomer reads. Exemptions: none
today. An entry may only be added for work in flight, naming its owner and issue, and is removed by that owner;
a stale entry fails `test_exemptions_are_still_needed`. Keep the list short.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from house import (
    ARCHITECTURE_DOC,
    CHECKED,
    REPO,
    collect,
    cycles,
    layering_problems,
    parse_layering,
    python_files,
    room_of,
)

# Circles between files allowed for now: frozenset of module names -> owner (e.g. "h14/issue 14").
EXEMPT_CYCLES: dict[frozenset[str], str] = {}


@pytest.fixture(scope="module")
def modules():
    return collect(python_files(CHECKED, REPO))


@pytest.fixture(scope="module")
def rooms():
    return parse_layering(ARCHITECTURE_DOC.read_text(encoding="utf-8"))


def test_given_the_code_when_imports_are_read_then_none_runs_up_a_floor_and_every_module_has_a_room(modules, rooms):
    problems = layering_problems(modules, rooms)
    assert not problems, "\n".join(problems)


def test_given_the_code_when_imports_are_read_then_no_files_import_each_other_in_a_circle(modules):
    found = [c for c in cycles(modules) if frozenset(c) not in EXEMPT_CYCLES]
    assert not found, "\n".join(" <-> ".join(c) for c in found)


def test_exemptions_are_still_needed(modules):
    current = {frozenset(c) for c in cycles(modules)}
    stale = [f"{sorted(c)} ({owner})" for c, owner in EXEMPT_CYCLES.items() if c not in current]
    assert not stale, f"remove these exemptions, the circles are gone: {stale}"


def test_given_the_table_when_read_then_every_room_names_code_that_exists(modules, rooms):
    """The doc matches the code: a room with no module in it is a stale row."""
    empty = [r.name for r in rooms if not any(room_of(m, rooms) == r for m in modules)]
    assert not empty, f"rooms in docs/ARCHITECTURE.md with no module: {empty}"
    assert {r.floor for r in rooms} == set(range(max(r.floor for r in rooms) + 1)), "floors are numbered 0..n"


# ---------------------------------------------------------------------- the checks can fail
PLANTED_TABLE = """
<!-- layering:begin -->
| floor | name | rooms |
|---|---|---|
| 0 | ground | `app$`, `app.ground` |
| 1 | core | `app.core`, `app.core.low` |
| 2 | top | `app.top` |
<!-- layering:end -->
"""


def _plant(root: Path, files: dict[str, str]) -> dict:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return collect((p, root) for p in sorted(root.rglob("*.py")))


def test_given_planted_violations_when_checked_then_each_is_reported(tmp_path):
    modules = _plant(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/ground/__init__.py": "",
            "app/ground/settings.py": "def f():\n    from app.top import wiring  # lazy, still an import\n",
            "app/core/__init__.py": "",
            "app/core/low.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.top.wiring import X\n",
            "app/core/a.py": "from app.core import b\n",
            "app/core/b.py": "from . import a\nimport app.ground\n",
            "app/top/__init__.py": "",
            "app/top/wiring.py": "from app.core.a import thing\n",
            "app/stray.py": "",
        },
    )
    rooms = parse_layering(PLANTED_TABLE)
    problems = layering_problems(modules, rooms)
    assert any("app.ground.settings (floor 0, app.ground) imports app.top.wiring (floor 2" in p for p in problems)
    assert any("app.core.low (floor 1, app.core.low) imports app.top.wiring" in p for p in problems)
    assert any(p.startswith("app.stray: in no room") for p in problems)
    assert not any("app.top.wiring (floor 2" in p and "imports app.core" in p for p in problems)  # down is fine
    assert len(problems) == 3, problems
    assert cycles(modules) == [["app.core.a", "app.core.b"]]


def test_given_a_doc_without_the_table_when_parsed_then_it_says_so():
    with pytest.raises(ValueError, match="no layering table"):
        parse_layering("# Architecture\n")
    with pytest.raises(ValueError, match="listed twice"):
        parse_layering(PLANTED_TABLE.replace("`app.top`", "`app.top`, `app.core`"))
