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
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import NamedTuple, TextIO, TypeVar

import click

from netkit.render.escape import json_safe, visible

Value = TypeVar("Value")


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


def fields_of(value: object) -> dict[str, object]:
    """A dataclass result's fields by name: how every JSON writer here meets one.

    json's encoders call it (their ``default``) for each dataclass they reach, at any depth,
    and write strings, numbers, lists and tuples themselves, in C. Reading the fields is what
    ``dataclasses.asdict`` does without its deep copy of every value: a batch writes millions.
    """
    names = _FIELD_NAMES.get(type(value))
    if names is None:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return {name: getattr(value, name) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, once read


def to_jsonable(value: object) -> object:
    """Dataclass results (and lists, tuples and dicts of them) as plain JSON-ready data."""
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(fields_of(value))
    return value


@cache
def _compact_encoder() -> Callable[[object], str]:
    """What ``json.JSONEncoder(ensure_ascii=False, default=fields_of).encode`` returns, with
    json's C encoder made once rather than once a call (``encode`` makes one each time: about
    3 us, which a stream of 10,000 small objects pays 10,000 times). ensure_ascii=False keeps
    names readable; json_safe then escapes what a terminal would act on."""
    import json
    from json import encoder as json_encoder

    settings = json.JSONEncoder(ensure_ascii=False, default=fields_of)
    markers: dict[int, object] = {}  # what check_circular uses: the containers being encoded
    make_encoder = getattr(json_encoder, "c_make_encoder", None)  # None without _json
    if make_encoder is None:
        return settings.encode
    try:
        iterencode = make_encoder(
            markers, fields_of, json_encoder.encode_basestring, None, settings.key_separator,
            settings.item_separator, settings.sort_keys, settings.skipkeys, settings.allow_nan,
        )  # fmt: skip
    except TypeError:  # a C encoder made differently in another Python
        return settings.encode

    def encode(value: object) -> str:
        try:
            return "".join(iterencode(value, 0))
        except BaseException:
            markers.clear()  # a failed encoding leaves its containers marked
            raise

    return encode


def json_line(value: object) -> str:
    """One compact JSON text for ``value`` on one line (no newline added), terminal-safe."""
    return json_safe(_compact_encoder()(value))


def json_text(data: object, indent: int | None = None) -> str:
    """JSON for ``data`` (already plain): exact values, safe to print on a terminal.

    Lone surrogates (input bytes that were not UTF-8) would make the document invalid UTF-8
    if written raw (RFC 8259 section 8.1); ``json_safe`` writes them as \\udcXX escapes with the
    other characters a terminal would act on.
    """
    import json

    return json_safe(json.dumps(data, indent=indent, ensure_ascii=False, default=fields_of))


def emit_json(value: object) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json_text(value, 2) + "\n")


def emit_json_document_array(items: Iterable[object]) -> None:
    """What ``emit_json`` writes for a whole list (two-space indent), written item by item so
    a stream of results never waits for its end nor is held in memory (``emit_json_array``
    writes the compact form, an item a line). A JSON string holds no raw line break, so
    indenting each line of an item is safe.
    """
    out = sys.stdout
    separator = "[\n"
    for item in items:
        text = json_text(to_jsonable(item), 2)
        out.write(separator + "  " + text.replace("\n", "\n  "))
        separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def emit_json_line(value: object, stream: TextIO | None = None) -> None:
    """Print one compact JSON object on its own line (JSON Lines, for logs and streams)."""
    out = stream or sys.stdout
    out.write(json_line(value) + "\n")
    out.flush()


def emit_json_array(
    values: Iterable[Value],
    stream: TextIO | None = None,
    line: Callable[[Value], str] = json_line,
) -> None:
    """Write one JSON array with an object a line, each as it comes: valid JSON when it is
    complete, grep-able, and closed even when the values stop early (Ctrl-C). ``line`` writes
    one value: json_line, or a faster writer of the same text for one kind of value."""
    out = stream or sys.stdout
    opening = "[\n"
    try:
        for value in values:
            out.write(opening + line(value))
            opening = ",\n"
    finally:
        out.write("[]\n" if opening == "[\n" else "\n]\n")


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


class _StderrForm:
    """Whether stderr is a JSON Lines stream (listen --json, connect --json): then the notes
    and the error that ends the command are JSON objects too, so a reader parses every line."""

    json_lines = False


def stderr_is_json_lines() -> None:
    """From now on, emit_message writes {"event": KIND, "time": ..., "message": ...}."""
    _StderrForm.json_lines = True


def emit_message(kind: str, message: str) -> None:
    """``netkit: error: ...`` or ``netkit: note: ...`` on stderr, one line whatever it quotes
    (a JSON object with event, time and message once stderr is a JSON Lines stream)."""
    if _StderrForm.json_lines:
        import time

        event = {"event": kind, "time": round(time.time(), 6), "message": message}
        emit_json_line(event, sys.stderr)
        return
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
