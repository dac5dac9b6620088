"""The behaviour every design shares (netkit/listen/engine.py): signals, summary, logs, limits,
access control, --once, --print."""

import json
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.listen.checks import Start
from tests.listen.clients import Listener, echo_many, wait_until
from tests.support import signals_blocked_by_other_threads

STREAM_MUXES = ("blocking", "thread", "select", "poll", "epoll")
CONCURRENT_MUXES = ("thread", "select", "poll", "epoll")  # blocking never holds two clients


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_with_a_summary(listener_factory: Start, sig: int) -> None:
    listener = listener_factory("tcp", "--port", "0")
    held = listener.connect()  # an open connection must not keep it from stopping
    assert echo_many(listener, [b"abc"]) == [b"abc"]
    assert listener.process.stop(sig) == 0
    held.close()
    text = "\n".join(listener.process.stderr_lines)
    assert "listener summary" in text
    assert "connections total │ 2" in text or "connections total  2" in text.replace("│", " ")


def test_connection_threads_leave_the_stop_signals_to_the_accepting_thread(
    listener_factory: Start,
) -> None:
    # With a connection thread open, SIGINT can still only reach the main thread, whose
    # accept() it interrupts at once.
    listener = listener_factory("tcp", "--port", "0", "--mux", "thread", "--stats")
    held = listener.connect()
    assert echo_many(listener, [b"abc"]) == [b"abc"]
    masks = signals_blocked_by_other_threads(listener.process.proc.pid)
    assert len(masks) >= 2  # the held connection's thread and the --stats reporter at least
    assert all({signal.SIGINT, signal.SIGTERM} <= mask for mask in masks)
    assert listener.process.stop(signal.SIGINT) == 0
    held.close()


@pytest.mark.parametrize("stats", [False, True])
def test_a_second_signal_does_not_cut_the_clean_up_short(
    listener_factory: Start, tmp_path: Path, stats: bool
) -> None:
    # An impatient double Ctrl-C: the summary is still printed, the socket file still
    # removed, and the exit status is still 0 (not 130, not a traceback).
    path = tmp_path / "echo.sock"
    listener = listener_factory("unix", "--path", str(path), "-v", *(["--stats"] if stats else []))
    held = [listener.connect() for _ in range(300)]  # closing and logging these takes a while
    lines = listener.process.stderr_lines
    assert wait_until(lambda: sum("connection from" in line for line in lines) == 300)
    for delay in (0.0, 0.001, 0.002, 0.005, 0.01):  # within the clean-up, before the exit
        listener.process.proc.send_signal(signal.SIGINT)
        time.sleep(delay)
    try:
        assert listener.process.proc.wait(10) == 0, listener.process.stderr_lines
    finally:
        for sock in held:
            sock.close()
    listener.process.stop()
    text = "\n".join(listener.process.stderr_lines)
    assert "listener summary" in text and "Traceback" not in text
    assert not path.exists()


def test_quiet_prints_only_the_readiness_line(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--port", "0", "--quiet")
    assert echo_many(listener, [b"x"]) == [b"x"]
    assert listener.process.stop() == 0
    assert listener.process.stderr_lines == [f"listening on tcp {listener.address} (epoll)"]


@pytest.mark.parametrize("mux", ["epoll", "thread", "blocking"])
def test_verbose_json_log(listener_factory: Start, mux: str) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", mux, "-v", "--json")
    assert echo_many(listener, [b"hello"]) == [b"hello"]
    listener.process.wait_for_stderr('"event": "close"')
    assert listener.process.stop() == 0
    events = [json.loads(line) for line in listener.process.stderr_lines[1:]]
    kinds = [event["event"] for event in events]
    assert kinds == ["open", "close", "summary"]
    closed = events[1]
    assert closed["bytes_in"] == closed["bytes_out"] == 5
    assert closed["reason"] == "eof"
    assert closed["peer"].startswith("127.0.0.1:")
    assert events[2]["connections_total"] == 1 and events[2]["mux"] == mux


def test_verbose_text_log(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", "poll", "-v")
    assert echo_many(listener, [b"12345"]) == [b"12345"]
    listener.process.wait_for_stderr(r"closed 127\.0\.0\.1:\d+ \(eof\): 5 B in, 5 B out")


@pytest.mark.parametrize("mux", CONCURRENT_MUXES)
def test_max_conns_refuses_the_excess_and_reuses_slots(listener_factory: Start, mux: str) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", mux, "--max-conns", "2")
    first, second = listener.connect(), listener.connect()
    for sock in (first, second):
        sock.sendall(b"in")
        assert sock.recv(10) == b"in"
    third = listener.connect()
    assert third.recv(10) == b""  # closed at once
    listener.process.wait_for_stderr(r"refused 127\.0\.0\.1:\d+: --max-conns 2 reached")
    first.close()
    third.close()
    assert wait_until(lambda: _echoes(listener), timeout=5), "the freed slot was not reused"
    second.close()


def _echoes(listener: Listener) -> bool:
    try:
        return echo_many(listener, [b"slot"], timeout=5) == [b"slot"]
    except OSError:  # refused: the slot is not free yet
        return False


@pytest.mark.parametrize("mux", STREAM_MUXES)
def test_idle_timeout_closes_silent_clients(listener_factory: Start, mux: str) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", mux, "--idle-timeout", "0.3", "-v")
    with listener.connect() as silent:
        started = time.monotonic()
        assert silent.recv(10) == b""
        assert time.monotonic() - started < 8
    listener.process.wait_for_stderr(r"\(idle\)")


def test_allow_and_deny(listener_factory: Start) -> None:
    denied = listener_factory("tcp", "--port", "0", "--deny", "127.0.0.0/8")
    with denied.connect() as sock:
        assert sock.recv(10) == b""
    denied.process.wait_for_stderr(r"refused 127\.0\.0\.1:\d+: denied by --deny 127\.0\.0\.0/8")
    allowed = listener_factory("tcp", "--port", "0", "--allow", "127.0.0.1/32")
    assert echo_many(allowed, [b"ok"]) == [b"ok"]
    elsewhere = listener_factory("tcp", "--port", "0", "--allow", "10.0.0.0/8")
    with elsewhere.connect() as sock:
        assert sock.recv(10) == b""
    elsewhere.process.wait_for_stderr("not in any --allow network")


@pytest.mark.parametrize("mux", STREAM_MUXES)
def test_once_exits_after_the_first_client(listener_factory: Start, mux: str) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", mux, "--once")
    assert echo_many(listener, [b"only me"]) == [b"only me"]
    assert wait_until(lambda: listener.process.proc.poll() is not None, timeout=10)
    assert listener.process.proc.returncode == 0


@pytest.mark.parametrize("mux", STREAM_MUXES)
def test_deny_closes_a_refused_peer_at_once_in_every_design(
    listener_factory: Start, mux: str
) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", mux, "--deny", "127.0.0.2")
    with socket.socket() as refused:
        refused.settimeout(10)
        refused.bind(("127.0.0.2", 0))  # still loopback: all of 127.0.0.0/8 is
        refused.connect(("127.0.0.1", listener.port))
        assert refused.recv(10) == b""
    listener.process.wait_for_stderr(r"refused 127\.0\.0\.2:\d+: denied by --deny 127\.0\.0\.2/32")
    assert echo_many(listener, [b"from 127.0.0.1"]) == [b"from 127.0.0.1"]


@pytest.mark.parametrize("mux", STREAM_MUXES)
def test_sigterm_stops_every_design_and_removes_the_socket_file(
    listener_factory: Start, mux: str, tmp_path: Path
) -> None:
    path = tmp_path / "echo.sock"
    listener = listener_factory("unix", "--path", str(path), "--mux", mux, "-v")
    held = listener.connect()  # a client in the middle of its session
    held.sendall(b"mid-session")
    assert held.recv(100) == b"mid-session"
    assert listener.process.stop(signal.SIGTERM) == 0
    held.close()
    assert not path.exists()
    text = "\n".join(listener.process.stderr_lines)
    assert "(shutdown): 11 B in, 11 B out" in text
    assert "listener summary" in text


def test_print_writes_what_arrives_to_stdout(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--port", "0", "--print", "--once")
    with listener.connect() as sock:
        sock.sendall(b"to stdout\n")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(10) == b""  # nothing echoed
    assert listener.process.proc.stdout is not None
    assert listener.process.proc.stdout.read() == b"to stdout\n"


def test_hex_dump(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--port", "0", "--hex", "--once", "--mux", "select")
    with listener.connect() as sock:
        sock.sendall(b"AB\x00\xff")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(10) == b""
    assert listener.process.proc.stdout is not None
    text = listener.process.proc.stdout.read().decode()
    assert "< " in text and "4 bytes" in text
    assert "00000000  41 42 00 ff" in text and "|AB..|" in text


def test_discard(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--port", "0", "--discard", "-v")
    with listener.connect() as sock:
        sock.sendall(b"x" * 1000)
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(10) == b""
    listener.process.wait_for_stderr(r"1000 B in, 0 B out")


def test_stats_panel_runs_and_stops(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--port", "0", "--stats")
    assert echo_many(listener, [b"seen"]) == [b"seen"]
    time.sleep(0.6)
    assert listener.process.stop() == 0
    assert any("listener summary" in line for line in listener.process.stderr_lines)


def test_raises_its_open_files_limit(listener_factory: Start) -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    listener = listener_factory("tcp", "--port", "0", shell_prefix="ulimit -S -n 100;")
    with open(f"/proc/{listener.pid}/limits") as limits:
        line = next(line for line in limits if line.startswith("Max open files"))
    assert int(line.split()[3]) == hard
