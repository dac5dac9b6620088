"""rich tables: one row per result, for batches and listings."""

import os
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from netkit.render.output import colour_enabled

# Piped output is read by scripts and grep: don't wrap it at rich's 80-column fallback.
_PIPE_WIDTH = 160


def _console(stream: TextIO) -> Console:
    is_terminal = stream.isatty()
    width = None if is_terminal or "COLUMNS" in os.environ else _PIPE_WIDTH
    return Console(
        file=stream,
        width=width,
        no_color=not colour_enabled(stream),
        highlight=False,
        emoji=False,
    )


@cache
def stdout_console() -> Console:
    return _console(sys.stdout)


@cache
def stderr_console() -> Console:
    return _console(sys.stderr)


def show(*renderables: object) -> None:
    """Print rich renderables (tables, text) on stdout."""
    stdout_console().print(*renderables)


def cell(value: object) -> Text | str:
    """A table cell: None shows as a dim dash, not as the word None."""
    if value is None:
        return Text("-", style="dim")
    if isinstance(value, Text):
        return value
    return str(value)


def error_text(message: str | None) -> Text | None:
    return None if message is None else Text(message, style="red")


def records_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> Table:
    """A table with one row per result."""
    table = Table(title=title, title_justify="left", header_style="bold cyan")
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    return table
