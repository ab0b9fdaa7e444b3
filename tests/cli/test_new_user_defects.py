"""Issue 11 item 7, as a new user hit them: binary input ends in one line, not a UnicodeDecodeError traceback;
`diagnose` on a terminal says it reads stdin; the simulator commands accept the /v1 URL the banner prints and find
the running stack's simulator."""

from __future__ import annotations

import io
import json

from local.cli import main
from local.commands.simulator import simulator_root


def test_given_a_binary_file_when_diagnosed_or_predicted_then_one_clear_line_and_exit_2(tmp_path, capsys):
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81" * 64)
    assert main(["diagnose", str(binary)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("diagnose:") and "not UTF-8 text" in err[-1] and "Traceback" not in "".join(err)
    assert main(["predict", "--log", str(binary)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not UTF-8 text" in err[0]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_given_no_file_on_a_terminal_when_diagnosing_then_it_says_it_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", _Tty(json.dumps({"id": "a", "message": "HTTP 429 Too Many Requests"}) + "\n"))
    assert main(["diagnose"]) == 0
    captured = capsys.readouterr()
    assert "reading JSON lines from the terminal" in captured.err
    assert json.loads(captured.out)["id"] == "a"


def test_given_the_banner_v1_url_when_used_then_it_is_the_simulator_root(monkeypatch, tmp_path):
    monkeypatch.setenv("FIVETRAN_RECOVERY_STATE", str(tmp_path / "none.json"))
    assert simulator_root("http://127.0.0.1:4000/v1/") == "http://127.0.0.1:4000"
    assert simulator_root(None) == "http://127.0.0.1:8765"
    from local.commands._client import write_state

    write_state({"simulator_url": "http://127.0.0.1:4321/v1"})
    assert simulator_root(None) == "http://127.0.0.1:4321"
    assert simulator_root(None, fallback=None) == "http://127.0.0.1:4321"
