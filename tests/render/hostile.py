"""The hostile-string corpus: text from outside that must reach a person as data.

Every renderer test drives its tables, detail blocks and log lines with these strings and checks
the output with ``assert_safe``: no raw control character (beyond the colour codes the renderer
itself writes and the line breaks of its layout), and the input's text shown, escaped.
"""

import re

from netkit.render.escape import visible

MARKUP = ["[/x]", "[bold]hi[/bold]", "[link=http://evil.test]click[/link]", "[", "a[b", "[/]"]
SEQUENCES = [
    "\x1b[31mred\x1b[0m",  # CSI SGR: colour
    "\x1b[2J\x1b[H",  # CSI: clear the screen, cursor home
    "\x1b]0;pwned\x07",  # OSC: set the window title, BEL-terminated
    "\x1b]8;;http://evil.test\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x9b31m",  # the C1 form of CSI
    "bell\x07",
    "safe\rEVIL",  # CR: later text overwrites earlier text
    "back\x08\x08\x08\x08",
    "nul\x00byte",
    "del\x7f",
    "\x85next line",  # C1 NEL
    "tab\there",
    "two\nlines",
]
UNICODE = [
    "\u202eevil.com",  # right-to-left override
    "\u2066isolate\u2069",
    "zero\u200bwidth\u200d",
    "e\u0301\u0301\u0301",  # combining marks
    "全角の名前",  # wide characters
    "\udcff\udc80",  # lone surrogates: bytes that were not UTF-8
    "line\u2028separator",
    "\ufeffbom",
]
EDGES = ["", "x" * 10_000]

CORPUS = [*MARKUP, *SEQUENCES, *UNICODE, *EDGES]
SHORT_CORPUS = [text for text in CORPUS if len(text) < 100]

# Colour the renderer writes itself (SGR) and, for a live display, cursor moves rich makes.
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\x1b\[[0-9]*[AKG]|\r")


def raw_controls(output: str, *, terminal: bool) -> list[str]:
    """Characters in ``output`` that a terminal would act on, other than the layout's."""
    if terminal:
        output = _OWN_SEQUENCES.sub("", output)
    return [char for char in output if not char.isprintable() and char not in "\n"]


def assert_safe(output: str, shown: list[str] | None = None, *, terminal: bool = False) -> None:
    """No raw control character, and every string of ``shown`` visible in its escaped form."""
    assert raw_controls(output, terminal=terminal) == []
    if terminal:
        output = _OWN_SEQUENCES.sub("", output)
    for text in shown or []:
        assert visible(text) in output, f"{visible(text)!r} is not shown"
