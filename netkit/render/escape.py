"""How text from outside netkit is shown to a person: every character that could act on the
terminal, hide itself or reorder the line is shown as a backslash escape instead.

Text from outside is anything netkit did not write itself: what a peer sent, DNS data,
/etc/hosts, another process's name, a file path, the user's own arguments. A process can name
itself ``\\x1b]0;title\\x07`` and a TXT record can hold ``\\u202e``; shown raw, the first retitles
the reader's window and the second reverses the rest of the line. So text meant for a person
passes through ``visible()`` and JSON passes through ``json_safe()``; raw byte streams
(``netkit connect``, ``listen --print``) go through ``TerminalStream`` when they reach a terminal.

The notation is that of C and Python string literals, the one people who read strace and repr()
already know: ``\\t \\n \\r``, ``\\xNN`` up to U+00FF (C0 controls, DEL, C1 controls, no-break
space), ``\\uNNNN`` and ``\\UNNNNNNNN`` above (bidirectional overrides and isolates, zero-width
and other format characters, line and paragraph separators, private-use and unassigned code
points), and ``\\udcNN`` for a lone surrogate that stands for an undecodable input byte (as JSON
writes it). "Not printable" is Python's ``str.isprintable()``: a C-speed test, so the common
case costs one call. A backslash in the data is left as it is: the display form is for reading,
and ``--json`` carries the exact value.

Kept free of rich: the error path and the one-result detail blocks use it at start-up speed.
"""

import codecs
import re
from functools import cache

_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every character that is not printable shown as its escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


@cache
def _unprintable_pattern(chars: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(char) for char in sorted(chars)) + "]")


def json_safe(document: str) -> str:
    """A JSON text whose strings carry no raw character that a terminal would act on.

    ``json.dumps(ensure_ascii=False)`` escapes C0 controls but writes DEL, C1 controls, bidi
    overrides and the like raw. Inside a JSON string any character may be written as ``\\uXXXX``
    (RFC 8259 section 7) and decodes to the same value, so they are escaped that way here.
    Outside strings a JSON text is ASCII, so only string contents are touched.
    """
    if document.isascii() and "\x7f" not in document:
        return document
    unsafe = frozenset(
        char for char in set(document) if not char.isprintable() and char not in "\n "
    )
    if not unsafe:
        return document
    return _unprintable_pattern(unsafe).sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    """``\\uXXXX``, as a UTF-16 surrogate pair above U+FFFF (RFC 8259 section 7)."""
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class TerminalStream:
    """Bytes from a peer, decoded for a terminal: text protocols read as they are, and every
    control sequence is shown escaped.

    Newline, tab and CR LF pass through, so an HTTP or SMTP session looks normal; a lone CR
    (which would let later text overwrite earlier text), ESC and every other unprintable
    character is escaped. A byte that is not UTF-8 shows as ``\\xNN``. A multi-byte character or
    a CR LF split across two reads is held back until the next read completes it.
    """

    _PASS = frozenset("\n\t")

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
        self._held_cr = False

    def feed(self, data: bytes | bytearray | memoryview) -> str:
        return self._show(self._decoder.decode(data))

    def finish(self) -> str:
        return self._show(self._decoder.decode(b"", final=True), final=True)

    def _show(self, text: str, *, final: bool = False) -> str:
        if self._held_cr:
            text = "\r" + text
            self._held_cr = False
        if text.endswith("\r") and not final:
            text = text[:-1]
            self._held_cr = True
        if text.isprintable():
            return text
        out: list[str] = []
        for position, char in enumerate(text):
            crlf = char == "\r" and text[position + 1 : position + 2] == "\n"
            out.append(char if char.isprintable() or char in self._PASS or crlf else _escape(char))
        return "".join(out)
