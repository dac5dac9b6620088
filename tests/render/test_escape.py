"""netkit.render.escape: the one notation for text from outside, JSON that stays exact, and the
terminal view of a raw byte stream."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netkit.render.escape import TerminalStream, json_safe, visible
from tests.render.hostile import CORPUS, raw_controls


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text", "plain text"),
        ("[/x]", "[/x]"),  # markup is not this layer's business: it is never parsed at all
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
        ("nul\x00 del\x7f", "nul\\x00 del\\x7f"),
        ("\x9b31m", "\\x9b31m"),
        ("\xa0", "\\xa0"),
        ("\u202eevil", "\\u202eevil"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("\udcff", "\\udcff"),
        ("\U000e0001", "\\U000e0001"),  # a language tag: a format character beyond the BMP
        ("é 全角 e\u0301", "é 全角 e\u0301"),  # printable: kept as it is
        ("back\\slash", "back\\slash"),  # shown as it is: the display form is for reading
        ("", ""),
    ],
)
def test_visible_uses_c_and_python_escapes(text: str, shown: str) -> None:
    assert visible(text) == shown


@given(st.text())
def test_visible_output_is_always_printable(text: str) -> None:
    assert visible(text).isprintable()


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_visible_keeps_every_printable_character(text: str) -> None:
    printable = "".join(char for char in text if char.isprintable())
    shown = visible(text)
    # Removing the escapes leaves exactly the printable characters, in order.
    position = 0
    for char in printable:
        position = shown.index(char, position) + 1


@given(st.text())
def test_json_safe_keeps_the_exact_value(text: str) -> None:
    document = json_safe(json.dumps({"value": text}, ensure_ascii=False))
    assert json.loads(document) == {"value": text}
    assert raw_controls(document, terminal=False) == []


@pytest.mark.parametrize("text", CORPUS)
def test_json_safe_on_the_corpus(text: str) -> None:
    document = json_safe(json.dumps([text], ensure_ascii=False, indent=2))
    assert json.loads(document) == [text]
    assert raw_controls(document, terminal=False) == []


def test_json_safe_leaves_plain_documents_alone() -> None:
    document = json.dumps({"name": "bücher.example", "n": 1}, ensure_ascii=False, indent=2)
    assert json_safe(document) is document or json_safe(document) == document


def test_terminal_stream_passes_text_protocols() -> None:
    stream = TerminalStream()
    assert stream.feed(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n\tbody\n") == (
        "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n\tbody\n"
    )


def test_terminal_stream_escapes_control_sequences() -> None:
    stream = TerminalStream()
    shown = stream.feed(b"\x1b]0;title\x07\x1b[2Jsafe\rEVIL\x00\x7f\xc2\x9b")
    assert shown == "\\x1b]0;title\\x07\\x1b[2Jsafe\\rEVIL\\x00\\x7f\\x9b"


def test_terminal_stream_shows_bytes_that_are_not_utf8() -> None:
    stream = TerminalStream()
    assert stream.feed(b"ok \xff\xfe end") == "ok \\xff\\xfe end"


def test_terminal_stream_joins_what_a_read_split() -> None:
    stream = TerminalStream()
    euro = "€".encode()
    assert stream.feed(b"price " + euro[:1]) == "price "
    assert stream.feed(euro[1:] + b" ok\r") == "€ ok"
    assert stream.feed(b"\nnext") == "\r\nnext"  # a CR LF split across reads is still CR LF
    assert stream.feed(b"\r") == ""
    assert stream.feed(b"x") == "\\rx"  # a lone CR is escaped once it is known to be lone


def test_terminal_stream_finish_shows_what_it_held() -> None:
    stream = TerminalStream()
    assert stream.feed(b"end\r") == "end"
    assert stream.finish() == "\\r"
    stream = TerminalStream()
    assert stream.feed(b"half \xe2\x82") == "half "
    assert stream.finish() == "\\xe2\\x82"


@given(st.lists(st.binary(max_size=40), max_size=10))
def test_terminal_stream_output_is_safe_whatever_the_reads(chunks: list[bytes]) -> None:
    stream = TerminalStream()
    shown = "".join(stream.feed(chunk) for chunk in chunks) + stream.finish()
    # Only newline, tab and the CR of a CR LF reach the terminal unescaped.
    assert all(char.isprintable() or char in "\n\t" for char in shown.replace("\r\n", "\n"))
