"""netkit.render.rows: tables that stream, one format for 10 rows and 10,000, values never cut."""

import io
import itertools

import pytest

from netkit.render import rows
from netkit.render.rows import Column, Styled, row_stream
from tests.render.hostile import SHORT_CORPUS, assert_safe


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")


def test_a_pipe_gets_plain_columns_under_a_header() -> None:
    out = io.StringIO()
    with row_stream(
        ["proto", Column("port", justify="right"), "name"], title="t", stream=out
    ) as add:
        add(["tcp", 22, "sshd"])
        add(["udp", 5353, None])
    assert out.getvalue() == "PROTO  PORT  NAME\ntcp      22  sshd\nudp    5353  -\n"


def test_a_terminal_gets_richs_box() -> None:
    out = Terminal()
    with row_stream(["a", "b"], title="title", stream=out) as add:
        add(["x", Styled("yes", "green")])
    assert [line.rstrip() for line in out.getvalue().splitlines()] == [
        "\x1b[3mtitle\x1b[0m",
        "┏━━━┳━━━━━┓",
        "┃ \x1b[1;36ma\x1b[0m ┃ \x1b[1;36mb\x1b[0m   ┃",
        "┡━━━╇━━━━━┩",
        "│ x │ \x1b[32myes\x1b[0m │",
        "└───┴─────┘",
    ]


def test_no_color_on_a_terminal_keeps_the_box(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    with row_stream(["a"], stream=out) as add:
        add(["x"])
    assert out.getvalue() == "┏━━━┓\n┃ a ┃\n┡━━━┩\n│ x │\n└───┘\n"


def test_rows_after_the_window_are_written_as_they_come() -> None:
    out = io.StringIO()
    with row_stream(["n"], stream=out) as add:
        for number in range(rows.WINDOW):
            add([number])
        assert out.getvalue().count("\n") == rows.WINDOW + 1  # the window, measured and out
        add(["late"])
        assert out.getvalue().endswith("late\n")


def test_a_slow_first_row_is_not_held_for_a_full_window(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count(0.0, rows.WINDOW_SECONDS)
    monkeypatch.setattr(rows.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    with row_stream(["n"], stream=out) as add:
        add([1])
        add([2])  # the first row has waited a window's time: both go out now
        assert out.getvalue() == "N\n1\n2\n"


def test_a_value_wider_than_the_window_is_never_cut() -> None:
    out = io.StringIO()
    with row_stream(["name", "n"], stream=out) as add:
        for _ in range(rows.WINDOW):
            add(["short", 1])
        add(["a-much-longer-name-than-any-before", 2])
    assert "a-much-longer-name-than-any-before  2" in out.getvalue()


def test_plain_columns_split_on_whitespace() -> None:
    out = io.StringIO()
    with row_stream(["addr", "kind", "note"], stream=out) as add:
        add(["10.0.0.1", "private", None])
        add(["::1", "loopback", "x"])
    fields = [line.split() for line in out.getvalue().splitlines()]
    assert fields == [
        ["ADDR", "KIND", "NOTE"],
        ["10.0.0.1", "private", "-"],
        ["::1", "loopback", "x"],
    ]


def test_an_interrupted_table_keeps_what_it_had() -> None:
    out = Terminal()
    with pytest.raises(KeyboardInterrupt), row_stream(["n"], stream=out) as add:
        add([1])
        raise KeyboardInterrupt
    assert out.getvalue().endswith("│ 1 │\n└───┘\n")


@pytest.mark.parametrize("terminal", [False, True])
@pytest.mark.parametrize("text", SHORT_CORPUS, ids=lambda t: repr(t[:20]))
def test_values_and_titles_are_data(text: str, terminal: bool) -> None:
    out = Terminal() if terminal else io.StringIO()
    with row_stream([text, "b"], title=text, stream=out) as add:
        add([text, Styled(text, "red")])
        add([None, text])
    assert_safe(out.getvalue(), [text], terminal=terminal)


PLAIN_ROW_VALUES: list[object] = [
    None, 0, 7, 65535, -3, "", "tcp", "127.0.0.1:5566", "[::1]:443", "a-much-longer-value",
    Styled("ESTABLISHED", "cyan"), Styled(42, "red"), Styled(None, "dim"), Styled(1.5, "red"),
    True, 2.5, "name with spaces ", "ünïcode", "日本語", *SHORT_CORPUS,
]  # fmt: skip


@pytest.mark.parametrize(("boxes", "colour"), [(False, False), (True, True), (True, False)])
@pytest.mark.parametrize("column_style", ["", "magenta"])
def test_a_plain_line_is_the_general_line_or_none(
    boxes: bool, colour: bool, column_style: str
) -> None:
    """The one-pass path for plain rows writes what the general path writes, on a terminal
    (colour or not) and in a pipe, and declines every row it cannot write the same way
    (escapes, wide characters, other types, a column style to paint)."""
    columns = [Column("a"), Column("b", "right", style=column_style), Column("c")]
    layout = rows._Layout(columns, boxes=boxes, colour=colour)
    layout.measure(layout.cells(["window", 12345, "x"]))
    layout.line(layout.cells(["window", 12345, "x"]))  # as the window's lines are written first
    taken = 0
    for row in itertools.product(PLAIN_ROW_VALUES, repeat=2):
        for full in ([*row, "last"], ["first", *row]):
            plain = layout.plain_line(full)
            if plain is not None:
                taken += 1
                assert plain == layout.line(layout.cells(full)), full
    if column_style and colour:
        assert taken == 0
    else:
        assert taken > 100  # the plain path does take the plain rows


@pytest.mark.parametrize("terminal", [False, True])
def test_a_long_table_is_the_same_with_and_without_the_plain_path(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    values = itertools.cycle(PLAIN_ROW_VALUES)
    table = [[next(values), next(values), n, next(values)] for n in range(3 * rows.WINDOW)]

    def written() -> str:
        out = Terminal() if terminal else io.StringIO()
        with row_stream(["a", Column("b", "right"), Column("n", "right"), "d"], stream=out) as add:
            for row in table:
                add(row)
        return out.getvalue()

    fast = written()
    monkeypatch.setattr(rows._Layout, "plain_line", lambda self, row: None)
    assert fast == written()


class CountedWrites(io.StringIO):
    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


class CountedTerminalWrites(CountedWrites):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True])
def test_rows_at_hand_are_written_in_blocks_with_the_same_text(terminal: bool) -> None:
    rows_written = rows.WINDOW + 2 * rows.BLOCK + 7
    texts = []
    for at_hand in (False, True):
        out = CountedTerminalWrites() if terminal else CountedWrites()
        with row_stream(["n", Column("twice", "right")], stream=out, at_hand=at_hand) as add:
            for number in range(rows_written):
                add([number, Styled(2 * number, "red") if number % 3 else None])
        texts.append(out.getvalue())
        if at_hand:
            assert out.writes < 10  # the window, three blocks, the footer
        else:
            assert out.writes > rows.BLOCK
    assert texts[0] == texts[1]


def test_rows_at_hand_that_were_not_yet_written_are_written_on_an_interruption() -> None:
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt), row_stream(["n"], stream=out, at_hand=True) as add:
        for number in range(rows.WINDOW + 5):
            add([number])
        raise KeyboardInterrupt
    assert out.getvalue().endswith(f"\n{rows.WINDOW + 4}\n")
