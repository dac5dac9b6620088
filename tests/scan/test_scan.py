"""`netkit scan` (and `connect -z HOST PORTS`) against listeners the tests open on loopback."""

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.connect.servers import stream_server
from tests.support import free_port, netkit_executable, run_netkit


@contextmanager
def listeners(count: int) -> Iterator[list[int]]:
    """``count`` TCP listeners on 127.0.0.1 that accept and never send; yields their ports."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
            ports.append(sock.getsockname()[1])
        yield ports


@contextmanager
def backlog_full() -> Iterator[int]:
    """A listener whose accept queue is full: Linux drops further SYNs, so the port looks
    filtered (no answer) without any firewall."""
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # a queue of one connection
        port = listener.getsockname()[1]
        filler.connect(("127.0.0.1", port))  # accepted by the kernel, never by us
        yield port


def scan_json(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = run_netkit("scan", *args, "--json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_open_and_closed_ports_sorted_by_port() -> None:
    closed = sorted({free_port() for _ in range(5)})
    with listeners(3) as opened:
        spec = ",".join(str(port) for port in [*reversed(opened), *closed])
        status, results = scan_json("127.0.0.1", spec)
    assert status == 0
    assert [r["port"] for r in results] == sorted([*opened, *closed])
    states = {r["port"]: r["state"] for r in results}
    assert {port for port, state in states.items() if state == "open"} == set(opened)
    assert all(states[port] == "closed" for port in closed)


def test_a_full_backlog_is_filtered_within_the_timeout() -> None:
    with backlog_full() as port:
        started = time.monotonic()
        status, results = scan_json("127.0.0.1", str(port), "-w", "0.5")
        elapsed = time.monotonic() - started
    assert status == 1  # nothing open
    assert results[0]["state"] == "filtered"
    assert results[0]["time_ms"] == 500
    assert elapsed < 5


def test_open_only_and_exit_status() -> None:
    with listeners(1) as (opened,):
        status, results = scan_json("127.0.0.1", f"{opened},{free_port()}", "--open")
    assert status == 0
    assert [r["port"] for r in results] == [opened]
    status, results = scan_json("127.0.0.1", str(free_port()), "--open")
    assert (status, results) == (1, [])


def test_several_hosts_and_a_cidr_block() -> None:
    with listeners(1) as (port,):
        status, results = scan_json("127.0.0.0/30", "localhost", str(port), "-4")
    assert status == 0
    assert [(r["host"], r["address"]) for r in results] == [
        ("127.0.0.0/30", "127.0.0.1"),
        ("127.0.0.0/30", "127.0.0.2"),
        ("localhost", "127.0.0.1"),
    ]
    assert [r["state"] for r in results] == ["open", "closed", "open"]


def test_more_than_65536_targets_needs_force() -> None:
    result = run_netkit("scan", "10.0.0.0/16", "1-2")
    assert result.returncode == 2
    assert "more than 65536" in result.stderr and "--force" in result.stderr


@pytest.mark.parametrize("ports", ["0", "80-70", "no-such-service", "1,,2", "65536"])
def test_bad_port_lists_are_usage_errors(ports: str) -> None:
    assert run_netkit("scan", "127.0.0.1", ports).returncode == 2


def test_ports_given_as_separate_arguments_are_not_scanned_as_hosts() -> None:
    # nmap's habit `HOST 22 80`: getaddrinfo("22") is 0.0.0.22, which is not what was meant.
    result = run_netkit("scan", "127.0.0.1", "22", "80", "--json")
    assert (result.returncode, result.stdout) == (2, "")
    assert "'22' is a number, not a host" in result.stderr and "22,80" in result.stderr


def test_service_names_are_ports() -> None:
    result = run_netkit("scan", "127.0.0.1", "http,ssh,1-2", "--json")
    assert sorted(row["port"] for row in json.loads(result.stdout)) == [1, 2, 22, 80]


def test_banner_is_data_escaped_in_the_table_and_exact_in_json() -> None:
    hostile = "SSH-2.0-test \x1b]0;owned\x07\r\n"

    def greet(conn: socket.socket) -> None:
        conn.sendall(hostile.encode())
        conn.recv(1)

    with stream_server(greet) as (_, port):
        status, results = scan_json("127.0.0.1", str(port), "--banner", "1")
        table = run_netkit("scan", "127.0.0.1", str(port), "--banner", "1")
    assert status == 0
    assert results[0]["banner"] == hostile
    assert "\x1b" not in table.stdout
    assert "SSH-2.0-test \\x1b]0;owned\\x07" in table.stdout


def test_tls_probe_shows_the_certificate(tmp_path: Path) -> None:
    from tests.tls.certs import issue, make_pki
    from tests.tls.conftest import tls_echo_server

    pki = make_pki(tmp_path)
    files = pki.server("scan", issue("localhost", issuer=pki.intermediate, names=("localhost",)))
    with tls_echo_server(files) as port:
        status, results = scan_json("127.0.0.1", str(port), "--tls")
    assert status == 0
    assert results[0]["tls_subject"] == "CN=localhost,O=netkit tests"
    assert 88 <= results[0]["tls_days_left"] <= 90  # type: ignore[operator]


def test_never_more_sockets_than_the_bound() -> None:
    """Sample netkit's open descriptors while it scans 3,000 closed ports with -c 16."""
    process = subprocess.Popen(
        [netkit_executable(), "scan", "127.0.0.1", "20001-23000", "-c", "16"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    folder = Path(f"/proc/{process.pid}/fd")
    peak = 0
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        try:
            names = os.listdir(folder)
        except OSError:  # the scan has ended
            break
        sockets = 0
        for name in names:
            try:
                sockets += os.readlink(folder / name).startswith("socket:")
            except OSError:  # closed since the listing
                continue
        peak = max(peak, sockets)
    assert process.wait(30) == 1
    assert 1 <= peak <= 16


def test_connect_z_with_a_port_list_scans() -> None:
    with listeners(1) as (port,):
        result = run_netkit("connect", "-z", "127.0.0.1", f"{port},{free_port()}")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PORT", "STATE", "SERVICE", "TIME", "MS", "ERROR"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert len(rows) == 2
    assert rows[str(port)] == "open"  # the table is sorted by port: the free one may come first
