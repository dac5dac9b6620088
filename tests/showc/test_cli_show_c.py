"""--show-c on connect, listen and resolve, driven through the real CLI: the program printed is
compiled warning-free and run against its netkit counterpart, and the bytes come back."""

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from netkit.showc.connect import ConnectTarget, connect_program
from netkit.showc.listen import ListenSpec, listen_program
from netkit.showc.resolve import AddrinfoHints, modern_program
from tests.showc.conftest import Compile, run_program
from tests.support import RunningProcess, netkit_executable, netkit_process, run_netkit

READY = r"listening on (tcp|udp|unix) (\S+) \((\w+)\)"
DATA = bytes(range(256)) * 64  # every byte value, 16 KiB


def _show_c(*args: str) -> str:
    result = run_netkit(*args, "--show-c")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.fixture(scope="module")
def sockets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sockets")


@pytest.fixture(scope="module", params=["tcp", "udp", "unix"])
def echo(request: pytest.FixtureRequest, sockets: Path) -> Iterator[tuple[str, list[str]]]:
    """A netkit echo server of each transport; yields the transport and connect's target."""
    transport = request.param
    where = ["--path", str(sockets / "echo.sock")] if transport == "unix" else ["--port", "0"]
    with netkit_process("listen", transport, *where, "-q") as server:
        address = server.wait_for_stderr(READY).group(2)
        target = [address] if transport == "unix" else address.rsplit(":", 1)
        yield transport, target


def test_connect_show_c_program_echoes_through_netkit_listen(
    compile_c: Compile, echo: tuple[str, list[str]]
) -> None:
    transport, target = echo
    extra = ["--timeout", "1"] if transport == "udp" else []
    source = _show_c("connect", transport, *target, *extra)
    data = DATA[:1000] if transport == "udp" else DATA  # one read of stdin, one datagram
    result = run_program(compile_c(source), data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


def test_connect_show_c_is_the_generators_program() -> None:
    """The nc form (no transport word) and the options the program takes reach the generator."""
    source = _show_c("connect", "127.0.0.1", "5566", "-4", "-w", "1.5", "--no-half-close")
    target = ConnectTarget("tcp", host="127.0.0.1", port="5566", family="4", timeout=1.5,
                           half_close=False)  # fmt: skip
    assert source == connect_program(target)
    assert _show_c("connect", "unix", "@lab") == connect_program(ConnectTarget("unix", path="@lab"))


def _server(binary: Path) -> RunningProcess:
    return RunningProcess([str(binary)])


@pytest.mark.parametrize("transport", ["tcp", "udp", "unix"])
def test_listen_show_c_program_echoes_to_netkit_connect(
    compile_c: Compile, sockets: Path, transport: str
) -> None:
    where = ["--path", str(sockets / "c.sock")] if transport == "unix" else ["--port", "0"]
    source = _show_c("listen", transport, *where, "--mux", "poll")
    server = _server(compile_c(source))
    try:
        match = server.wait_for_stderr(READY, timeout=10)
        assert (match.group(1), match.group(3)) == (transport, "poll")
        address = match.group(2)
        target = [address] if transport == "unix" else address.rsplit(":", 1)
        extra = ["--timeout", "1"] if transport == "udp" else []
        data = DATA[:1000] if transport == "udp" else DATA
        done = subprocess.run([netkit_executable(), "connect", transport, *target, *extra],
                              input=data, capture_output=True, timeout=30, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout == data
    finally:
        status = server.stop(signal.SIGTERM)
        if server.proc.stderr is not None:
            server.proc.stderr.close()
    assert status == 0, server.stderr_lines
    assert not os.path.exists(sockets / "c.sock")


def test_listen_show_c_fills_in_the_invocation() -> None:
    source = _show_c("listen", "tcp", "8080", "--host", "::1", "--mux", "select", "--backlog", "9")
    assert source == listen_program(ListenSpec("tcp", "select", host="::1", port=8080, backlog=9))
    auto = _show_c("listen", "udp")  # --mux auto: the design netkit uses here
    assert '#define DESIGN "' in auto and '"thread"' not in auto


def test_resolve_show_c_programs_run(compile_c: Compile) -> None:
    legacy = run_program(compile_c(_show_c("resolve", "--legacy", "localhost")))
    assert legacy.returncode == 0, legacy.stderr
    assert b"IP: 127.0.0.1" in legacy.stdout.splitlines()
    source = _show_c("resolve", "--modern", "-4", "--service", "80", "localhost")
    assert source == modern_program(["localhost"], AddrinfoHints(family="4", service="80"))
    modern = run_program(compile_c(source))
    assert modern.returncode == 0, modern.stderr
    assert b"127.0.0.1" in modern.stdout and b"80" in modern.stdout


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["connect", "tcp", "127.0.0.1", "1", "--tls"], "--tls"),
        (["connect", "tcp", "127.0.0.1", "1", "-z"], "-z"),
        (["connect", "tcp", "127.0.0.1", "1", "--sni", "x"], "--sni"),
        (["connect", "udp", "127.0.0.1", "1", "--json"], "--json"),
        (["connect", "unix", "/tmp/x", "-C"], "-C"),
        (["listen", "tcp", "--tls"], "--tls"),
        (["listen", "tcp", "--exec", "cat"], "--exec"),
        (["listen", "unix", "--print"], "--print"),
        (["listen", "udp", "--once"], "--once"),
        (["listen", "tcp", "--explain-limit", "2"], "--explain-limit"),
        (["resolve", "--modern", "-x", "127.0.0.1"], "-x"),
        (["resolve", "--legacy", "localhost", "--json"], "--json"),
    ],
)
def test_what_the_program_cannot_do_is_a_usage_error(args: list[str], flag: str) -> None:
    result = run_netkit(*args, "--show-c")
    assert (result.returncode, result.stdout) == (2, "")
    assert f"--show-c and {flag} exclude each other" in result.stderr
    if args[:2] == ["connect", "unix"]:
        assert "-4/-6" not in result.stderr  # a Unix client has no address family to pick


@pytest.mark.parametrize("mode", [["--dns"], ["@127.0.0.1"], ["-t", "MX"]])
def test_resolve_show_c_refuses_dns_queries(mode: list[str]) -> None:
    result = run_netkit("resolve", *mode, "example.test", "--show-c")
    assert (result.returncode, result.stdout) == (2, "")
    assert "--show-c shows the system resolver's calls" in result.stderr


def test_listen_show_c_refuses_thread_for_udp() -> None:
    result = run_netkit("listen", "udp", "--mux", "thread", "--show-c")
    assert result.returncode == 2 and "UDP has none" in result.stderr
