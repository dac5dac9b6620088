"""The subnet and sockaddr renderers show outside text as data (see tests/render/hostile.py)."""

import io

import pytest

from netkit.conv.sockaddr import LINUX, encode
from netkit.conv.subnets import contains, parse_network
from netkit.render.conv import render_contains, render_sockaddr
from tests.render.hostile import SHORT_CORPUS, assert_safe


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
@pytest.mark.parametrize("text", SHORT_CORPUS)
def test_contains_rows_show_hostile_input_escaped(
    text: str, terminal: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    render_contains([contains(parse_network("10.0.0.0/8"), text)], as_json=False)
    assert_safe(out.getvalue(), [text], terminal=terminal)


@pytest.mark.parametrize("text", [t for t in SHORT_CORPUS if t and "\x00" not in t])
def test_sockaddr_paths_show_hostile_names_escaped(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    render_sockaddr(encode("@" + text.replace("/", ""), layout=LINUX), as_json=False)
    assert_safe(out.getvalue(), ["@" + text.replace("/", "")])
