"""Outside text in C source: string literals hold exactly its bytes, comments cannot be ended."""

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netkit.showc.cstring import c_string, command_line, comment_text
from tests.showc.conftest import Compile, run_program

HOSTILE = [
    'quote " inside',
    "back\\slash and \\n as text",
    "new\nline and\r\ncrlf\ttab",
    "end */ of comment /* and start",
    "??= ??/ ??' ??( ??) ??! ??< ??> ??- trigraphs",
    "???/",
    "non-ASCII: é ✓ 日本",
    "%s %n %d printf directives",
    "digits after an escape: \x01" + "234 \x7f" + "89",
    "\x1b[31mANSI\x1b[0m and a bell \x07",
    "bytes that are not UTF-8: \udcff\udcfe",
    "",
]


@given(st.binary(max_size=64))
def test_literal_is_plain_ascii_with_no_raw_quote_or_newline(data: bytes) -> None:
    literal = c_string(data)
    body = literal[1:-1]
    assert literal.startswith('"') and literal.endswith('"')
    assert body.isascii() and body.isprintable()
    assert "??" not in body
    # Every quote in the body is escaped: dropping escaped pairs leaves no quote behind.
    assert '"' not in body.replace("\\\\", "").replace('\\"', "")


@given(st.text(max_size=64))
def test_comment_text_cannot_end_or_nest_a_comment(text: str) -> None:
    safe = comment_text(text)
    assert safe.isascii() and safe.isprintable()
    assert "*/" not in safe and "/*" not in safe and "??" not in safe


def test_command_line_quotes_for_the_shell() -> None:
    assert command_line(["netkit", "ipc", "pipe", "--message", "a b"]) == (
        "netkit ipc pipe --message 'a b'"
    )


@pytest.mark.parametrize("standard", ["-std=gnu11", "-std=c99"])  # c99 turns trigraphs on
def test_compiled_literals_hold_the_exact_bytes(compile_c: Compile, standard: str) -> None:
    """Every hostile value, as a literal in a comment-bearing program, prints back exactly."""
    lines = [
        "#include <stdio.h>",
        "int main(void) {",
    ]
    for text in HOSTILE:
        lines.append(f"  /* {comment_text(text)} */")
        literal = c_string(text)
        lines.append(f"  fwrite({literal}, 1, sizeof({literal}) - 1, stdout);")
        lines.append("  fputc(0, stdout);")
    lines += ["  return 0;", "}", ""]
    binary = compile_c("\n".join(lines), standard)
    result = run_program(binary)
    assert result.returncode == 0
    expected = b"".join(t.encode(errors="surrogateescape") + b"\0" for t in HOSTILE)
    assert result.stdout == expected


def test_trigraph_warnings_stay_silent(compile_c: Compile) -> None:
    """Under -trigraphs -Wtrigraphs nothing in a literal or comment forms a trigraph."""
    text = "??=??/??'" + "*/"
    source = (
        f"/* {comment_text(text)} */\n"
        f"const char *s = {c_string(text)};\n"
        "int main(void) { return s[0] != 63; }\n"
    )
    binary = compile_c(source, "-trigraphs", "-Wtrigraphs")
    assert subprocess.run([str(binary)], check=False).returncode == 0
