"""netkit.render.output: colour decisions, JSON shape, detail blocks."""

import io
import json
import subprocess
from dataclasses import dataclass

import pytest

from netkit.render.output import colour_enabled, emit_details, emit_json, to_jsonable
from tests.support import netkit_executable


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "terminal", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], terminal: bool, expected: bool
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = FakeTerminal() if terminal else io.StringIO()
    assert colour_enabled(stream) is expected


@dataclass(frozen=True, slots=True)
class Inner:
    value: int


@dataclass(frozen=True, slots=True)
class Outer:
    name: str
    inner: Inner | None


def test_dataclasses_become_plain_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert to_jsonable([Outer("a", Inner(1)), Outer("b", None)]) == [
        {"name": "a", "inner": {"value": 1}},
        {"name": "b", "inner": None},
    ]
    emit_json([Outer("é", None)])
    assert json.loads(capsys.readouterr().out) == [{"name": "é", "inner": None}]


def test_details_align_and_show_missing_values_as_dash(capsys: pytest.CaptureFixture[str]) -> None:
    emit_details("Title", [("a", 1), ("longer", None)])
    assert capsys.readouterr().out == "Title\n  a       1\n  longer  -\n"


def test_json_of_bytes_that_were_not_utf8_is_still_utf8(capsys: pytest.CaptureFixture[str]) -> None:
    emit_json([Outer("é\udcff", None)])  # the byte 0xff of a command line, as Python holds it
    out = capsys.readouterr().out
    out.encode("utf-8")  # no lone surrogate left to write
    assert "\\udcff" in out and json.loads(out) == [{"name": "é\udcff", "inner": None}]


def test_conv_json_from_a_stdin_that_is_not_utf8() -> None:
    done = subprocess.run(
        [netkit_executable(), "conv", "ip", "--json", "-"],
        input=b"\xff\n1.2.3.4\n", capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    rows = json.loads(done.stdout.decode("utf-8"))  # strict: valid UTF-8
    assert [row["error"] is None for row in rows] == [False, True]


@dataclass(frozen=True)
class _Nested:
    name: str
    values: tuple[int, ...]


JSON_VALUES: list[object] = [
    {"a": [1, 2.5, None, True, "ü", "日本", "\x1b[31m", "\u202e"], "b": (1, (2,)), "c": {}},
    {"nested": _Nested("x", (1, 2)), "list": [_Nested("y", ())]},
    [float("nan"), float("inf"), -0.0, 10**30, ""],
    "just a string",
    7,
    None,
]


@pytest.mark.parametrize("value", JSON_VALUES)
def test_a_json_line_is_what_jsons_encoder_writes(value: object) -> None:
    from netkit.render.escape import json_safe
    from netkit.render.output import fields_of, json_line

    expected = json_safe(json.JSONEncoder(ensure_ascii=False, default=fields_of).encode(value))
    assert json_line(value) == expected


def test_the_json_line_encoder_works_on_after_a_failure() -> None:
    """The encoder is made once: a failed encoding must not leave it believing a container it
    meets again is circular."""
    from netkit.render.output import json_line

    box: list[object] = [object()]
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_line({"box": box})
    box[0] = 1  # now it can be written: it must not pass for circular
    assert json_line({"box": box}) == '{"box": [1]}'
    circular: list[object] = [box]
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular"):
        json_line(circular)
    circular.pop()
    assert json_line(circular) == "[[1]]"
