"""The generated clients against netkit listen (and a server that answers late): every byte
back, binary and larger than the socket buffers, and a reply after the client's EOF."""

import os
import socket
import tempfile
import time
from collections.abc import Iterator

import pytest

from netkit.showc.connect import ConnectTarget, connect_program
from tests.connect.servers import reply_after_eof, stream_server
from tests.showc.conftest import Compile, run_program
from tests.support import free_port, netkit_process

READY = r"listening on (tcp|udp|unix) (\S+) \((\w+)\)"
# Every byte value, and more than the socket buffers of both ends hold (about 2.5 MiB on
# Linux loopback), so the echo flows while the client is still sending.
BIG = bytes(range(256)) * 16384  # 4 MiB


@pytest.fixture(scope="module")
def tcp_echo() -> Iterator[str]:
    with netkit_process("listen", "tcp", "--port", "0", "-q", ready=READY) as server:
        yield server.wait_for_stderr(READY).group(2)


@pytest.fixture(scope="module")
def udp_echo() -> Iterator[str]:
    with netkit_process("listen", "udp", "--port", "0", "-q", ready=READY) as server:
        yield server.wait_for_stderr(READY).group(2)


@pytest.fixture(scope="module")
def unix_echo() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "echo.sock")
        with netkit_process("listen", "unix", "--path", path, "-q", ready=READY):
            yield path


def _inet(transport: str, address: str, **options: object) -> ConnectTarget:
    host, port = address.rsplit(":", 1)
    return ConnectTarget(transport, host=host, port=port, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [b"hello\n", BIG, b""], ids=["line", "4MiB-binary", "empty"])
def test_tcp_client_gets_every_byte_back(compile_c: Compile, tcp_echo: str, data: bytes) -> None:
    binary = compile_c(connect_program(_inet("tcp", tcp_echo)))
    result = run_program(binary, data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


def test_tcp_reply_after_half_close_arrives(compile_c: Compile) -> None:
    """The server reads to EOF (our FIN), waits, then replies: the client is still reading."""
    with stream_server(reply_after_eof(0.3, b"late reply")) as (host, port):
        binary = compile_c(connect_program(ConnectTarget("tcp", host=host, port=str(port))))
        result = run_program(binary, b"request")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"late reply"


def test_tcp_timeout_ends_an_idle_session(compile_c: Compile) -> None:
    with stream_server(reply_after_eof(5, b"too late")) as (host, port):
        target = ConnectTarget("tcp", host=host, port=str(port), timeout=0.3)
        started = time.monotonic()
        result = run_program(compile_c(connect_program(target)), b"request")
    assert time.monotonic() - started < 4
    assert result.returncode == 0
    assert result.stdout == b""
    assert b"no data for 300 ms" in result.stderr


def test_tcp_no_half_close_sends_no_fin(compile_c: Compile, tcp_echo: str) -> None:
    """Without the FIN the echo server never sees EOF and keeps the connection: the echo comes
    back, then the session ends by the timeout, not by the server closing."""
    target = _inet("tcp", tcp_echo, timeout=0.5, half_close=False)
    result = run_program(compile_c(connect_program(target)), b"no fin")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"no fin"
    assert b"no data for 500 ms" in result.stderr


def test_tcp_refused(compile_c: Compile) -> None:
    target = ConnectTarget("tcp", host="127.0.0.1", port=str(free_port()))
    result = run_program(compile_c(connect_program(target)), b"x")
    assert result.returncode == 1
    assert b"Connection refused" in result.stderr


def test_udp_client_datagram_echoed(compile_c: Compile, udp_echo: str) -> None:
    binary = compile_c(connect_program(_inet("udp", udp_echo, timeout=0.5)))
    result = run_program(binary, bytes(range(256)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == bytes(range(256))


def test_udp_port_unreachable_is_connection_refused(compile_c: Compile) -> None:
    port = free_port(socket.SOCK_DGRAM)
    target = ConnectTarget("udp", host="127.0.0.1", port=str(port), timeout=2)
    result = run_program(compile_c(connect_program(target)), b"anyone?")
    assert result.returncode == 1
    assert b"connection refused" in result.stderr


@pytest.mark.parametrize("data", [b"over a unix socket\n", BIG], ids=["line", "4MiB-binary"])
def test_unix_client_gets_every_byte_back(compile_c: Compile, unix_echo: str, data: bytes) -> None:
    binary = compile_c(connect_program(ConnectTarget("unix", path=unix_echo)))
    result = run_program(binary, data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="abstract sockets are Linux's")
def test_unix_abstract_name(compile_c: Compile) -> None:
    name = f"@netkit-showc-{os.getpid()}"
    with netkit_process("listen", "unix", "--path", name, "-q", ready=READY):
        binary = compile_c(connect_program(ConnectTarget("unix", path=name)))
        result = run_program(binary, b"abstract")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"abstract"


def test_hostile_path_stays_inside_its_literal(compile_c: Compile) -> None:
    path = os.path.join(tempfile.gettempdir(), 'no "such*/ ??= dir\n', "x.sock")
    source = connect_program(ConnectTarget("unix", path=path))
    result = run_program(compile_c(source), b"x")
    assert result.returncode == 1
    assert b"No such file or directory" in result.stderr
