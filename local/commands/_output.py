"""Output helpers shared by the commands: rich tables for lists, one-line errors, JSON documents.

Every cell and message is printed as plain text (never as rich markup): they carry error messages and names that
came from Fivetran or a source, which are untrusted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any


def console(stderr: bool = False) -> Any:
    """A rich console on the current stdout/stderr; wide when not a terminal so scripts get unwrapped lines."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 200
    return Console(file=stream, width=width, highlight=False, markup=False, emoji=False, soft_wrap=False)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None) -> None:
    """Print a table; cells are text, `None` shows as `-`."""
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(Text("-" if cell is None else str(cell)) for cell in row))
    console().print(grid)


def line(text: str = "") -> None:
    print(text, flush=True)


def error(command: str, message: str) -> None:
    """One line on stderr, prefixed with the command's name."""
    print(f"{command}: {' '.join(str(message).split())}", file=sys.stderr, flush=True)


def emit_json(document: Any, *, indent: int | None = None, sort_keys: bool = False) -> None:
    print(json.dumps(document, indent=indent, sort_keys=sort_keys, default=str), flush=True)
