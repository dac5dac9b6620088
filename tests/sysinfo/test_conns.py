"""`netkit conns`: sockets this test opens show up with this test's pid, filters narrow them."""

import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from netkit.cli import COMMANDS
from netkit.sysinfo import conns as core
from netkit.sysinfo.conns import Connection, ConnectionFilter, RawSocket, list_connections
from tests.support import netkit_process, run_netkit

MY_PID = os.getpid()
MY_NAME = psutil.Process().name()


def conns_json(*args: str) -> list[dict[str, object]]:
    result = run_netkit("conns", "--json", *args)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


@pytest.fixture
def tcp_listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def test_a_listening_socket_shows_with_this_pid(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    rows = conns_json("--listening", "--tcp", "--port", str(port))
    assert len(rows) == 1
    row = rows[0]
    assert row["proto"] == "tcp"
    assert row["family"] == "IPv4"
    assert row["local"] == f"127.0.0.1:{port}"
    assert row["local_port"] == port
    assert row["remote"] is None
    assert row["state"] == "LISTEN"
    assert row["pid"] == MY_PID
    assert row["process"] == MY_NAME
    assert row["fd"] == tcp_listener.fileno()


@pytest.mark.skipif("listen" not in COMMANDS, reason="netkit listen is not merged yet")
def test_a_running_netkit_listen_shows_with_its_pid() -> None:
    with netkit_process("listen", "tcp", "--port", "0", ready=r"listening on tcp") as server:
        match = server.wait_for_stderr(r"listening on tcp 127\.0\.0\.1:(\d+)")
        port = int(match.group(1))
        rows = conns_json("--listening", "--port", str(port))
        assert [(r["pid"], r["state"]) for r in rows] == [(server.proc.pid, "LISTEN")]


def test_the_table_names_the_listener_like_netstat(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    result = run_netkit("conns", "-lt", "--port", str(port))
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if f":{port}" in line)
    assert "LISTEN" in line
    assert f"{MY_PID}/" in line


def test_an_established_pair_shows_both_ends(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        accepted, _ = tcp_listener.accept()
        with accepted:
            rows = conns_json("--state", "established", "--port", str(port))
            client_port = client.getsockname()[1]
    by_local = {row["local"]: row for row in rows if row["pid"] == MY_PID}
    client_row = by_local[f"127.0.0.1:{client_port}"]
    server_row = by_local[f"127.0.0.1:{port}"]
    assert client_row["remote"] == f"127.0.0.1:{port}"
    assert client_row["remote_port"] == port
    assert server_row["remote"] == f"127.0.0.1:{client_port}"
    assert {row["state"] for row in rows} == {"ESTABLISHED"}


def test_ipv6_udp_and_family_filters() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp:
        try:
            udp.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
        port = udp.getsockname()[1]
        rows = conns_json("-u", "-l", "--port", str(port))
        assert [(r["proto"], r["family"], r["local"], r["state"]) for r in rows] == [
            ("udp", "IPv6", f"[::1]:{port}", None)
        ]
        assert conns_json("-u", "-4", "--port", str(port)) == []


def test_unix_sockets_only_with_x(tmp_path: Path) -> None:
    path = str(tmp_path / "conns.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()
        rows = [r for r in conns_json("--unix", "--listening") if r["local"] == path]
        assert len(rows) == 1
        assert rows[0]["proto"] == "unix"
        assert rows[0]["socktype"] == "stream"
        assert rows[0]["pid"] == MY_PID
        assert not any(r["proto"] == "unix" for r in conns_json("--pid", str(MY_PID)))
        assert all(r["local"] is not None for r in conns_json("-lx"))  # named ones only
        assert not any(r["proto"] == "unix" for r in conns_json("-x", "--state", "listen"))
        with_v4 = conns_json("-x", "-4", "--pid", str(MY_PID))
        assert path in {r["local"] for r in with_v4}
        assert all(r["family"] in ("unix", "IPv4") for r in with_v4)


def test_pid_and_process_filters(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    mine = conns_json("--pid", str(MY_PID))
    assert mine
    assert {row["pid"] for row in mine} == {MY_PID}
    assert any(row["local_port"] == port for row in mine)
    by_name = conns_json("--process", MY_NAME[:4], "--port", str(port))
    assert [row["pid"] for row in by_name] == [MY_PID]
    assert conns_json("--process", "no-such-process-name", "--port", str(port)) == []


def test_bad_state_is_a_usage_error() -> None:
    result = run_netkit("conns", "--state", "SLEEPING")
    assert result.returncode == 2
    assert "SLEEPING" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------
# The core, without a subprocess


def _raw(family: int, kind: int, laddr: object, raddr: object, status: str) -> RawSocket:
    return RawSocket(-1, family, kind, laddr, raddr, status, None)


def test_raw_sockets_become_rows() -> None:
    tcp6 = core.to_connection(
        _raw(socket.AF_INET6, socket.SOCK_STREAM, ("::1", 80), ("::1", 5000), "ESTABLISHED"), {}
    )
    assert (tcp6.proto, tcp6.family, tcp6.local, tcp6.remote) == ("tcp", "IPv6", "[::1]:80",
                                                                   "[::1]:5000")  # fmt: skip
    assert (tcp6.pid, tcp6.process, tcp6.fd) == (None, None, None)
    udp = core.to_connection(
        _raw(socket.AF_INET, socket.SOCK_DGRAM, ("0.0.0.0", 53), (), "NONE"), {}
    )
    assert (udp.proto, udp.state, udp.remote, udp.listening) == ("udp", None, None, True)
    unix = core.to_connection(_raw(socket.AF_UNIX, socket.SOCK_DGRAM, "", "", "NONE"), {})
    assert (unix.proto, unix.local, unix.listening) == ("unix", None, False)


def _conn(**fields: object) -> Connection:
    base: dict[str, object] = {
        "proto": "tcp", "family": "IPv4", "socktype": "stream", "local": "127.0.0.1:80",
        "local_address": "127.0.0.1", "local_port": 80, "remote": None, "remote_address": None,
        "remote_port": None, "state": "LISTEN", "pid": 1, "process": "httpd", "user": "root",
        "fd": 3,
    }  # fmt: skip
    return Connection(**{**base, **fields})  # type: ignore[arg-type]  # test data


def test_filters_combine() -> None:
    listener = _conn()
    client = _conn(local_port=40000, remote_port=80, state="ESTABLISHED", pid=2, process="curl")
    assert ConnectionFilter(listening=True).matches(listener)
    assert not ConnectionFilter(listening=True).matches(client)
    assert ConnectionFilter(ports=frozenset({80})).matches(client)  # the remote port counts
    assert not ConnectionFilter(pids=frozenset({1})).matches(client)
    assert ConnectionFilter(process="cur").matches(client)
    assert not ConnectionFilter(protos=frozenset({"udp"})).matches(listener)
    assert not ConnectionFilter(states=frozenset({"TIME_WAIT"})).matches(listener)


def test_without_root_a_note_says_why_processes_are_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hidden = _raw(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 1), (), "LISTEN")
    monkeypatch.setattr(core, "_kernel_rows", lambda wanted, **details: None)  # psutil's view
    monkeypatch.setattr(core, "_raw_connections", lambda kind: ([hidden], False))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    listing = list_connections(ConnectionFilter())
    assert listing.hidden_owners == 1
    assert listing.note == "1 socket shows no process: run as root to see other users' processes"
    monkeypatch.setattr(core, "_raw_connections", lambda kind: ([hidden, hidden], False))
    assert str(list_connections(ConnectionFilter()).note).startswith("2 sockets show no process")
    monkeypatch.setattr(core, "_raw_connections", lambda kind: ([hidden], False))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert list_connections(ConnectionFilter()).note is None
    closing = _raw(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 2), ("127.0.0.1", 3),
                   "TIME_WAIT")  # fmt: skip
    monkeypatch.setattr(core, "_raw_connections", lambda kind: ([closing], False))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert list_connections(ConnectionFilter()).note is None  # nobody owns it: nothing hidden


def test_a_refused_system_table_falls_back_to_own_processes(
    monkeypatch: pytest.MonkeyPatch, tcp_listener: socket.socket
) -> None:
    def refuse(kind: str = "inet") -> None:
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "net_connections", refuse)
    monkeypatch.setattr(core, "_kernel_rows", lambda wanted, **details: None)  # psutil's view
    port = tcp_listener.getsockname()[1]
    listing = list_connections(ConnectionFilter(ports=frozenset({port})))
    assert [(c.pid, c.state) for c in listing.connections] == [(MY_PID, "LISTEN")]
    assert listing.note is not None
    assert "own processes" in listing.note


def test_sock_diag_rows_without_an_owner_are_noted_unless_the_kernel_owns_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unowned = _conn(pid=None, process=None, inode=1234)
    time_wait = _conn(pid=None, process=None, state="TIME_WAIT", inode=0)
    monkeypatch.setattr(core, "_kernel_rows", lambda wanted, **details: [unowned, time_wait])
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    listing = list_connections(ConnectionFilter())
    assert listing.hidden_owners == 1
    assert str(listing.note).startswith("1 socket shows no process")


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="needs root to drop it")
def test_as_an_ordinary_user_it_still_lists_and_notes(tcp_listener: socket.socket) -> None:
    """Really without privileges: a forked child drops to nobody and runs the command."""
    import netkit.cli.conns
    import netkit.render.conns  # the child cannot read root's Python after dropping root

    assert netkit.cli.conns and netkit.render.conns
    from netkit.cli import run
    from netkit.render.tables import stderr_console, stdout_console

    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no pytest machinery from here on, only os._exit
        try:
            sys.stdout = os.fdopen(out_write, "w")  # pytest has swapped the real streams out
            sys.stderr = os.fdopen(err_write, "w")
            stdout_console.cache_clear()
            stderr_console.cache_clear()
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            status = run(["conns", "--tcp"])
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        finally:
            os._exit(99)
    os.close(out_write)
    os.close(err_write)
    with os.fdopen(out_read) as out, os.fdopen(err_read) as err:
        stdout, stderr = out.read(), err.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, stderr
    assert f":{tcp_listener.getsockname()[1]}" in stdout  # root's socket, without its process
    assert stderr.startswith("netkit: note: ")
    assert "run as root" in stderr
    assert "Traceback" not in stderr


def test_address_and_user_filters(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        accepted, _ = tcp_listener.accept()
        with accepted:
            client_port = client.getsockname()[1]
            near = conns_json("-t", "--src", "127.0.0.0/8", "--sport", str(port))
            assert {r["remote"] for r in near} == {None, f"127.0.0.1:{client_port}"}
            assert conns_json("-t", "--src", "10.0.0.0/8", "--sport", str(port)) == []
            to_server = conns_json("-t", "--dst", "127.0.0.1", "--dport", str(port))
            assert [r["local_port"] for r in to_server] == [client_port]
            me = str(os.geteuid())
            assert len(conns_json("-t", "--user", me, "--port", str(port))) == 3
            assert conns_json("-t", "--user", "no-such-user", "--port", str(port)) == []


def test_bad_ranges_and_networks_are_usage_errors() -> None:
    for args in (("--sport", "9-8"), ("--dport", "70000"), ("--src", "10.0.0.300/8")):
        result = run_netkit("conns", *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
