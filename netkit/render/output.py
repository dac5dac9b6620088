"""Plain output shared by every command: JSON, JSON Lines, and key/value detail blocks.

Kept free of rich on purpose: a one-result command (`netkit conv ip 1.2.3.4`) prints a detail
block and should start as fast as importing click. Tables live in ``netkit.render.tables``.
"""

import dataclasses
import os
import sys
from collections.abc import Iterable
from typing import TextIO

import click


def colour_enabled(stream: TextIO) -> bool:
    """Colour on a terminal only, honouring NO_COLOR and FORCE_COLOR (as rich does)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def to_jsonable(value: object) -> object:
    """Dataclass results (and lists of them) as plain JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return value


def _json_text(value: object, indent: int | None) -> str:
    import json

    data = to_jsonable(value)
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Input bytes that were not UTF-8 arrive as lone surrogates: written raw they would make
        # the document invalid UTF-8 (RFC 8259 section 8.1), as \udcXX escapes they stay JSON.
        text = json.dumps(data, indent=indent)
    return text


def emit_json(value: object) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(_json_text(value, 2) + "\n")


def emit_json_line(value: object, stream: TextIO | None = None) -> None:
    """Print one compact JSON object on its own line (JSON Lines, for logs and streams)."""
    out = stream or sys.stdout
    out.write(_json_text(value, None) + "\n")
    out.flush()


def format_value(value: object) -> str:
    return "-" if value is None else str(value)


def emit_details(title: str | None, rows: Iterable[tuple[str, object]]) -> None:
    """Print one result as aligned `field  value` lines under an optional title line."""
    pairs = [(name, format_value(value)) for name, value in rows]
    width = max((len(name) for name, _ in pairs), default=0)
    styled = colour_enabled(sys.stdout)
    lines = [] if title is None else [click.style(title, bold=True) if styled else title]
    for name, value in pairs:
        label = f"  {name:<{width}}  "
        lines.append((click.style(label, fg="cyan") if styled else label) + value)
    sys.stdout.write("\n".join(lines) + "\n")
