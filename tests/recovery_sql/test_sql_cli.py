"""`fivetran-recovery sql`: render and prove a template per dialect; check drafts (accepted / rejected)."""

from __future__ import annotations

import json

import pytest

from local.cli import main


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery", "redshift", "duckdb"])
def test_given_render_with_sample_then_script_and_proof(dialect, capsys) -> None:
    code = main(["sql", "render", "dedup_latest", "--dialect", dialect, "--table", "sales.orders",
                 "--params", '{"keys": ["id"]}', "--sample", "3", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0 and document["script"]["dialect"] == dialect
    assert document["proof"]["preview"] == {"rows_before": 9, "duplicate_rows": 6, "survivors": 3}
    assert document["proof"]["verified"] and document["proof"]["undo_verified"]


def test_given_bad_params_then_one_error_line_and_exit_2(capsys) -> None:
    assert main(["sql", "render", "dedup_latest", "--params", "{}"]) == 2
    assert "keys" in capsys.readouterr().err


def test_given_drafts_then_sound_one_accepted_as_draft_and_bad_one_rejected(tmp_path, capsys) -> None:
    good = tmp_path / "good.sql"
    good.write_text("DELETE FROM public.orders WHERE region = 'eu'")
    assert main(["sql", "check-draft", str(good), "--dialect", "snowflake", "--sample", "10"]) == 0
    out = capsys.readouterr().out
    assert "DRAFT (LLM)" in out and "rows 10 -> 5" in out
    bad = tmp_path / "bad.sql"
    bad.write_text("DELETE FROM finance.salaries WHERE TRUE")
    assert main(["sql", "check-draft", str(bad), "--dialect", "snowflake"]) == 1
    assert "outside the incident" in capsys.readouterr().err
