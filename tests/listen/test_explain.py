"""listen --explain in every design this system has: strace judges that the narrated calls are
the calls the listener makes, in order, with the same descriptors and results; the first
--explain-limit connections are narrated, and the profile counts every call of the run."""

import json
import os
import select
import signal
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.render.hostile import assert_safe
from tests.strace import TRACED, Syscall, assert_narration_is_true, parse_trace
from tests.support import RunningProcess, netkit_executable, require_tool

READY = r"listening on (tcp|udp|unix) (\S+) \((\w+)\)"
READY_JSON = r'^\{"event": "listening", .*"address": "([^"]+)"'  # --json's readiness line
DESIGNS = [d for d in ("blocking", "thread", "select", "poll", "epoll") if d in
           ("blocking", "thread", "select") or hasattr(select, d)]  # fmt: skip
CASES = [("tcp", d) for d in DESIGNS] + [("udp", "select"), ("udp", "blocking"), ("unix", "poll")]
if hasattr(select, "epoll"):
    CASES.append(("udp", "epoll"))
WAITS = {"epoll": "epoll_wait", "poll": "poll", "select": "select"}
KERNEL_WAITS = {"epoll_wait": ("epoll_wait", "epoll_pwait", "epoll_pwait2"),
                "poll": ("poll", "ppoll"), "select": ("pselect6", "select")}  # fmt: skip
CLIENTS = 3
LIMIT = 2


def _exchange(transport: str, address: str, message: bytes) -> None:
    """One client: send, half-close, read the echo to the end (UDP: one datagram back)."""
    if transport == "udp":
        host, port = address.rsplit(":", 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)
            sock.sendto(message, (host, int(port)))
            assert sock.recv(100) == message
        return
    family = socket.AF_UNIX if transport == "unix" else socket.AF_INET
    target: Any = address if transport == "unix" else (address.rsplit(":", 1)[0],
                                                       int(address.rsplit(":", 1)[1]))  # fmt: skip
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(target)
        sock.sendall(message)
        sock.shutdown(socket.SHUT_WR)
        echoed = b""
        for _ in range(100):
            chunk = sock.recv(100)
            if not chunk:
                break
            echoed += chunk
    assert echoed == message


def _run(
    tmp_path: Path, transport: str, design: str
) -> tuple[list[dict[str, Any]], dict[str, Any], list[Syscall]]:
    strace = require_tool("strace")
    trace_file = tmp_path / "trace.txt"
    where = ["--path", str(tmp_path / "e.sock")] if transport == "unix" else ["--port", "0"]
    argv = [strace, "-f", "-qq", "-e", TRACED, "-o", str(trace_file), netkit_executable(),
            "listen", transport, *where, "--mux", design, "--explain", "--json",
            "--explain-limit", str(LIMIT)]  # fmt: skip
    process = RunningProcess(argv)
    try:
        address = process.wait_for_stderr(READY_JSON, timeout=20).group(1)
        for number in range(CLIENTS):
            _exchange(transport, address, f"hello {number}\n".encode())
            time.sleep(0.1)  # each connection's calls end before the next begins
        # SIGTERM to netkit itself (strace's child), not to strace.
        children = Path(f"/proc/{process.proc.pid}/task/{process.proc.pid}/children").read_text()
        os.kill(int(children.split()[0]), signal.SIGTERM)
        process.proc.wait(20)
    finally:
        status = process.stop()
    assert status == 0, process.stderr_lines
    narration, profile = [], {}
    for line in process.stderr_lines:
        if line.startswith("{"):
            record = json.loads(line)
            if "call" in record:
                narration.append(record)
            elif "profile" in record:
                profile = record
    return narration, profile, parse_trace(trace_file)


@pytest.mark.parametrize(("transport", "design"), CASES, ids=[f"{t}-{d}" for t, d in CASES])
def test_narration_is_what_strace_sees(tmp_path: Path, transport: str, design: str) -> None:
    narration, profile, trace = _run(tmp_path, transport, design)
    assert_narration_is_true(narration, trace, by_descriptor=design == "thread")
    calls = [call["call"] for call in narration]
    listener = narration[0]
    assert listener["call"] == "socket"
    assert "bind" in calls
    if transport != "udp":
        assert calls.index("listen") > calls.index("bind")
    if transport == "tcp":
        assert narration[1]["args"][1:3] == ["SOL_SOCKET", "SO_REUSEADDR"]
    if design == "epoll":
        assert "epoll_create1" in calls and "epoll_ctl" in calls
    # The first LIMIT connections (datagrams) are narrated; the last one only counted.
    served = [
        c for c in narration if c["call"] in ("accept", "recvfrom") and (c["result"] or 0) > 0
    ]
    assert len(served) == LIMIT
    counts = profile["profile"]
    assert profile["calls"] == sum(counts.values())
    if transport == "udp":
        assert profile["datagrams"] == CLIENTS
        assert counts["sendto"] == CLIENTS
        return
    assert profile["connections"] == CLIENTS
    listen_fd = str(listener["result"])
    kernel_accepts = [c for c in trace if c.name in ("accept4", "accept") and
                      c.args.split(",")[0] == listen_fd]  # fmt: skip
    assert counts["accept"] == len(kernel_accepts)
    if design in WAITS:
        names = KERNEL_WAITS[WAITS[design]]
        kernel = Counter(c.name for c in trace if c.name in names)
        assert counts[WAITS[design]] == sum(kernel.values())


def test_text_narration_is_safe_whatever_clients_send() -> None:
    hostile = b"\x1b]0;owned\x07\x1b[2J\xe2\x80\xaeevil\r\n"
    process = RunningProcess([netkit_executable(), "listen", "tcp", "--port", "0", "--explain",
                              "--explain-limit", "1", "-q"])  # fmt: skip
    try:
        address = process.wait_for_stderr(READY).group(2)
        _exchange("tcp", address, hostile)
        process.wait_for_stderr(r"^\+\S+  close\(", timeout=10)
    finally:
        assert process.stop() == 0
    narration = "\n".join(line for line in process.stderr_lines if line.startswith("+"))
    assert "\\033]0;owned\\007" in narration  # the payload preview, as a C string literal
    assert_safe(narration)
