"""Options and argument helpers shared by every command."""

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

json_option: Callable[[F], F] = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON for scripts instead of a table (field names are stable).",
)


class TcpByDefault(click.Group):
    """A group whose first argument, when it names no subcommand, belongs to `tcp`: nc users
    type `netkit connect HOST PORT` and `netkit listen PORT`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["tcp", *args]
        return super().parse_args(ctx, args)


def expand_stdin(values: Iterable[str]) -> list[str]:
    """Replace a '-' argument with the lines of stdin (blank lines and #comments skipped)."""
    expanded: list[str] = []
    for value in values:
        if value != "-":
            expanded.append(value)
            continue
        for line in sys.stdin:
            text = line.strip()
            if text and not text.startswith("#"):
                expanded.append(text)
    return expanded


def stream_stdin(values: Iterable[str]) -> Iterator[str]:
    """``expand_stdin`` read lazily: each line of stdin is handed on as soon as it is read, so
    `yes 1.2.3.4 | netkit conv ip - | head` prints at once and memory stays flat."""
    for value in values:
        if value != "-":
            yield value
            continue
        for line in sys.stdin:
            text = line.strip()
            if text and not text.startswith("#"):
                yield text
