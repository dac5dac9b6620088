"""`netkit listen --print` shows a hostile peer's bytes escaped on a terminal, passes them raw
with --raw, and stays byte-exact into a pipe (as nc -l does); log lines show a hostile socket
path escaped."""

import json
import os
import signal
import socket
import tempfile

import pytest

from tests.render.hostile import raw_controls
from tests.support import TerminalOutput, invoke_netkit, netkit_executable, netkit_process

HOSTILE = b"hello\r\n\x1b]0;pwned\x07\x1b[2Jsafe\rEVIL \xff\x9b bidi \xe2\x80\xae end\n"
SHOWN = "hello\r\n\\x1b]0;pwned\\x07\\x1b[2Jsafe\\rEVIL \\xff\\x9b bidi \\u202e end\n"


def _send(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(data)


def _listen_on_terminal(*extra: str) -> tuple[str, str]:
    """Run `netkit listen tcp --print` with stdout on a terminal, send HOSTILE, and return what
    the terminal showed and the listener's stderr."""
    terminal = TerminalOutput([netkit_executable(), "listen", "tcp", "--port", "0", "--print",
                               "-q", *extra])  # fmt: skip
    try:
        match = terminal.process.wait_for_stderr(r"listening on tcp 127\.0\.0\.1:(\d+)")
        _send(int(match.group(1)), HOSTILE)
        terminal.wait_screen("end")
    finally:
        terminal.process.stop(signal.SIGTERM)
    return terminal.screen(), "\n".join(terminal.process.stderr_lines)


def test_print_on_a_terminal_shows_control_sequences_escaped() -> None:
    screen, _ = _listen_on_terminal()
    assert SHOWN in screen  # the peer's CR LF reaches the terminal as CR LF
    assert raw_controls(screen.replace("\r\n", "\n"), terminal=False) == []


def test_print_raw_passes_the_bytes_to_the_terminal() -> None:
    screen, _ = _listen_on_terminal("--raw")
    assert "\x1b]0;pwned\x07\x1b[2Jsafe\rEVIL" in screen


def test_print_into_a_pipe_is_byte_exact() -> None:
    with netkit_process("listen", "tcp", "--port", "0", "--print", "-q",
                        ready=r"listening on tcp") as server:  # fmt: skip
        match = server.wait_for_stderr(r"listening on tcp 127\.0\.0\.1:(\d+)")
        _send(int(match.group(1)), HOSTILE)
        server.wait_for_stderr(r"listening", timeout=1)
        assert server.proc.stdout is not None
        received = b""
        while len(received) < len(HOSTILE):
            chunk = os.read(server.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            received += chunk
    assert received == HOSTILE


def test_hostile_socket_path_is_escaped_in_every_line() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "echo\x1b]0;pwned\x07[bold]\u202e.sock")
        terminal = TerminalOutput([netkit_executable(), "listen", "unix", "--path", path,
                                   "--print", "--hex", "-v", "--json"])  # fmt: skip
        try:
            terminal.process.wait_for_stderr(r'"event": "listening"')
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(path)
                client.sendall(b"\x1b[2J")
            terminal.wait_screen("|.[2J|")
            terminal.process.wait_for_stderr(r'"event": "close"')
        finally:
            terminal.process.stop(signal.SIGTERM)
        screen = terminal.screen()
        log = "\n".join(terminal.process.stderr_lines)
    ready = json.loads(log.splitlines()[0])
    assert ready["event"] == "listening" and ready["path"] == path  # JSON: exact
    summary = json.loads(log.splitlines()[-1])
    assert summary["event"] == "summary" and summary["address"] == path  # JSON: exact
    assert raw_controls(screen, terminal=False) == []
    assert raw_controls(log, terminal=False) == []


@pytest.mark.parametrize("args", [("--raw",), ("--print", "--hex", "--raw")])
def test_raw_goes_with_print_only(args: tuple[str, ...]) -> None:
    status, _, err = invoke_netkit("listen", "tcp", *args)
    assert status == 2
    assert "--raw goes with --print" in err
