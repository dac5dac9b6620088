"""`netkit bench tcp|udp|unix` against small echo servers written here, and socat."""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any

import pytest

from tests.connect.servers import echo_all, stream_server, udp_echo_server, unix_server
from tests.connect.test_connect import tool_server
from tests.support import free_port, netkit_executable, require_tool, run_netkit

SHORT = ("-d", "0.5", "--json")


def bench(*args: str) -> tuple[int, dict[str, Any]]:
    result = run_netkit("bench", *args, *SHORT, timeout=60)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def assert_clean(figures: dict[str, Any], connections: int) -> None:
    assert figures["requests"] > 0
    assert figures["errors"] == 0
    assert figures["mismatches"] == 0
    assert figures["alive"] == connections
    assert figures["rps"] > 0 and figures["mibps"] > 0
    assert 0 < figures["p50_us"] <= figures["p90_us"] <= figures["p99_us"] <= figures["max_us"]


def test_tcp_echo_round_trips_are_verified() -> None:
    with stream_server(echo_all) as (host, port):
        status, figures = bench("tcp", host, str(port), "-c", "4", "-s", "100")
    assert status == 0
    assert_clean(figures, 4)
    assert figures["transport"] == "tcp"
    assert figures["target"] == f"127.0.0.1:{port}"
    assert figures["size"] == 100


def test_messages_larger_than_the_receive_buffer() -> None:
    # 1 MiB + 1 byte: sent in pieces while the echo is read in pieces, checked piece by piece.
    with stream_server(echo_all) as (host, port):
        status, figures = bench("tcp", host, str(port), "-c", "2", "-s", str((1 << 20) + 1))
    assert status == 0
    assert_clean(figures, 2)


def test_a_server_that_corrupts_data_is_caught() -> None:
    def flip_bytes(conn: socket.socket) -> None:
        while data := conn.recv(65536):
            conn.sendall(data[::-1])

    with stream_server(flip_bytes) as (host, port):
        status, figures = bench("tcp", host, str(port), "-c", "2", "-s", "64")
    assert status == 1
    assert figures["mismatches"] > 0


def test_a_server_that_hangs_up_counts_errors() -> None:
    def answer_three_times(conn: socket.socket) -> None:
        for _ in range(3):
            conn.sendall(conn.recv(65536))

    with stream_server(answer_three_times) as (host, port):
        status, figures = bench("tcp", host, str(port), "-c", "3", "-s", "8")
    assert status == 1
    assert figures["errors"] == 3
    assert figures["alive"] == 0
    # Three connections failed the same way: the reason is listed once, the count is in errors.
    assert len(figures["error_samples"]) == len(set(figures["error_samples"])) >= 1


def test_workers_share_the_connections() -> None:
    with stream_server(echo_all) as (host, port):
        status, figures = bench("tcp", host, str(port), "-c", "5", "--workers", "2")
    assert status == 0
    assert_clean(figures, 5)
    assert figures["workers"] == 2


def test_rate_cap_is_respected() -> None:
    with stream_server(echo_all) as (host, port):
        status, figures = bench("tcp", host, str(port), "-c", "4", "--rate", "200")
    assert status == 0
    # 200/s for the time it ran, plus the first request of each connection at the start.
    assert 0 < figures["requests"] <= 200 * figures["duration_s"] + 4 + 1


def test_udp_datagrams_are_verified() -> None:
    with udp_echo_server() as (host, port):
        status, figures = bench("udp", host, str(port), "-c", "3", "-s", "1200")
    assert status == 0
    assert_clean(figures, 3)


def test_udp_without_a_server_is_refused() -> None:
    port = free_port(socket.SOCK_DGRAM)
    status, figures = bench("udp", "127.0.0.1", str(port), "-c", "2")
    assert status == 1
    assert figures["errors"] == 2
    assert figures["requests"] == 0


def test_unix_socket() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "echo.sock")
        with unix_server(echo_all, path):
            status, figures = bench("unix", path, "-c", "3", "-s", "4K")
    assert status == 0
    assert_clean(figures, 3)
    assert figures["size"] == 4096


def test_against_socat_echo() -> None:
    socat = require_tool("socat")
    port = free_port()
    argv = [socat, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", "EXEC:cat"]
    with tool_server(argv, port):
        status, figures = bench("tcp", "127.0.0.1", str(port), "-c", "2", "-s", "1000")
    assert status == 0
    assert_clean(figures, 2)


def test_table_output() -> None:
    with stream_server(echo_all) as (host, port):
        result = run_netkit("bench", "tcp", host, str(port), "-c", "2", "-d", "0.3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"tcp 127.0.0.1:{port}: 2 connections x 512 B for 0.")
    assert "req/s" in result.stdout and "p99" in result.stdout


def test_refused_is_one_line() -> None:
    port = free_port()
    result = run_netkit("bench", "tcp", "127.0.0.1", str(port), "-d", "0.2")
    assert result.returncode == 1
    expected = f"netkit: error: connect to 127.0.0.1 port {port} (tcp) failed: Connection refused\n"
    assert result.stderr == expected


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("tcp", "127.0.0.1", "5566", "-s", "0"), "at least 1 byte"),
        (("tcp", "127.0.0.1", "5566", "-s", "12Q"), "not a size"),
        (("udp", "127.0.0.1", "5566", "-s", "64K"), "65507"),
        (("tcp", "127.0.0.1", "5566", "-c", "0"), "--connections"),
    ],
)
def test_usage_errors(args: tuple[str, ...], complaint: str) -> None:
    result = run_netkit("bench", *args)
    assert result.returncode == 2
    assert complaint in result.stderr


def test_more_connections_than_descriptors_is_one_line() -> None:
    with stream_server(echo_all) as (host, port):
        # `ulimit -n` lowers the hard limit too, so netkit cannot raise it back.
        command = f"ulimit -n 64 && exec {netkit_executable()} bench tcp {host} {port} -c 300"
        result = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"netkit: error: connect to {host} port {port} (tcp) failed")
    assert "connections: Too many open files" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_server_that_goes_silent_times_out() -> None:
    def answer_once_then_sleep(conn: socket.socket) -> None:
        conn.sendall(conn.recv(65536))
        conn.recv(65536)
        time.sleep(5)

    with stream_server(answer_once_then_sleep) as (host, port):
        status, figures = bench("tcp", host, str(port), "-c", "2", "-s", "16", "--timeout", "0.2")
    assert status == 1
    assert figures["requests"] == 2
    assert figures["errors"] == 2
    assert figures["error_samples"][0] == "no echo within 0.2 s"


def test_lost_udp_datagrams_are_sent_again() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stopping = threading.Event()

    def answer_every_other() -> None:
        count = 0
        while not stopping.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            count += 1
            if count % 2:
                sock.sendto(data, peer)

    thread = threading.Thread(target=answer_every_other, daemon=True)
    thread.start()
    try:
        port = sock.getsockname()[1]
        status, figures = bench("udp", "127.0.0.1", str(port), "-c", "2", "--timeout", "0.1")
    finally:
        stopping.set()
        thread.join(5)
        sock.close()
    assert status == 0  # a lost datagram is a figure, not a failure
    assert figures["lost"] > 0
    assert figures["requests"] > 0
    assert figures["errors"] == figures["mismatches"] == 0


def test_udp_duplicates_late_replies_and_jitter_are_counted() -> None:
    # Per peer: the 3rd datagram is held back until the 4th (sent after the timeout) has been
    # answered, then answered late: reordered, and no longer lost. Every 5th is answered twice.
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stopping = threading.Event()

    def misbehave() -> None:
        counts: dict[object, int] = {}
        held: dict[object, bytes] = {}
        while not stopping.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            count = counts[peer] = counts.get(peer, 0) + 1
            if count == 3:
                held[peer] = data
                continue
            sock.sendto(data, peer)
            if count % 5 == 0:
                sock.sendto(data, peer)
            if peer in held:
                sock.sendto(held.pop(peer), peer)

    thread = threading.Thread(target=misbehave, daemon=True)
    thread.start()
    try:
        port = sock.getsockname()[1]
        status, figures = bench("udp", "127.0.0.1", str(port), "-c", "2", "--timeout", "0.05")
    finally:
        stopping.set()
        thread.join(5)
        sock.close()
    assert status == 0, figures
    assert figures["reordered"] == 2  # one per socket
    assert figures["lost"] == 0  # the held datagrams did come back
    assert figures["duplicates"] >= 2
    assert figures["errors"] == figures["mismatches"] == 0
    assert figures["jitter_us"] > 0


def test_tcp_has_no_datagram_figures() -> None:
    with stream_server(echo_all) as (host, port):
        _, figures = bench("tcp", host, str(port), "-c", "1")
    assert figures["jitter_us"] is None
    assert figures["lost"] == figures["reordered"] == figures["duplicates"] == 0
