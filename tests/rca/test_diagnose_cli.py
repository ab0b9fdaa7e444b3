"""`fivetran-recovery diagnose`: the CLI contract of DESIGN.md."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from local.cli import main
from local.commands.diagnose import diagnose_lines

DATA = Path(__file__).parent / "data"
REQUIRED = {"id", "category", "pattern", "retryable", "confidence", "playbook", "summary"}


def _lines(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_given_the_three_input_shapes_when_diagnosed_then_one_line_each_with_the_contract_fields(tmp_path, capsys):
    webhook = json.loads((DATA / "log_event_sync_end_failure_with_task.json").read_text())
    log_row = {
        "id": "r1",
        "event": "SEVERE",
        "message_event": "sync_end",
        "message_data": json.dumps({"status": "FAILURE", "reason": "java.net.SocketTimeoutException: Read timed out"}),
    }
    message = {"id": "m1", "message": 'ERROR: duplicate key value violates unique constraint "orders_pkey"'}

    code = main(["diagnose", str(_lines(tmp_path, webhook, log_row, message))])

    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert len(out) == 3
    for record in out:
        assert record.keys() >= REQUIRED
    assert [r["category"] for r in out] == ["destination", "network", "data_quality"]
    assert out[2]["pattern"] == "duplicate_primary_key"


def test_given_bad_lines_when_diagnosed_then_error_lines_the_run_goes_on_and_the_exit_code_is_non_zero(
    tmp_path, capsys
):
    path = _lines(tmp_path, "{broken", {"id": "ok", "message": "Read timed out"}, {"what": "ever"})

    code = main(["diagnose", str(path)])

    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert out[0] == {"line": 1, "error": out[0]["error"]} and "not JSON" in out[0]["error"]
    assert out[1]["id"] == "ok" and out[1]["category"] == "network"
    assert out[2]["line"] == 3 and "unrecognised object" in out[2]["error"]


def test_given_a_missing_file_when_diagnosed_then_a_clear_error(capsys):
    assert main(["diagnose", "/nonexistent/in.jsonl"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_given_stdin_when_diagnosed_then_it_is_read(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": "s", "message": "HTTP 429 Too Many Requests"}\n'))

    assert main(["diagnose", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["category"] == "source_api_limit"


def test_given_the_playbook_registry_when_diagnosed_then_playbook_is_filled():
    pytest.importorskip("fivetran_recovery.playbooks.registry", reason="the playbook registry is not in the tree yet")
    from fivetran_recovery.playbooks.registry import default_registry

    out = io.StringIO()
    diagnose_lines(['{"id": "w", "message": "Warehouse \'LOADING\' is suspended."}'], out)

    record = json.loads(out.getvalue())
    assert record["playbook"] in default_registry().ids()
    assert record["playbook"] != "escalate_unknown"


def test_given_no_registry_when_diagnosed_then_playbook_is_null_but_present():
    out = io.StringIO()
    diagnose_lines(['{"id": "w", "message": "Read timed out"}'], out, resolve_playbook=lambda d, t: None)

    record = json.loads(out.getvalue())
    assert "playbook" in record and record["playbook"] is None


def test_given_llm_flag_without_a_key_when_diagnosed_then_it_refuses(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    assert main(["diagnose", "--llm", str(_lines(tmp_path, {"id": "a", "message": "x"}))]) == 2
    assert "API key" in capsys.readouterr().err


def test_given_a_key_in_the_environment_but_no_llm_flag_when_diagnosed_then_offline_only_with_no_llm(
    tmp_path, monkeypatch, capsys, fake_anthropic
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-not-real-0000000000")
    path = _lines(tmp_path, {"id": "u1", "message": "upstream returned something unexpected"})

    assert main(["diagnose", "--no-llm", "--base-url", fake_anthropic.base_url, str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["analyzer"] == "rules"
    assert fake_anthropic.requests == []


def test_given_llm_flag_when_the_classifier_is_unsure_then_the_fake_api_is_asked_once_per_incident(
    tmp_path, monkeypatch, capsys, fake_anthropic
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-not-real-0000000000")
    unsure = {"id": "u1", "message": "upstream returned something unexpected"}
    confident = {"id": "c1", "message": "java.net.SocketTimeoutException: Read timed out"}
    path = _lines(tmp_path, unsure, {**unsure, "id": "u2"}, confident)

    code = main(
        [
            "diagnose",
            "--llm",
            "--base-url",
            fake_anthropic.base_url,
            "--model",
            "claude-sonnet-4-6",
            "--timeout",
            "5",
            str(path),
        ]
    )

    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [r["llm_calls"] for r in out] == [1, 0, 0]  # the repeat is cached, the confident one needs no call
    assert out[0]["analyzer"] == "llm"
    assert len(fake_anthropic.requests) == 1
