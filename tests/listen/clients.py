"""Test clients for the listener: many sockets driven by one selector, every byte checked."""

import contextlib
import os
import re
import selectors
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from tests.support import RunningProcess, netkit_executable

READY = r"listening on (tcp|udp|unix) (\S+) \((\w+)\)"
# With --json the readiness line is the first JSON line of the log.
READY_JSON = (
    r'"event": "listening", .*"transport": "(tcp|udp|unix)", "address": "([^"]+)", "mux": "(\w+)"'
)


@dataclass
class Listener:
    """A running `netkit listen` and where to reach it."""

    process: RunningProcess
    transport: str
    address: str  # as printed: 127.0.0.1:PORT, [::1]:PORT or a path
    mux: str

    @property
    def pid(self) -> int:
        return self.process.proc.pid

    @property
    def target(self) -> tuple[int, str | tuple[str, int]]:
        """(family, sockaddr) to connect to."""
        if self.transport == "unix":
            path = self.address
            return socket.AF_UNIX, ("\0" + path[1:]) if path.startswith("@") else path
        host, port = self.address.rsplit(":", 1)
        if host.startswith("["):
            return socket.AF_INET6, (host[1:-1], int(port))
        return socket.AF_INET, (host, int(port))

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    def connect(self, timeout: float = 10) -> socket.socket:
        family, address = self.target
        kind = socket.SOCK_DGRAM if self.transport == "udp" else socket.SOCK_STREAM
        sock = socket.socket(family, kind)
        sock.settimeout(timeout)
        sock.connect(address)
        return sock

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read())
        assert match is not None
        return int(match.group(1))

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_listener(*args: str, shell_prefix: str | None = None) -> Listener:
    """Start `netkit listen ARGS` and wait for its readiness line (caller stops it)."""
    argv = [netkit_executable(), "listen", *args]
    if shell_prefix is not None:  # e.g. "ulimit -n 64;" applied to the server only
        argv = ["sh", "-c", f'{shell_prefix} exec "$0" "$@"', *argv]
    process = RunningProcess(argv)
    try:
        match = process.wait_for_stderr(f"{READY}|{READY_JSON}", timeout=15)
    except BaseException:
        process.stop()
        raise
    transport, address, mux = (group for group in match.groups() if group is not None)
    return Listener(process, transport, address, mux)


def payload(size: int, seed: int = 0) -> bytes:
    """Bytes whose every position depends on the seed: a reorder or a mix-up shows."""
    block = bytes((i * 7 + seed * 13) % 251 for i in range(4096))
    return (block * (size // len(block) + 1))[:size]


@dataclass
class _Flow:
    sock: socket.socket
    data: bytes
    sent: int = 0
    received: bytearray = field(default_factory=bytearray)
    eof: bool = False


class Connectable(Protocol):
    def connect(self, timeout: float = 10) -> socket.socket: ...


def echo_many(  # noqa: PLR0912  # one loop drives every connection both ways
    listener: Connectable, payloads: list[bytes], timeout: float = 60, half_close: bool = True
) -> list[bytes]:
    """Open one connection per payload, send each while reading (so nothing deadlocks), half-close,
    and read to EOF. Returns what came back on each connection.

    Without ``half_close`` each connection reads as many bytes as it sent and then resets (an
    abortive close): the many-client tests would otherwise leave thousands of client ports in
    TIME_WAIT on a machine whose ephemeral range other tests and benchmarks share."""
    selector = selectors.DefaultSelector()
    flows: list[_Flow] = []
    try:
        for data in payloads:
            sock = listener.connect()
            sock.setblocking(False)
            flow = _Flow(sock, data)
            flows.append(flow)
            selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, flow)
        deadline = time.monotonic() + timeout
        open_flows = len(flows)
        while open_flows:
            assert time.monotonic() < deadline, "echo did not finish in time"
            for key, events in selector.select(0.5):
                flow = key.data
                if events & selectors.EVENT_WRITE and flow.sent < len(flow.data):
                    with contextlib.suppress(BlockingIOError):
                        flow.sent += flow.sock.send(flow.data[flow.sent : flow.sent + 262144])
                    if flow.sent == len(flow.data):
                        if half_close:
                            flow.sock.shutdown(socket.SHUT_WR)
                        selector.modify(flow.sock, selectors.EVENT_READ, flow)
                if events & selectors.EVENT_READ:
                    try:
                        chunk = flow.sock.recv(65536)
                    except BlockingIOError:
                        continue
                    if chunk:
                        flow.received += chunk
                        if not half_close and len(flow.received) >= len(flow.data):
                            chunk = b""
                    if not chunk:
                        selector.unregister(flow.sock)
                        open_flows -= 1
                        if not half_close:  # done: free the server (blocking serves one)
                            abortive_close(flow.sock)
        return [bytes(flow.received) for flow in flows]
    finally:
        for flow in flows:
            if not half_close:
                abortive_close(flow.sock)
            flow.sock.close()
        selector.close()


def abortive_close(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): no TIME_WAIT left behind on our side."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def wait_until(
    predicate: Callable[[], object], timeout: float = 10, interval: float = 0.05
) -> bool:
    """Poll ``predicate()`` until true or ``timeout``; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def feed_and_read(argv: list[str], payload: bytes, expected: int | None = None) -> bytes:
    """Run a TLS client that ends its session when its stdin ends (s_client, ncat --ssl): feed
    it while the answer is read, and close its stdin only once ``expected`` bytes (as many as
    were sent, by default) came back."""
    wanted = len(payload) if expected is None else expected
    client = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    assert client.stdin is not None and client.stdout is not None

    def feed() -> None:
        assert client.stdin is not None
        client.stdin.write(payload)
        client.stdin.flush()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    received = bytearray()
    try:
        while len(received) < wanted:
            chunk = client.stdout.read1(65536)
            if not chunk:
                break
            received += chunk
    finally:
        feeder.join(10)
        client.stdin.close()
        try:
            client.wait(10)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
    return bytes(received)
