"""The typer CLI's mechanics: discovery of command modules, help, usage errors, and a fast `--help`."""

from __future__ import annotations

import json
import subprocess
import sys

from local.cli import HELP, command_modules, main

HEAVY = {"boto3", "botocore", "moto", "duckdb", "httpx", "anthropic", "fivetran_recovery", "yaml"}


def test_given_the_commands_package_when_discovered_then_every_module_registers_a_command(capsys):
    names = command_modules()
    assert {"serve", "drill", "diagnose", "predict", "audit", "simulator"} <= set(names)
    assert not [n for n in names if n.startswith("_")]
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in names:
        assert f" {name} " in out


def test_given_top_level_help_when_printed_then_the_description_is_whole(capsys):
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert " ".join(HELP.split()) in text  # not cut mid-sentence


def test_given_a_bad_flag_on_a_subcommand_when_run_then_that_subcommands_usage_and_one_error(capsys):
    assert main(["audit", "verify", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert "Usage: fivetran-recovery audit verify" in err
    assert err.strip().splitlines()[-1] == "Error: No such option: --bogus"


def test_given_an_unknown_command_when_run_then_exit_2_with_a_suggestion(capsys):
    assert main(["audti"]) == 2
    assert "Did you mean 'audit'" in capsys.readouterr().err


def test_given_help_when_run_then_no_heavy_module_is_imported():
    code = ("import sys, json; from local.cli import main; main(['--help']); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not (loaded & HEAVY), sorted(loaded & HEAVY)


def test_given_drill_only_with_names_after_it_when_listed_then_unknown_names_are_refused(capsys):
    assert main(["drill", "--only", "rate_limit", "no_such_scenario"]) == 2
    assert "unknown scenario(s): no_such_scenario" in capsys.readouterr().err
