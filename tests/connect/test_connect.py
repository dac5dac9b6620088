"""`netkit connect` against real servers: Python ones written here, and socat, ncat, nc."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.connect.servers import (
    echo_all,
    ipv6_loopback_works,
    reply_after_eof,
    stream_server,
    udp_echo_server,
    unix_server,
)
from tests.support import free_port, netkit_executable, require_tool, run_netkit

ALL_BYTES = bytes(range(256)) * 4


def connect(
    *args: str, data: bytes = b"", timeout: float = 20
) -> subprocess.CompletedProcess[bytes]:
    """Run `netkit connect ARGS` with ``data`` on stdin; stdout and stderr as bytes."""
    return subprocess.run(
        [netkit_executable(), "connect", *args],
        input=data,
        capture_output=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def json_log(stderr: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.decode().splitlines()]


def _listening(port: int, table: str) -> bool:
    wanted = f":{port:04X} "
    for name in (f"/proc/net/{table}", f"/proc/net/{table}6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # TCP state 0A is LISTEN; a bound UDP socket shows 07 (CLOSE).
            if (fields[1] + " ").endswith(wanted) and fields[3] in ("0A", "07"):
                return True
    return False


@contextmanager
def tool_server(
    argv: list[str], port: int, table: str = "tcp"
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a third-party listener and wait (without touching it) until its port is bound."""
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 10
        while not _listening(port, table):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{argv[0]} did not start listening: {process.stderr!r}")
            time.sleep(0.02)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# --- our own servers -----------------------------------------------------------------------


def test_echo_is_binary_safe() -> None:
    payload = ALL_BYTES + os.urandom(1 << 20)
    with stream_server(echo_all) as (host, port):
        result = connect("tcp", host, str(port), data=payload)
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload


def test_late_reply_after_half_close_is_not_lost() -> None:
    # The server answers only after our FIN and a pause: nc without -N and socat lose this.
    with stream_server(reply_after_eof(1.0, b"late answer\n")) as (host, port):
        result = connect("tcp", host, str(port), data=b"question\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"late answer\n"


def test_verbose_reports_connection_half_close_and_summary() -> None:
    with stream_server(echo_all) as (host, port):
        result = connect("tcp", host, str(port), "-v", data=b"hello\n")
    lines = result.stderr.decode().splitlines()
    assert lines[0].startswith(f"netkit: connected to 127.0.0.1:{port} (tcp) from 127.0.0.1:")
    assert "shutdown SHUT_WR" in lines[1]
    assert lines[2].startswith("netkit: sent 6 bytes, received 6 bytes in ")
    assert lines[2].endswith("(peer closed)")


def test_json_log_goes_to_stderr_and_data_to_stdout() -> None:
    with stream_server(echo_all) as (host, port):
        result = connect("tcp", host, str(port), "--json", data=b"abc")
    assert result.stdout == b"abc"
    events = json_log(result.stderr)
    assert [e["event"] for e in events] == ["connected", "input-closed", "closed"]
    summary = events[-1]
    assert summary["bytes_sent"] == 3
    assert summary["bytes_received"] == 3
    assert summary["ended"] == "peer closed"
    assert summary["peer"] == f"127.0.0.1:{port}"
    for event in events:  # the core fields of every line
        assert isinstance(event["elapsed_s"], float), event
    assert summary["elapsed_s"] == summary["duration_s"]
    assert summary["elapsed_s"] >= events[-2]["elapsed_s"]  # type: ignore[operator]


def test_empty_stdin_still_reads_until_the_peer_closes() -> None:
    with stream_server(reply_after_eof(0.2, b"banner\n")) as (host, port):
        result = connect("tcp", host, str(port), data=b"")
    assert result.returncode == 0
    assert result.stdout == b"banner\n"


def test_idle_timeout_ends_a_silent_session() -> None:
    def silent(conn: socket.socket) -> None:
        time.sleep(10)

    with stream_server(silent) as (host, port):
        started = time.monotonic()
        result = connect("tcp", host, str(port), "--timeout", "0.5", "--json", data=b"x")
    assert time.monotonic() - started < 8
    assert result.returncode == 0
    events = json_log(result.stderr)
    assert events[-1]["ended"] == "idle timeout"


@pytest.mark.skipif(not ipv6_loopback_works(), reason="no IPv6 loopback")
def test_ipv6_literal_with_and_without_brackets() -> None:
    with stream_server(echo_all, family=socket.AF_INET6) as (_, port):
        plain = connect("tcp", "::1", str(port), data=b"six\n")
        bracketed = connect("tcp", "[::1]", str(port), "-6", "-v", data=b"six\n")
    assert plain.stdout == bracketed.stdout == b"six\n"
    assert f"connected to [::1]:{port} (tcp)" in bracketed.stderr.decode()


def test_family_flag_restricts_addresses() -> None:
    with stream_server(echo_all) as (_, port):
        result = connect("tcp", "127.0.0.1", str(port), "-6", data=b"x")
    assert result.returncode == 1
    assert result.stderr.decode().startswith("netkit: error: cannot resolve 127.0.0.1")


def test_zero_io_only_checks_the_port() -> None:
    with stream_server(echo_all) as (host, port):
        result = connect("tcp", host, str(port), "-z", "-v")
    assert result.returncode == 0
    assert f"connection to 127.0.0.1:{port} (tcp) succeeded" in result.stderr.decode()


def test_unix_socket_and_half_close() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "echo.sock")
        with unix_server(reply_after_eof(0.3), path):
            result = connect("unix", path, "-v", data=ALL_BYTES)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ALL_BYTES
    assert f"connected to {path} (unix)" in result.stderr.decode()


def test_udp_collects_every_reply_until_the_wait_ends() -> None:
    with udp_echo_server(replies_per_datagram=2, delay=0.3) as (host, port):
        result = connect("udp", host, str(port), "--timeout", "1", "--json", data=b"ping")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"pingping"
    summary = json_log(result.stderr)[-1]
    assert summary["datagrams_sent"] == 1
    assert summary["datagrams_received"] == 2
    assert summary["ended"] == "reply wait over"


def test_udp_port_unreachable_is_connection_refused() -> None:
    port = free_port(socket.SOCK_DGRAM)
    result = connect("udp", "127.0.0.1", str(port), "--timeout", "2", data=b"anyone?")
    assert result.returncode == 1
    assert result.stderr.decode() == f"netkit: error: 127.0.0.1:{port} (udp): connection refused\n"


# --- failures ------------------------------------------------------------------------------


def test_refused_is_one_line_and_exit_1() -> None:
    port = free_port()
    result = connect("tcp", "127.0.0.1", str(port))
    assert result.returncode == 1
    expected = f"netkit: error: connect to 127.0.0.1:{port} (tcp) failed: Connection refused\n"
    assert result.stderr.decode() == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="relies on Linux SYN drops")
def test_connect_timeout_is_one_line_and_exit_1() -> None:
    # A listener that never accepts, its queue full: Linux drops the next SYN, so our
    # connect can only time out (on loopback, without any unroutable address).
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            time.sleep(0.2)
            started = time.monotonic()
            result = connect("tcp", "127.0.0.1", str(port), "--timeout", "0.5", data=b"x")
            elapsed = time.monotonic() - started
        finally:
            for filler in fillers:
                filler.close()
    assert result.returncode == 1
    expected = f"netkit: error: connect to 127.0.0.1:{port} (tcp) failed: timed out after 0.5 s\n"
    assert result.stderr.decode() == expected
    assert elapsed < 8


def test_bad_host_is_one_line_and_exit_1() -> None:
    result = connect("tcp", "no-such-host.invalid", "80")
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert stderr.startswith("netkit: error: cannot resolve no-such-host.invalid")
    assert stderr.count("\n") == 1


def test_missing_unix_socket_is_one_line_and_exit_1() -> None:
    result = connect("unix", "/nonexistent/netkit.sock")
    assert result.returncode == 1
    assert result.stderr.decode().startswith("netkit: error: connect to /nonexistent/netkit.sock")


@pytest.mark.parametrize("port", ["0", "65536", "8o!"])
def test_bad_port_is_a_usage_error(port: str) -> None:
    result = connect("tcp", "127.0.0.1", port)
    assert result.returncode == 2
    assert b"PORT" in result.stderr


def test_reset_by_peer_is_reported_after_the_data() -> None:
    def reset_after_greeting(conn: socket.socket) -> None:
        conn.sendall(b"bye\n")
        time.sleep(0.2)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    with stream_server(reset_after_greeting) as (host, port):
        proc = subprocess.Popen(
            [netkit_executable(), "connect", "tcp", host, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        stdout, stderr = proc.communicate(timeout=20)  # stdin closes at once
    assert stdout == b"bye\n"
    assert proc.returncode in (0, 1)  # RST may land before or after our FIN is acknowledged
    if proc.returncode == 1:
        assert b"connection reset by peer" in stderr


# --- third-party servers -------------------------------------------------------------------


def test_against_socat_echo() -> None:
    socat = require_tool("socat")
    port = free_port()
    payload = os.urandom(300_000)
    argv = [socat, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr", "EXEC:cat"]
    with tool_server(argv, port):
        result = connect("tcp", "127.0.0.1", str(port), data=payload)
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload


def test_against_socat_udp_echo() -> None:
    socat = require_tool("socat")
    port = free_port(socket.SOCK_DGRAM)
    argv = [socat, f"UDP-LISTEN:{port},bind=127.0.0.1,reuseaddr", "EXEC:cat"]
    with tool_server(argv, port, table="udp"):
        result = connect("udp", "127.0.0.1", str(port), "--timeout", "1", data=b"datagram\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"datagram\n"


def test_against_socat_unix_echo(tmp_path: Path) -> None:
    socat = require_tool("socat")
    path = tmp_path / "socat.sock"
    payload = os.urandom(200_000)
    process = subprocess.Popen([socat, f"UNIX-LISTEN:{path}", "EXEC:cat"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not path.exists():
            assert process.poll() is None and time.monotonic() < deadline, "socat did not start"
            time.sleep(0.02)
        result = connect("unix", str(path), data=payload)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        assert process.stderr is not None
        process.stderr.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload


@pytest.mark.parametrize("tool", ["nc", "ncat"])
def test_against_nc_style_listener_both_directions(tool: str) -> None:
    # (ncat --exec cat would be the obvious echo server, but ncat closes the connection on
    # our FIN before cat has answered: it loses exactly the late reply netkit waits for.)
    nc = require_tool(tool)
    port = free_port()
    with tool_server([nc, "-l", "127.0.0.1", str(port)], port) as listener:
        assert listener.stdin is not None and listener.stdout is not None
        listener.stdin.write(b"greeting from nc\n")
        listener.stdin.flush()
        result = connect("tcp", "127.0.0.1", str(port), data=b"hello nc\n")
        # the listener exits when our half-close reaches it; what it printed is what we sent.
        heard = listener.stdout.read()
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"greeting from nc\n"
    assert heard == b"hello nc\n"


def test_no_half_close_keeps_the_write_side_open() -> None:
    # The server answers on its own and closes; it would never see EOF from us.
    def greet_and_close(conn: socket.socket) -> None:
        conn.sendall(b"hi\n")
        conn.settimeout(0.5)
        try:
            saw_eof = conn.recv(1) == b""
        except TimeoutError:
            saw_eof = False
        conn.sendall(b"eof seen\n" if saw_eof else b"no eof\n")

    with stream_server(greet_and_close) as (host, port):
        kept = connect("tcp", host, str(port), "--no-half-close", "--json", data=b"")
        closed = connect("tcp", host, str(port), data=b"")
    assert kept.stdout == b"hi\nno eof\n"
    assert closed.stdout == b"hi\neof seen\n"
    assert "no FIN sent" in str(json_log(kept.stderr)[1]["detail"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux only")
def test_unix_abstract_name() -> None:
    name = f"netkit-test-{os.getpid()}-{time.monotonic_ns()}"
    with unix_server(echo_all, "\0" + name):
        result = connect("unix", "@" + name, "-v", data=b"abstract\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"abstract\n"
    assert f"connected to @{name} (unix)" in result.stderr.decode()


def test_json_log_ends_with_the_error_as_json() -> None:
    done = run_netkit("connect", "tcp", "127.0.0.1", str(free_port()), "--json")
    assert done.returncode == 1
    events = [json.loads(line) for line in done.stderr.splitlines()]  # every line is JSON
    assert [e["event"] for e in events] == ["connect-failed", "error"]
    assert events[-1]["message"].startswith("connect to 127.0.0.1:")
