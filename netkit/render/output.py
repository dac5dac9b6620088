"""Plain output shared by every command: JSON, JSON Lines, text lines, detail blocks, messages.

Kept free of rich on purpose: a one-result command (`netkit conv ip 1.2.3.4`) prints a detail
block and should start as fast as importing click. Tables live in ``netkit.render.tables``.

Every writer here treats its text as data: it is shown through ``visible()`` (control
characters escaped) and styled afterwards, so the only way to put a raw control character on
the terminal is the raw byte streams of ``connect`` and ``listen --print``.
"""

import dataclasses
import os
import sys
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TextIO

import click

from netkit.render.escape import json_safe, visible


def colour_enabled(stream: TextIO) -> bool:
    """Colour on a terminal only, honouring NO_COLOR and FORCE_COLOR (as rich does)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def terminal_like(stream: TextIO) -> bool:
    """A terminal, or output that FORCE_COLOR asks to treat as one (as rich does)."""
    return stream.isatty() or bool(os.environ.get("FORCE_COLOR"))


def to_jsonable(value: object) -> object:
    """Dataclass results (and lists of them) as plain JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return value


def json_text(data: object, indent: int | None = None) -> str:
    """JSON for ``data`` (already plain): exact values, safe to print on a terminal.

    Lone surrogates (input bytes that were not UTF-8) would make the document invalid UTF-8
    if written raw (RFC 8259 section 8.1); ``json_safe`` writes them as \\udcXX escapes with the
    other characters a terminal would act on.
    """
    import json

    return json_safe(json.dumps(data, indent=indent, ensure_ascii=False))


def emit_json(value: object) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json_text(to_jsonable(value), 2) + "\n")


def emit_json_array(records: Iterable[object], stream: TextIO | None = None) -> None:
    """Print one JSON array, an element a line: a listing of 10,000 records costs the time
    and memory of its parts, not of one indented document (json.dumps with indent is several
    times slower). Lines are written a thousand at a time: faster than a write per record."""
    import json

    out = stream or sys.stdout
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines: list[str] = []
    opening = "[\n"
    for record in records:
        lines.append(json_safe(encode(to_jsonable(record))))
        if len(lines) == 1000:
            out.write(opening + ",\n".join(lines))
            opening = ",\n"
            lines.clear()
    if lines:
        out.write(opening + ",\n".join(lines))
        opening = ",\n"
    out.write("[]\n" if opening == "[\n" else "\n]\n")


def emit_json_line(value: object, stream: TextIO | None = None) -> None:
    """Print one compact JSON object on its own line (JSON Lines, for logs and streams)."""
    out = stream or sys.stdout
    out.write(json_text(to_jsonable(value)) + "\n")
    out.flush()


class Styled(NamedTuple):
    """A piece of a text line that netkit styles (a heading, a status); escaped like the rest."""

    text: str
    fg: str | None = None
    bold: bool | None = None
    dim: bool | None = None


# A line of text output: a plain string, or pieces of which some are styled.
Line = str | Sequence[str | Styled]


def format_line(line: Line, *, styled: bool) -> str:
    """One line as it is written: every piece escaped, then styled when colour is on."""
    if isinstance(line, str):
        return visible(line)
    out: list[str] = []
    for piece in line:
        if isinstance(piece, Styled):
            text = visible(piece.text)
            out.append(click.style(text, fg=piece.fg, bold=piece.bold, dim=piece.dim) if styled
                       else text)  # fmt: skip
        else:
            out.append(visible(piece))
    return "".join(out)


def emit_lines(lines: Iterable[Line], stream: TextIO | None = None) -> None:
    """Write text lines (dig's layout, --short answers) to stdout."""
    out = stream or sys.stdout
    styled = colour_enabled(out)
    text = "\n".join(format_line(line, styled=styled) for line in lines)
    if text:
        out.write(text + "\n")


def emit_message(kind: str, message: str) -> None:
    """``netkit: error: ...`` or ``netkit: note: ...`` on stderr, one line whatever it quotes."""
    click.echo(f"netkit: {kind}: {visible(message)}", err=True)


def format_value(value: object) -> str:
    return "-" if value is None else str(value)


def emit_details(title: str | None, rows: Iterable[tuple[str, object]]) -> None:
    """Print one result as aligned `field  value` lines under an optional title line."""
    pairs = [(name, format_value(value)) for name, value in rows]
    width = max((len(name) for name, _ in pairs), default=0)
    lines: list[Line] = [] if title is None else [[Styled(title, bold=True)]]
    lines += [[Styled(f"  {name:<{width}}  ", fg="cyan"), value] for name, value in pairs]
    emit_lines(lines)
