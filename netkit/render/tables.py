"""rich tables and text: the one way netkit hands anything to rich.

Every string that reaches rich from here is data: it is shown escaped (``visible``) and never
parsed as markup. The consoles are made with ``markup=False``, and values become ``Text``
objects through ``data()`` before they reach a table, a panel title or a progress column, since
rich parses plain strings as markup in several places whatever the console says (``Panel``
titles, ``TextColumn``, spinner text). netkit styles its own words with the ``style`` argument
of ``data()``, never with markup; tests/render/test_rules.py keeps it that way.
"""

import os
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, TextIO

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from netkit.render.escape import visible
from netkit.render.output import colour_enabled

if TYPE_CHECKING:
    from rich.console import ConsoleOptions, RenderResult
    from rich.measure import Measurement

# Piped output is read by scripts and grep: don't wrap it at rich's 80-column fallback.
_PIPE_WIDTH = 160
_UNLIMITED = 100_000  # the width a renderable is measured at to find its natural width


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader went away: leave it to the one place that maps failures to exits (rich
        would exit 1 from inside the print)."""
        raise BrokenPipeError


def _console(stream: TextIO) -> Console:
    is_terminal = stream.isatty()
    width = None if is_terminal or "COLUMNS" in os.environ else _PIPE_WIDTH
    return _Console(
        file=stream,
        width=width,
        no_color=not colour_enabled(stream),
        markup=False,
        highlight=False,
        emoji=False,
    )


@cache
def stdout_console() -> Console:
    return _console(sys.stdout)


@cache
def stderr_console() -> Console:
    return _console(sys.stderr)


def data(value: object, style: str = "") -> Text:
    """A value as rich text: shown escaped, never read as markup, styled only by netkit."""
    return Text(visible(str(value)), style=style)


def stacked(values: Iterable[object], style: str = "") -> Text:
    """Several values in one cell, one per line (a line break inside a value stays escaped)."""
    return Text("\n", style=style).join(data(value) for value in values)


def show(*renderables: RenderableType) -> None:
    """Print rich renderables (tables, text) on stdout; a plain string is data like any other.

    Each is laid out at its natural width, however narrow the terminal: an address, a port or
    a number is never folded onto two lines. A line wider than the terminal is left for the
    terminal to wrap, as ss and ip leave theirs, and stays whole when copied or piped.
    """
    from rich.measure import Measurement

    console = stdout_console()
    for renderable in renderables:
        item = data(renderable) if isinstance(renderable, str) else renderable
        natural = Measurement.get(console, console.options.update_width(_UNLIMITED), item)
        width = console.width
        console.width = max(width, natural.maximum)  # print() itself never goes beyond it
        try:
            console.print(item, crop=False)
        finally:
            console.width = width


def print_line(console: Console, line: str) -> None:
    """One log line through a console (above a live panel), as data and without wrapping."""
    console.print(data(line), soft_wrap=True)


def cell(value: object) -> Text:
    """A table cell: None shows as a dim dash, not as the word None."""
    if value is None:
        return Text("-", style="dim")
    if isinstance(value, Text):
        return value
    return data(value)


def error_text(message: str | None) -> Text | None:
    return None if message is None else data(message, style="red")


def records_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> Table:
    """A table with one row per result."""
    table = Table(
        title=None if title is None else data(title),
        title_justify="left",
        header_style="bold cyan",
    )
    for name in columns:
        table.add_column(data(name), overflow="fold")
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    return table


def tree(label: Text, branches: Iterable[Text], *, indent: int = 0) -> RenderableType:
    """A rich Tree: a label (made with ``data()``) and one level of branches under it, shifted
    right by indent columns (a nested part of a larger picture, printed piece by piece)."""
    from rich.tree import Tree

    node = Tree(label, guide_style="dim")
    for branch in branches:
        node.add(branch)
    return _Indented(node, indent) if indent else node


class _Indented:
    """A renderable shifted right, its lines not padded out to a common width (as rich's
    Padding pads them): no trailing blanks in a pipe or a copied terminal."""

    def __init__(self, inner: RenderableType, indent: int) -> None:
        self.inner = inner
        self.indent = indent

    def __rich_console__(self, console: Console, options: "ConsoleOptions") -> "RenderResult":
        from rich.segment import Segment

        width = max(1, options.max_width - self.indent)
        lines = console.render_lines(self.inner, options.update_width(width), pad=False)
        margin = Segment(" " * self.indent)
        for line in lines:
            yield margin
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: "ConsoleOptions") -> "Measurement":
        from rich.measure import Measurement

        measured = Measurement.get(console, options, self.inner)
        return Measurement(measured.minimum + self.indent, measured.maximum + self.indent)
