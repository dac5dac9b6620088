"""Turning text into man(7) roff: escapes, the page markup's inline forms and blocks."""

import inspect
import re
import textwrap
from collections.abc import Iterable

from netkit.docs.pages import Block, Code, Definition, Item, Paragraph

# Filled text is wrapped at this width in the source, as mandoc -Tlint asks (style).
SOURCE_WIDTH = 78

# The page markup's inline forms (netkit.docs.pages): `code` and **bold** are literal text, set
# in bold as man-pages(7) asks; *italic* is a placeholder to replace.
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?![\s*])(.+?)(?<![\s*])\*(?![*\w])")


def escape(text: str) -> str:
    """Plain text for a roff text line: backslashes, ASCII hyphens (so options copy and paste
    as typed, groff_char(7)), and a leading dot or quote that would start a request."""
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    escaped = "".join(c if c.isascii() else f"\\[u{ord(c):04X}]" for c in escaped)
    if escaped.startswith((".", "'")):
        escaped = "\\&" + escaped
    return escaped


def inline(text: str) -> str:
    """Hand-written text: collapse whitespace, escape, then apply `code`, **bold**, *italic*."""
    pieces = _CODE.split(" ".join(text.split()))  # odd indexes: the insides of code spans
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:  # \% before each word: never hyphenate what is typed as written
            literal = " ".join(f"\\%{escape(word)}" for word in piece.split(" "))
            out.append(f"\\fB{literal}\\fR")
        else:
            marked = _BOLD.sub(r"\\fB\1\\fR", escape(piece))
            out.append(_ITALIC.sub(r"\\fI\1\\fR", marked))
    return "".join(out)


def wrap(line: str) -> list[str]:
    """A long filled text line as several source lines (roff joins them again when it fills).
    Breaks only at spaces, so no escape sequence is split."""
    lines = textwrap.wrap(line, SOURCE_WIDTH, break_long_words=False, break_on_hyphens=False)
    return [("\\&" + x if x.startswith((".", "'")) else x) for x in lines] or [""]


def text_lines(text: str) -> list[str]:
    """Hand-written text as wrapped source lines."""
    return wrap(inline(text))


def bold(text: str) -> str:
    return f"\\fB{escape(text)}\\fR"


def italic(text: str) -> str:
    return f"\\fI{escape(text)}\\fR"


def quoted_argument(text: str) -> str:
    """A macro argument: double quotes around it, inner quotes doubled (man(7))."""
    return '"' + escape(text).replace('"', '""') + '"'


def verbatim(lines: Iterable[str]) -> list[str]:
    """Lines shown as typed (commands, aligned help), indented."""
    out = [".RS 4", ".EX"]
    out += [escape(line) if line.strip() else "" for line in lines]
    out += [".EE", ".RE"]
    # A blank line inside .EX is fine for mandoc but groff warns; use an empty request instead.
    return [line if line else ".sp" for line in out]


def blocks(page_blocks: Iterable[Block]) -> list[str]:
    """Hand-written blocks (netkit.docs.pages) as roff: .PP, .TP, .IP bullets, .SS, verbatim."""
    out: list[str] = []
    for block in page_blocks:
        if isinstance(block, Paragraph):
            after_heading = out[-1:] and out[-1].startswith(".SS")  # .SS starts a paragraph
            out += [*([] if after_heading else [".PP"]), *text_lines(block.text)]
        elif isinstance(block, Definition):
            out += [".TP", inline(block.term), *text_lines(block.text)]
        elif isinstance(block, Item):
            out += [".IP \\(bu 2", *text_lines(block.text)]
        elif isinstance(block, Code):
            out += verbatim(block.lines)
        else:
            out.append(f".SS {quoted_argument(block.text)}")
    return out


def click_help(text: str) -> list[str]:
    """A click docstring: paragraphs split by blank lines, a \\b paragraph kept as written."""
    out: list[str] = []
    for chunk in re.split(r"\n\s*\n", inspect.cleandoc(text)):
        if chunk.startswith("\b"):
            lines = chunk.split("\n")[1:]
            indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
            out += [".PP", ".nf"] + [escape(x[indent:]) for x in lines] + [".fi"]
        else:
            out += [".PP", *wrap(escape(" ".join(chunk.split())))]
    return out
