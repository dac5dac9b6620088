"""`netkit conns --watch`: per-interval deltas of a real transfer, JSON Lines, the live table,
and the arithmetic on its own."""

import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from netkit.sysinfo.connection import Connection
from netkit.sysinfo.socket_facts import TcpInfo
from netkit.sysinfo.watch import ConnectionActivity, compare_rounds
from tests.support import RunningProcess, TerminalOutput, netkit_executable, run_netkit

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="tcp_info through sock_diag")


@pytest.fixture
def transfer() -> Iterator[int]:
    """A connection on 127.0.0.1 that carries 64 KiB every 20 ms for at most 20 s: its port."""
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname(), timeout=5)
    accepted, _ = server.accept()
    stop = threading.Event()

    def pump() -> None:
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            client.sendall(b"x" * 65536)
            received = 0
            while received < 65536:
                received += len(accepted.recv(65536))
            time.sleep(0.02)

    worker = threading.Thread(target=pump, daemon=True)
    worker.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        worker.join(25)
        for sock in (client, accepted, server):
            sock.close()


@linux_only
def test_json_lines_carry_the_bytes_of_each_interval(transfer: int) -> None:
    done = run_netkit("conns", "--watch", "--json", "--interval", "0.3", "--count", "2",
                      "--port", str(transfer))  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 4  # two connections (both ends), two rounds; the listener is left out
    for line in lines:
        assert line["interval"] == pytest.approx(0.3, abs=0.2)
        moved = line["sent_bytes"] + line["received_bytes"]
        assert moved > 0, line
        per_second = line["sent_bytes_per_s"] + line["received_bytes_per_s"]
        assert per_second == pytest.approx(moved / line["interval"], rel=0.05)
    sender = [line for line in lines if line["remote"].endswith(f":{transfer}")]
    assert all(line["sent_bytes"] > 0 and line["received_bytes"] == 0 for line in sender)


@linux_only
def test_the_live_table_draws_in_a_terminal_and_stops_on_sigterm(transfer: int) -> None:
    argv = [netkit_executable(), "conns", "--watch", "--interval", "0.2", "--port", str(transfer)]
    terminal = TerminalOutput(argv, env={"COLUMNS": "200", "LINES": "30", "TERM": "xterm"})
    try:
        terminal.wait_screen("received/s")
        terminal.wait_screen(f":{transfer}")
    finally:
        status = terminal.process.stop(signal.SIGTERM)
    screen = terminal.screen()
    assert status == 0, terminal.process.stderr_lines
    assert "Ctrl-C stops" in screen and "busiest first" in screen
    assert "last 16 rounds" in screen  # each connection's throughput as a sparkline
    assert any(spark in screen for spark in "▁▂▃▄▅▆▇█")


def test_watch_stops_on_ctrl_c_with_exit_0() -> None:
    process = RunningProcess([netkit_executable(), "conns", "--watch", "--interval", "0.1"])
    try:
        assert process.proc.stdout is not None
        assert process.proc.stdout.readline()  # the first round's title
    finally:
        status = process.stop(signal.SIGINT)
    assert status == 0, process.stderr_lines


def test_interval_and_count_need_watch() -> None:
    done = run_netkit("conns", "--interval", "2")
    assert done.returncode == 2
    assert "--interval only makes sense with --watch" in done.stderr


def _connection(cookie: int, acked: int, received: int, retrans: int) -> Connection:
    info = TcpInfo(*[0] * len(TcpInfo._fields))._replace(
        bytes_acked=acked, bytes_received=received, retrans_total=retrans, cwnd=10
    )
    return Connection("tcp", "IPv4", "stream", f"127.0.0.1:{cookie}", "127.0.0.1", cookie,
                      "127.0.0.1:80", "127.0.0.1", 80, "ESTABLISHED", None, None, None, None,
                      cookie=cookie, info=info)  # fmt: skip


def test_deltas_match_by_cookie_and_busiest_comes_first() -> None:
    before = {1: _connection(1, 1000, 0, 0), 2: _connection(2, 0, 500, 1)}
    after = [_connection(1, 1500, 0, 0), _connection(2, 0, 5500, 3), _connection(3, 10, 0, 0)]
    busiest, quieter, new = compare_rounds(before, after, 2.0)
    assert (busiest.cookie, busiest.received_bytes, busiest.retransmits) == (2, 5000, 2)
    assert busiest.received_bytes_per_s == 2500.0
    assert (quieter.cookie, quieter.sent_bytes, quieter.new) == (1, 500, False)
    assert (new.cookie, new.sent_bytes, new.new) == (3, 10, True)


def test_each_connection_keeps_its_recent_throughput_and_gone_ones_are_forgotten() -> None:
    from collections import deque

    histories: dict[int, deque[float]] = {}
    first = {1: _connection(1, 0, 0, 0), 2: _connection(2, 0, 0, 0)}
    second = [_connection(1, 1000, 0, 0), _connection(2, 0, 200, 0)]
    compare_rounds(first, second, 1.0, histories)
    third = [_connection(1, 3000, 0, 0)]  # connection 2 has closed
    [one] = compare_rounds({c.cookie or 0: c for c in second}, third, 1.0, histories)
    assert one.history == (1000.0, 2000.0)  # oldest first
    assert set(histories) == {1}
    for _ in range(40):  # bounded: the history keeps the last HISTORY rounds
        [one] = compare_rounds({1: third[0]}, third, 1.0, histories)
    assert len(one.history) == 16 and one.history[-1] == 0.0
    assert "history" not in json.loads(_activity_json(one))


def _activity_json(activity: "ConnectionActivity") -> str:
    from netkit.render.conns import _asdict

    return json.dumps(_asdict(activity))
