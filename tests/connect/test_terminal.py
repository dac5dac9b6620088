"""What `netkit connect` does with a hostile server's bytes: escaped on a terminal (newlines,
tabs and CR LF pass, so a text protocol reads normally), unchanged with --raw (a server's ANSI
colours), and byte-exact into a pipe or file, as nc."""

import socket
import subprocess

from tests.connect.servers import stream_server
from tests.render.hostile import raw_controls
from tests.support import TerminalOutput, netkit_executable

HOSTILE = b"220 ready\r\n\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\tsafe\rEVIL \xff end\n"
SHOWN = "220 ready\r\n\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\x1b[0m\tsafe\\rEVIL \\xff end\n"


def _greeter(conn: socket.socket) -> None:
    """Send the greeting, then close after the client's EOF (as an SMTP server might)."""
    conn.sendall(HOSTILE)
    while conn.recv(65536):
        pass


def _on_terminal(*extra: str) -> str:
    with stream_server(_greeter) as (host, port):
        terminal = TerminalOutput([netkit_executable(), "connect", "tcp", host, str(port),
                                   "-w", "5", *extra])  # fmt: skip
        assert terminal.process.proc.stdin is not None
        terminal.process.proc.stdin.close()  # EOF: netkit half-closes, the server closes
        assert terminal.process.proc.wait(15) == 0
        return terminal.screen()


def test_a_terminal_shows_control_sequences_escaped() -> None:
    screen = _on_terminal()
    assert SHOWN in screen
    assert raw_controls(screen.replace("\r\n", "\n"), terminal=False) == ["\t"]  # passes


def test_raw_shows_the_servers_bytes() -> None:
    screen = _on_terminal("--raw")
    assert "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\tsafe\rEVIL" in screen


def test_a_pipe_gets_the_exact_bytes() -> None:
    with stream_server(_greeter) as (host, port):
        result = subprocess.run(
            [netkit_executable(), "connect", "tcp", host, str(port), "-w", "5"],
            input=b"",
            capture_output=True,
            timeout=15,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout == HOSTILE
