"""Putting outside text into C source safely: as a string literal, or inside a comment.

A host name, path or message comes from the user and may hold anything: quotes, backslashes,
newlines, the end of a comment (*/), trigraph-like sequences (??= becomes # under -trigraphs),
bytes that are not UTF-8. Everything that is not plain printable ASCII is written as an escape,
so the text can never end the literal or the comment it stands in.
"""

import shlex
from collections.abc import Sequence

# Escapes C programmers know by sight; every other special byte is written in octal.
_NAMED = {ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r", ord('"'): '\\"', ord("\\"): "\\\\"}


def text_bytes(text: str) -> bytes:
    """The bytes a C program's argv would hold for this text (undecodable bytes kept as given)."""
    return text.encode(errors="surrogateescape")


def c_string(value: str | bytes) -> str:
    """A C string literal holding exactly these bytes.

    Octal escapes always have three digits, so a digit after one cannot extend it (a hex escape
    would swallow any hex digit that follows). '?' is escaped so that no trigraph can form.
    """
    data = text_bytes(value) if isinstance(value, str) else value
    out = ['"']
    for byte in data:
        if byte in _NAMED:
            out.append(_NAMED[byte])
        elif byte == ord("?"):
            out.append("\\?")
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def comment_text(text: str) -> str:
    """Text safe inside a /* */ comment: printable ASCII only, no */, no ??, no line break."""
    visible = []
    for byte in text_bytes(text):
        if 0x20 <= byte < 0x7F and byte != ord("\\"):
            visible.append(chr(byte))
        elif byte == ord("\\"):
            visible.append("\\\\")
        else:
            visible.append(f"\\x{byte:02x}")
    safe = "".join(visible)
    # Rewrite until stable: removing one pair must not create another ("*?*/", "???").
    while "*/" in safe or "/*" in safe or "??" in safe:
        safe = safe.replace("*/", "*\\/").replace("/*", "/\\*").replace("??", "?\\?")
    return safe


def command_line(words: Sequence[str]) -> str:
    """A netkit command line as a shell would take it, safe to show inside a comment."""
    return comment_text(shlex.join(words))
