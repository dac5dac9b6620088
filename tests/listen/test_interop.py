"""Third-party clients as independent judges: nc, ncat and socat against `netkit listen`."""

import subprocess
from pathlib import Path

import pytest

from tests.listen.checks import Start
from tests.support import require_tool

TEXT = "hello from a third-party client\n" * 50


def _run(argv: list[str], data: str) -> str:
    return subprocess.run(
        argv, input=data, capture_output=True, text=True, timeout=20, check=True
    ).stdout


@pytest.mark.parametrize("mux", ["epoll", "select", "thread", "blocking"])
def test_nc_tcp(listener_factory: Start, mux: str) -> None:
    nc = require_tool("nc")
    listener = listener_factory("tcp", "--port", "0", "--mux", mux)
    assert _run([nc, "-N", "127.0.0.1", str(listener.port)], TEXT) == TEXT


def test_ncat_tcp(listener_factory: Start) -> None:
    ncat = require_tool("ncat")
    listener = listener_factory("tcp", "--port", "0", "--mux", "poll")
    assert _run([ncat, "127.0.0.1", str(listener.port)], TEXT) == TEXT


def test_socat_tcp_and_udp(listener_factory: Start) -> None:
    socat = require_tool("socat")
    tcp = listener_factory("tcp", "--port", "0")
    assert _run([socat, "-t", "2", "-", f"TCP:127.0.0.1:{tcp.port}"], TEXT) == TEXT
    udp = listener_factory("udp", "--port", "0")
    assert _run([socat, "-t", "1", "-", f"UDP:127.0.0.1:{udp.port}"], "datagram\n") == "datagram\n"


def test_ncat_udp(listener_factory: Start) -> None:
    ncat = require_tool("ncat")
    listener = listener_factory("udp", "--port", "0", "--mux", "blocking")
    # ncat -u quits at stdin EOF without waiting for replies: keep stdin open meanwhile.
    client = subprocess.Popen(
        [ncat, "-u", "127.0.0.1", str(listener.port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert client.stdin is not None and client.stdout is not None
        client.stdin.write(b"ping\n")
        client.stdin.flush()
        assert client.stdout.readline() == b"ping\n"
    finally:
        client.kill()
        client.wait(5)


def test_nc_and_socat_over_unix(listener_factory: Start, tmp_path: Path) -> None:
    nc, socat = require_tool("nc"), require_tool("socat")
    path = tmp_path / "s.sock"
    listener_factory("unix", "--path", str(path))
    assert _run([nc, "-N", "-U", str(path)], TEXT) == TEXT
    assert _run([socat, "-t", "2", "-", f"UNIX-CONNECT:{path}"], TEXT) == TEXT
