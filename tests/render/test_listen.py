"""Rendering of `netkit listen` (netkit/render/listen.py): readiness line, hex dump, byte counts."""

import io

import pytest

from netkit.listen.events import Listening
from netkit.render.listen import hex_dump, hex_sink, human_bytes, make_observer, readiness_line


def test_readiness_line_is_the_documented_contract() -> None:
    assert readiness_line(Listening("tcp", "127.0.0.1:5566", "epoll")) == (
        "listening on tcp 127.0.0.1:5566 (epoll)"
    )
    assert readiness_line(Listening("unix", "/tmp/echo.sock", "poll")) == (
        "listening on unix /tmp/echo.sock (poll)"
    )


def test_hex_dump_matches_hexdump_c() -> None:
    lines = list(hex_dump(b"hello, world!\x00\x01\x02\xffZ"))
    assert lines == [
        "00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 00 01 02  |hello, world!...|",
        "00000010  ff 5a                                             |.Z|",
    ]


def test_hex_sink_has_a_header_per_chunk() -> None:
    out = io.StringIO()
    hex_sink(out)("127.0.0.1:4000", b"hi")
    header, dump = out.getvalue().splitlines()
    assert header.startswith("< ") and header.endswith("from 127.0.0.1:4000 2 bytes")
    assert dump.startswith("00000000  68 69")


def test_human_bytes() -> None:
    assert human_bytes(0) == "0 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(3 * 2**30) == "3.0 GiB"


def test_json_log_goes_through_the_live_panels_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """With --stats, a direct write to stderr would land in the middle of the redrawn panel."""
    import json

    from rich.console import Console

    from netkit.listen.events import ConnectionOpened
    from netkit.render import tables

    console_out, direct = io.StringIO(), io.StringIO()
    console = Console(file=console_out, width=200)
    monkeypatch.setattr(tables, "stderr_console", lambda: console)
    observer = make_observer(verbose=True, as_json=True, quiet=False, stream=direct, live=True)
    assert observer.opened is not None
    observer.opened(ConnectionOpened("127.0.0.1:4000", 1.5))
    assert direct.getvalue() == ""
    assert json.loads(console_out.getvalue()) == {
        "event": "open",
        "peer": "127.0.0.1:4000",
        "time": 1.5,
    }


def test_hex_sink_time_is_one_reading_of_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import itertools
    import time

    # A second boundary between two readings; then the clock stands still.
    readings = itertools.chain([1_700_000_000.999], itertools.repeat(1_700_000_001.0005))
    monkeypatch.setattr(time, "time", lambda: next(readings))
    out = io.StringIO()
    hex_sink(out)("127.0.0.1:4000", b"hi")
    stamp = out.getvalue().split()[1]
    assert stamp == time.strftime("%H:%M:%S", time.localtime(1_700_000_000.999)) + ".999"
