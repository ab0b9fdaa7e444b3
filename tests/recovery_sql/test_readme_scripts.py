"""The README's duplicate-key scripts are the ones the library generates (README and code cannot drift)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fivetran_recovery.recovery_sql import DIALECTS, TableRef
from fivetran_recovery.recovery_sql.templates import dedup_latest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_given_the_readme_then_it_shows_the_generated_dedup_script_and_undo(dialect) -> None:
    script = dedup_latest(dialect, TableRef("sales", "orders"), ["id"], token="inc-42")
    assert script.script in README
    assert script.undo_script in README
