"""`fivetran-recovery`: the operator CLI (typer + rich).

Every command lives in its own module `local/commands/<name>.py` exposing `register(app: typer.Typer)`, which adds
its command (`@app.command("name")`) or group (`app.add_typer(group, name="name")`). Modules are discovered here,
so adding a command is one new file. They import only typer and the standard library at top level and import the
core inside their functions, so `--help` and small commands stay fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from typer.exceptions import TyperException

import local.commands

HELP = (
    "Operate Fivetran Recovery: run the local stack, play the drill, diagnose failures, predict risk, inspect the "
    "audit trail, drive the Fivetran simulator, and work the incidents and approvals of a running stack."
)


def command_modules() -> list[str]:
    """The command modules, by name (modules starting with `_` are helpers, not commands)."""
    return sorted(m.name for m in pkgutil.iter_modules(local.commands.__path__) if not m.name.startswith("_"))


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="fivetran-recovery",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,  # never print locals (they may hold secrets)
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in command_modules():
        module = importlib.import_module(f"local.commands.{name}")
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (errors: one line on stderr, non-zero)."""
    command = typer.main.get_command(build_app())
    try:
        result = command.main(args=sys.argv[1:] if argv is None else argv, prog_name="fivetran-recovery",
                              standalone_mode=False)
    except TyperException as exc:  # a usage error shows the failing (sub)command's usage, then one error line
        if hasattr(exc, "show"):
            exc.show()
        else:
            print(f"fivetran-recovery: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`)
        return 0
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
