"""Opening the socket (netkit/listen/transport.py): Unix socket files handled safely, and every
way binding fails is one line and exit 1."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.listen import checks
from tests.listen.checks import Start
from tests.listen.clients import echo_many
from tests.support import free_port, netkit_executable, require_tool, run_netkit


def _one_line_error(result: object, fragment: str) -> None:
    assert isinstance(result, subprocess.CompletedProcess)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netkit: error: "), lines
    assert fragment in lines[0]


def test_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_netkit("listen", "tcp", "--port", str(port))
    _one_line_error(result, f"tcp port {port} is already in use on 127.0.0.1")


def test_udp_port_in_use_is_one_line() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = run_netkit("listen", "udp", "--port", str(port))
    _one_line_error(result, f"udp port {port} is already in use")


def test_bad_host_is_one_line() -> None:
    _one_line_error(
        run_netkit("listen", "tcp", "--host", "no-such-host.invalid", "--port", "0"),
        "cannot listen on host 'no-such-host.invalid'",
    )


def test_address_not_on_this_host_is_one_line() -> None:
    _one_line_error(
        run_netkit("listen", "tcp", "--host", "192.0.2.1", "--port", "0"),
        "no interface on this host has that address",
    )


def _without_privilege(capabilities: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`netkit ARGS` without the capabilities that let root past the check (as root, through
    setpriv: a root process keeps nothing its bounding set drops across execve)."""
    prefix = []
    if os.geteuid() == 0:
        prefix = [require_tool("setpriv"), "--bounding-set", capabilities]
    return subprocess.run(
        [*prefix, netkit_executable(), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_permission_denied_is_one_line() -> None:
    result = _without_privilege("-net_bind_service", "listen", "tcp", "--port", "1")
    _one_line_error(result, "permission denied binding tcp 127.0.0.1:1")


def test_unix_permission_denied_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    path = folder / "echo.sock"
    result = _without_privilege(
        "-dac_override,-dac_read_search", "listen", "unix", "--path", str(path)
    )
    _one_line_error(result, f"permission denied creating socket {path}")


def test_ipv6_readiness_line_uses_brackets(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--host", "::1", "--port", "0")
    assert listener.address.startswith("[::1]:")
    assert echo_many(listener, [b"v6"]) == [b"v6"]


def test_default_port_is_the_references(listener_factory: Start) -> None:
    try:
        listener = listener_factory("tcp")
    except AssertionError:
        pytest.skip("port 5566 is busy on this machine")
    assert listener.address == "127.0.0.1:5566"


def test_unix_socket_file_is_removed_at_exit(listener_factory: Start, tmp_path: Path) -> None:
    path = tmp_path / "echo.sock"
    listener = listener_factory("unix", "--path", str(path), "--mode", "600")
    assert listener.address == str(path)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert echo_many(listener, [b"over unix"]) == [b"over unix"]
    assert listener.process.stop() == 0
    assert not path.exists()


def test_unix_stale_socket_is_replaced(listener_factory: Start, tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))  # bound, never listening, then gone: a stale file
    assert path.exists()
    listener = listener_factory("unix", "--path", str(path))
    assert echo_many(listener, [b"fresh"]) == [b"fresh"]


def test_unix_live_socket_is_refused(listener_factory: Start, tmp_path: Path) -> None:
    path = tmp_path / "live.sock"
    listener_factory("unix", "--path", str(path))
    _one_line_error(run_netkit("listen", "unix", "--path", str(path)), "in use by a running server")
    assert path.exists()


@pytest.mark.parametrize("kind", [socket.SOCK_DGRAM, socket.SOCK_SEQPACKET])
def test_unix_live_socket_of_another_type_is_refused(tmp_path: Path, kind: int) -> None:
    path = tmp_path / "other.sock"
    with socket.socket(socket.AF_UNIX, kind) as other:  # e.g. a syslog-style datagram socket
        other.bind(str(path))
        if kind == socket.SOCK_SEQPACKET:
            other.listen()
        result = run_netkit("listen", "unix", "--path", str(path))
        _one_line_error(result, "in use by a server of another socket type")
        assert path.exists()


@pytest.mark.parametrize("kind", ["file", "directory", "symlink"])
def test_unix_never_removes_what_is_not_a_socket(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "precious"
    if kind == "file":
        path.write_text("keep me")
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "elsewhere")
    _one_line_error(run_netkit("listen", "unix", "--path", str(path)), "refusing to replace it")
    assert path.exists() or path.is_symlink()
    if kind == "file":
        assert path.read_text() == "keep me"


def test_unix_path_too_long_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 120)
    _one_line_error(
        run_netkit("listen", "unix", "--path", str(path)), "sun_path allows at most 107"
    )


def test_unix_abstract_name(listener_factory: Start) -> None:
    name = f"@netkit-test-{os.getpid()}-{free_port()}"
    listener = listener_factory("unix", "--path", name)
    assert listener.address == name
    assert echo_many(listener, [b"abstract"]) == [b"abstract"]


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_backlog_reaches_listen(listener_factory: Start, tmp_path: Path, transport: str) -> None:
    ss = require_tool("ss")
    if transport == "tcp":
        listener = listener_factory("tcp", "--port", "0", "--backlog", "7")
        query = ["-Hltn", f"sport = :{listener.port}"]
    else:
        listener = listener_factory("unix", "--path", str(tmp_path / "b.sock"), "--backlog", "7")
        query = ["-Hlx", f"src {listener.address}"]
    shown = subprocess.run([ss, *query], capture_output=True, text=True, timeout=10, check=True)
    lines = shown.stdout.splitlines()
    assert len(lines) == 1, shown.stdout
    fields = lines[0].split()  # [Netid] State Recv-Q Send-Q ...: Send-Q is a listener's backlog
    assert fields[fields.index("LISTEN") + 2] == "7", lines[0]


@pytest.mark.parametrize("mux", ["blocking", "thread", "select", "poll", "epoll"])
def test_unix_every_byte_and_half_close_in_every_design(listener_factory: Start, mux: str) -> None:
    checks.every_size_in_order(listener_factory, mux, transport="unix")
    checks.half_close_gets_everything(listener_factory, mux, transport="unix")
