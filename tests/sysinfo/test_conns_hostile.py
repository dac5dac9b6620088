"""`netkit conns` shows another process's hostile name as data: escaped, never markup or control.

A child Python process renames itself with prctl(PR_SET_NAME) to a name holding rich markup,
terminal escape sequences or a bidi override, then listens on 127.0.0.1. The whole table (where a
`[/x]` once raised MarkupError and made `netkit conns` fail for everyone), the filtered table and
--json must show it: escaped in text, exact in JSON. ss is the oracle for its pid and port.
"""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netkit.render.escape import visible
from tests.render.hostile import assert_safe
from tests.support import require_tool, run_netkit

# Renames itself (the comm name: at most 15 bytes), listens, prints its port, and waits until its
# stdin closes or 30 seconds pass.
CHILD = """\
import ctypes, select, socket, sys
name = bytes.fromhex(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:
    sys.exit(f"prctl(PR_SET_NAME) failed: errno {ctypes.get_errno()}")
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
select.select([sys.stdin], [], [], 30)
"""
NAMES = [
    pytest.param(b"[/x]\x1b[31mE", id="markup-and-csi"),
    pytest.param(b"\x1b]0;pw\x07[/x]", id="osc-title"),
    pytest.param("\u202eevil[b]".encode(), id="bidi-override"),
]
COLOURS = [
    pytest.param({}, False, id="no-color"),
    pytest.param({"FORCE_COLOR": "1"}, True, id="force-color"),
]
WIDE = {"COLUMNS": "250"}  # a table wide enough that no cell wraps
_SGR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True, slots=True)
class NamedListener:
    pid: int
    port: int
    name: str  # the comm name as netkit reads it (UTF-8, undecodable bytes as surrogates)


@pytest.fixture(params=NAMES)
def listener(request: pytest.FixtureRequest) -> Iterator[NamedListener]:
    """A child process with a hostile name listening on a free TCP port of 127.0.0.1."""
    raw: bytes = request.param
    assert len(raw) <= 15
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, raw.hex()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # bounded: the child exits within 30 s
        if not line:
            child.wait(10)
            assert child.stderr is not None
            pytest.fail(f"the child did not start: {child.stderr.read()!r}")
        port = int(line)
        comm = Path(f"/proc/{child.pid}/comm").read_bytes()
        assert comm == raw + b"\n", f"prctl did not take: {comm!r}"
        yield NamedListener(child.pid, port, raw.decode("utf-8", "surrogateescape"))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(("env", "terminal"), COLOURS)
def test_the_full_table_shows_a_hostile_name_escaped(
    listener: NamedListener, env: dict[str, str], terminal: bool
) -> None:
    done = run_netkit("conns", env={**WIDE, **env})
    assert done.returncode == 0, done.stderr
    assert "MarkupError" not in done.stderr
    assert_safe(done.stdout + done.stderr, shown=[listener.name], terminal=terminal)
    shown = _SGR.sub("", done.stdout)
    assert f"{listener.pid}/{visible(listener.name)}" in shown
    assert f"127.0.0.1:{listener.port}" in shown


@pytest.mark.parametrize(("env", "terminal"), COLOURS)
def test_the_filtered_table_shows_the_one_listener(
    listener: NamedListener, env: dict[str, str], terminal: bool
) -> None:
    args = ["conns", "--tcp", "--listening", "--port", str(listener.port)]
    done = run_netkit(*args, env={**WIDE, **env})
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr, shown=[listener.name], terminal=terminal)
    shown = _SGR.sub("", done.stdout)
    # One row: in a box on a terminal, plain columns in a pipe.
    bar = r"\s*│\s*" if terminal else r"\s+"
    row = bar.join(
        ["tcp", "LISTEN", r"\d+", r"\d+", rf"127\.0\.0\.1:{listener.port}", "-",
         rf"{listener.pid}/{re.escape(visible(listener.name))}"]
    )  # fmt: skip
    assert len(re.findall(row, shown)) == 1, shown


def test_the_name_is_escaped_as_a_python_literal() -> None:
    # The escaped form the issue promises for the first name, spelled out.
    assert visible("[/x]\x1b[31mE") == "[/x]\\x1b[31mE"
    assert visible("\x1b]0;pw\x07[/x]") == "\\x1b]0;pw\\x07[/x]"
    assert visible("\u202eevil[b]") == "\\u202eevil[b]"


def test_json_has_the_exact_name(listener: NamedListener) -> None:
    done = run_netkit("conns", "--json", "--tcp", "--listening", "--port", str(listener.port))
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr)
    rows = json.loads(done.stdout)
    assert len(rows) == 1
    [row] = rows
    assert row["pid"] == listener.pid
    assert row["process"] == listener.name
    assert row["local"] == f"127.0.0.1:{listener.port}"
    assert row["state"] == "LISTEN"


def test_the_whole_json_listing_holds_the_exact_name(listener: NamedListener) -> None:
    done = run_netkit("conns", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    mine = [row for row in rows if row["pid"] == listener.pid]
    assert [(row["process"], row["local_port"]) for row in mine] == [(listener.name, listener.port)]


def test_a_hostile_process_filter_finds_the_listener(listener: NamedListener) -> None:
    done = run_netkit("conns", "--process", listener.name, "--tcp", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert (listener.pid, listener.port) in {(row["pid"], row["local_port"]) for row in rows}
    table = run_netkit("conns", "--process", listener.name, "--tcp", env=WIDE)
    assert table.returncode == 0, table.stderr
    assert_safe(table.stdout + table.stderr, shown=[listener.name])


def test_pid_and_port_match_ss(listener: NamedListener) -> None:
    ss = require_tool("ss")
    oracle = subprocess.run(
        [ss, "-tlnpH", f"sport = :{listener.port}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert re.findall(r"pid=(\d+)", oracle.stdout) == [str(listener.pid)]
    done = run_netkit("conns", "--json", "--tcp", "--listening", "--port", str(listener.port))
    assert done.returncode == 0, done.stderr
    assert [(row["pid"], row["local_port"]) for row in json.loads(done.stdout)] == [
        (listener.pid, listener.port)
    ]
