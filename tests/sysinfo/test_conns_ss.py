"""`netkit conns` against ss on the same sockets: queues, inode, uid, cookie, timers, memory and
tcp_info, each read by both tools (Linux: sock_diag is what ss reads too)."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import require_tool, run_netkit

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="sock_diag is Linux's")

MY_PID = os.getpid()


def ss(*args: str) -> list[str]:
    """ss's lines for one socket each (its -i/-m continuation lines joined to the first)."""
    done = subprocess.run(
        [require_tool("ss"), "-nH", *args], capture_output=True, text=True, timeout=30, check=True
    )
    lines: list[str] = []
    for line in done.stdout.splitlines():
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        elif line.strip():
            lines.append(line)
    return lines


def ss_one(*args: str) -> str:
    lines = ss(*args)
    assert len(lines) == 1, lines
    return lines[0]


def ss_queues(line: str) -> tuple[int, int]:
    _, recv_q, send_q = line.split()[:3]
    return int(recv_q), int(send_q)


def conns(*args: str) -> list[dict[str, object]]:
    done = run_netkit("conns", "--json", *args)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert isinstance(rows, list)
    return rows


def conn_one(*args: str) -> dict[str, object]:
    rows = conns(*args)
    assert len(rows) == 1, rows
    return rows[0]


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in {text!r}"
    return int(found.group(1))


def only(sock: socket.socket) -> tuple[list[str], str]:
    """netkit's and ss's filters for exactly this connected socket."""
    local, remote = sock.getsockname()[1], sock.getpeername()[1]
    theirs = f"sport = :{local} and dport = :{remote}"
    return ["--sport", str(local), "--dport", str(remote)], theirs


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """(listener, client, accepted) on 127.0.0.1."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=5)
        accepted, _ = server.accept()
        with client, accepted:
            yield server, client, accepted


def test_recv_q_is_the_unread_bytes(pair: tuple[socket.socket, ...]) -> None:
    _, client, accepted = pair
    client.sendall(b"x" * 1234)
    port = accepted.getsockname()[1]
    peer = client.getsockname()[1]
    where = f"sport = :{port} and dport = :{peer}"
    deadline = time.monotonic() + 5
    while ss_queues(ss_one("-t", where))[0] != 1234 and time.monotonic() < deadline:
        time.sleep(0.01)  # loopback delivers at once; bounded anyway
    row = conn_one("-t", "--sport", str(port), "--dport", str(peer))
    assert (row["recv_q"], row["send_q"]) == (1234, 0) == ss_queues(ss_one("-t", where))
    assert row["pid"] == MY_PID
    assert row["fd"] == accepted.fileno()


def test_send_q_grows_when_the_peer_stops_reading(pair: tuple[socket.socket, ...]) -> None:
    _, client, _ = pair
    client.setblocking(False)
    sent = 0
    for _ in range(10_000):  # until the peer's window and our buffer are full
        try:
            sent += client.send(b"y" * 65536)
        except BlockingIOError:
            break
    time.sleep(0.3)  # let the last segments settle; nothing moves once the window is zero
    ours, theirs = only(client)
    row = conn_one("-t", *ours)
    assert row["send_q"] > 0
    assert (row["recv_q"], row["send_q"]) == ss_queues(ss_one("-t", theirs))


def test_a_listener_shows_its_accept_queue_and_backlog() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(7)
        port = server.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
        try:
            time.sleep(0.1)
            row = conn_one("-lt", "--sport", str(port))
            assert (row["recv_q"], row["send_q"]) == (3, 7)
            assert ss_queues(ss_one("-tl", f"sport = :{port}")) == (3, 7)
        finally:
            for client in clients:
                client.close()


def test_inode_uid_and_cookie_match_ss_e(pair: tuple[socket.socket, ...]) -> None:
    _, client, _ = pair
    ours, theirs = only(client)
    line = ss_one("-te", theirs)
    row = conn_one("-t", *ours)
    assert row["inode"] == _number(r"ino:(\d+)", line) == os.fstat(client.fileno()).st_ino
    assert row["uid"] == os.geteuid()
    assert f"uid:{os.geteuid()}" in line or os.geteuid() == 0  # ss -e omits uid 0
    cookie = re.search(r"sk:([0-9a-f]+)", line)
    assert cookie is not None
    assert row["cookie"] == int(cookie.group(1), 16)


def test_tcp_info_matches_ss_i(pair: tuple[socket.socket, ...]) -> None:
    _, client, accepted = pair
    client.sendall(b"z" * 100_000)
    received = 0
    while received < 100_000:
        received += len(accepted.recv(65536))
    time.sleep(0.05)
    ours, theirs = only(client)
    line = ss_one("-ti", theirs)
    row = conn_one("-t", "-i", *ours)
    info = row["info"]
    assert isinstance(info, dict)
    assert info["mss"] == _number(r"\bmss:(\d+)", line)
    assert info["cwnd"] == _number(r"\bcwnd:(\d+)", line)
    assert info["congestion"] in line.split()
    assert info["bytes_acked"] == 100_001  # the SYN counts one (ss's bytes_acked)
    assert info["bytes_acked"] == _number(r"bytes_acked:(\d+)", line)
    assert info["bytes_sent"] == 100_000
    assert 0 < info["rtt_ms"] < 1000
    assert 0 < info["min_rtt_ms"] <= info["rtt_ms"] + info["rttvar_ms"]
    assert info["rto_ms"] >= 200  # Linux's TCP_RTO_MIN
    wscale = re.search(r"wscale:(\d+),(\d+)", line)
    assert wscale is not None
    assert (info["snd_wscale"], info["rcv_wscale"]) == tuple(map(int, wscale.groups()))
    table = run_netkit("conns", "-ti", *ours)
    assert f"mss:{info['mss']}" in table.stdout and "rtt:" in table.stdout


def test_skmem_matches_ss_m(pair: tuple[socket.socket, ...]) -> None:
    _, client, _ = pair
    client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    ours, theirs = only(client)
    line = ss_one("-tm", theirs)
    memory = conn_one("-t", "-m", *ours)["memory"]
    assert isinstance(memory, dict)
    assert memory["sndbuf"] == _number(r"tb(\d+)", line) == 131072  # the kernel doubles it
    assert memory["rcvbuf"] == _number(r"rb(\d+)", line)


def test_keepalive_and_time_wait_timers_match_ss_o(pair: tuple[socket.socket, ...]) -> None:
    _, client, accepted = pair
    client.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)
    ours, theirs = only(client)
    timer = conn_one("-t", "-o", *ours)["timer"]
    assert "timer:(keepalive," in ss_one("-to", theirs)
    assert isinstance(timer, dict)
    assert timer["name"] == "keepalive"
    assert 50_000 < timer["expires_ms"] <= 60_000
    client.close()  # the side that closes first waits in TIME_WAIT
    accepted.close()
    deadline = time.monotonic() + 5
    while "TIME-WAIT" not in " ".join(ss("-ta", theirs)):
        assert time.monotonic() < deadline, "no TIME-WAIT socket appeared"
        time.sleep(0.02)
    row = conn_one("-t", "-o", "--state", "time_wait", *ours)
    assert row["state"] == "TIME_WAIT"
    assert row["timer"]["name"] == "timewait"  # type: ignore[index]  # JSON
    assert row["inode"] == 0 and row["pid"] is None
    assert "timer:(timewait," in ss_one("-to", "state", "time-wait", theirs)


def test_unix_queues_match_ss_x(tmp_path: Path) -> None:
    path = str(tmp_path / "q.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(4)
        pending = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        pending.connect(path)
        with pending:
            rows = [r for r in conns("-x") if r["local"] == path and r["pid"] == MY_PID]
            listener = next(r for r in rows if r["peer_inode"] is None)
            assert (listener["recv_q"], listener["send_q"]) == (1, 4)
            line = next(line for line in ss("-xl") if path in line)
            assert tuple(map(int, line.split()[2:4])) == (1, 4)  # after the netid and state


def test_ipv6_queues_and_addresses() -> None:
    try:
        server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server, socket.create_connection(("::1", server.getsockname()[1]), timeout=5) as client:
        client.sendall(b"q" * 10)
        accepted, _ = server.accept()
        with accepted:
            time.sleep(0.05)
            port = server.getsockname()[1]
            row = conn_one("-t", "-6", "--sport", str(port), "--state", "established")
            assert row["local"] == f"[::1]:{port}"
            assert row["recv_q"] == 10


# Runs inside a private network namespace (unshare -n): connects on its own loopback, then drops
# every segment to the server's port with nftables, writes, and lets TCP retransmit for a while.
BLACKHOLE = """\
import json, socket, subprocess, sys, time
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
server = socket.create_server(("127.0.0.1", 0))
port = server.getsockname()[1]
client = socket.create_connection(("127.0.0.1", port), timeout=5)
accepted, _ = server.accept()
rules = ("table inet netkit_blackhole {\\n chain input {\\n"
         f"  type filter hook input priority 0;\\n  tcp dport {port} drop\\n }}\\n}}\\n")
subprocess.run([sys.argv[2], "-f", "-"], input=rules, text=True, check=True, timeout=10)
client.sendall(b"x" * 1000)
time.sleep(1.5)  # the RTO starts at 200 ms and doubles: three or so retransmissions by now
ours = subprocess.run([sys.argv[1], "conns", "-t", "-i", "-o", "--json", "--dport", str(port)],
                      capture_output=True, text=True, timeout=30)
theirs = subprocess.run(["ss", "-tnioH", f"dport = :{port}"], capture_output=True, text=True,
                        timeout=30)
print(json.dumps({"rows": ours.stdout, "stderr": ours.stderr, "ss": theirs.stdout}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace and nftables need root")
def test_retransmits_rise_when_the_peer_is_blackholed() -> None:
    from tests.support import netkit_executable

    unshare, nft = require_tool("unshare"), require_tool("nft")
    require_tool("ss")
    done = subprocess.run(
        [unshare, "-n", sys.executable, "-c", BLACKHOLE, netkit_executable(), nft],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    [row] = json.loads(result["rows"])
    info, timer = row["info"], row["timer"]
    assert info["retrans_total"] >= 2, info
    assert info["unacked"] >= 1 and info["bytes_retrans"] >= 1000
    assert timer["name"] == "on"  # the retransmission timer
    assert timer["retransmits"] >= 2
    retrans = re.search(r"retrans:(\d+)/(\d+)", result["ss"])
    assert retrans is not None, result["ss"]
    assert abs(int(retrans.group(2)) - info["retrans_total"]) <= 1  # one may happen in between
    assert "timer:(on," in result["ss"]


def test_two_thousand_connections_all_listed_as_ss_lists_them() -> None:
    """The scale test CI runs: correctness only, no timing (scripts/bench_conns.py times)."""
    with socket.create_server(("127.0.0.1", 0), backlog=1024) as server:
        port = server.getsockname()[1]
        held: list[socket.socket] = []
        try:
            for _ in range(1000):
                held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
                held.append(server.accept()[0])
            # Only this process's sockets: another's may have P as its own ephemeral port.
            rows = conns("-t", "--port", str(port), "--pid", str(MY_PID))
            table = run_netkit("conns", "-t", "--port", str(port), "--pid", str(MY_PID))
            oracle = [
                line
                for line in ss("-tap", f"sport = :{port} or dport = :{port}")
                if f"pid={MY_PID}," in line
            ]
            fds = {sock.fileno() for sock in held} | {server.fileno()}
        finally:
            for sock in held:
                sock.close()
    assert len(rows) == 2001 == len(oracle)
    assert all(row["pid"] == MY_PID and row["fd"] in fds for row in rows)
    ours = {(row["local"], row["remote"] or "0.0.0.0:*", row["recv_q"], row["send_q"])
            for row in rows}  # fmt: skip
    theirs = {(f[3], f[4], int(f[1]), int(f[2])) for f in (line.split() for line in oracle)}
    assert ours == theirs
    assert len(table.stdout.splitlines()) == 2002  # the header and a line per socket


# In a private network namespace, whose counters nothing else moves: a listener, two connections
# (one closed, leaving TIME_WAIT), a UDP socket on each family; then netkit conns -s and ss -s.
SUMMARY = """\
import json, socket, subprocess, sys
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
server = socket.create_server(("127.0.0.1", 0))
first = socket.create_connection(server.getsockname(), timeout=5)
second = socket.create_connection(server.getsockname(), timeout=5)
accepted = [server.accept()[0] for _ in range(2)]
second.close()
accepted[1].close()
udp4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp4.bind(("127.0.0.1", 0))
udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); udp6.bind(("::1", 0))
ours = subprocess.run([sys.argv[1], "conns", "-s", "--json"], capture_output=True, text=True,
                      timeout=30)
theirs = subprocess.run(["ss", "-s"], capture_output=True, text=True, timeout=30)
print(json.dumps({"ours": ours.stdout, "stderr": ours.stderr, "ss": theirs.stdout}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace needs root")
def test_the_summary_is_ss_s() -> None:
    from tests.support import netkit_executable

    unshare = require_tool("unshare")
    require_tool("ss")
    done = subprocess.run(
        [unshare, "-n", sys.executable, "-c", SUMMARY, netkit_executable()],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    ours = json.loads(result["ours"])
    text = result["ss"]
    tcp = re.search(r"TCP:\s+(\d+) \(estab (\d+), closed (\d+), orphaned (\d+), timewait (\d+)\)",
                    text)  # fmt: skip
    assert tcp is not None, text
    total, established, closed, orphaned, timewait = (int(n) for n in tcp.groups())
    # The namespace's own counters must agree; allocated and orphaned sockets (in the total
    # and "closed") are counted for the whole host, where other tests come and go meanwhile.
    assert (established, timewait) == (ours["tcp_established"], ours["tcp_timewait"])
    assert total - closed == ours["tcp_total"] - ours["tcp_closed"]
    assert orphaned >= 0 and ours["tcp_orphaned"] >= 0
    for line in ours["transports"]:
        found = re.search(rf"^{line['transport']}\s+(\d+)\s+(\d+)\s+(\d+)", text, re.MULTILINE)
        assert found is not None, text
        assert [int(n) for n in found.groups()] == [line["total"], line["ipv4"], line["ipv6"]]
    assert ours["transports"][1] == {"transport": "UDP", "total": 2, "ipv4": 1, "ipv6": 1}
    assert ours["tcp_states"] == {"ESTABLISHED": 2, "LISTEN": 1, "TIME_WAIT": 1}
    assert ours["tcp_timewait"] == 1


def test_udp_recv_q_is_the_queued_datagrams_memory() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        port = receiver.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(3):
                sender.sendto(b"d" * 500, ("127.0.0.1", port))
        time.sleep(0.05)
        row = conn_one("-u", "--sport", str(port), "--pid", str(MY_PID))
        line = ss_one("-u", "-a", f"sport = :{port}")
        assert row["recv_q"] > 1500  # the datagrams and their buffers' overhead, as ss counts
        assert (row["recv_q"], row["send_q"]) == ss_queues(line)
        assert row["remote"] is None and row["state"] is None
