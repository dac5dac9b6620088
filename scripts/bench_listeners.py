#!/usr/bin/env python3
"""Benchmark netkit's listeners on this machine: every I/O design under the same closed-loop echo
load, and the many-clients check (10,000 connections on epoll, server RSS).

Self-contained (a Python load generator in worker processes), so it runs anywhere netkit is
installed. Figures are relative: the load generator is Python too, so compare the designs with
each other, not with other machines. `blocking` serves one client at a time (the others wait
in the backlog), so its row shows one connection's round trips. Examples:

    python scripts/bench_listeners.py                         # every design, 64 x 512 B
    python scripts/bench_listeners.py --mux epoll,poll --idle 1000
    python scripts/bench_listeners.py --size 262144 --conns 16
    python scripts/bench_listeners.py --kind udp --conns 16
    python scripts/bench_listeners.py --many 10000            # 10,000 clients on epoll
"""

import argparse
import multiprocessing
import os
import re
import selectors
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TypeAlias

READY = re.compile(r"listening on (?:tcp|udp) \S+:(\d+) \((\w+)\)")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self, field: str = "VmRSS") -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            match = re.search(rf"{field}:\s+(\d+) kB", status.read())
        return int(match.group(1)) / 1024 if match else 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def close_with_reset(sock: socket.socket) -> None:
    """SO_LINGER 0: thousands of benchmark connections leave no ports in TIME_WAIT."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def start_server(kind: str, mux: str, cpu: int | None) -> Server:
    argv = [sys.executable, "-m", "netkit", "listen", kind, "--port", "0", "--mux", mux, "-q"]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    match = READY.search(line)
    if match is None:
        process.kill()
        raise SystemExit(f"{mux}: the listener did not start: {line.strip()}")
    return Server(process, int(match.group(1)))


@dataclass
class Flow:
    """One load connection: how far the current round trip has got."""

    sock: socket.socket
    sent: int = 0
    received: int = 0
    started: float = 0.0


Results: TypeAlias = "multiprocessing.Queue[tuple[int, int, list[float]]]"


def tcp_worker(port: int, conns: int, size: int, seconds: float, results: Results) -> None:
    """Closed loop: each connection sends SIZE bytes, waits for all of them back, repeats."""
    message = bytes(i % 251 for i in range(size))
    selector = selectors.DefaultSelector()
    flows: dict[int, Flow] = {}
    for _ in range(conns):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        flows[sock.fileno()] = Flow(sock, started=time.perf_counter())
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    done = errors = 0
    latencies: list[float] = []
    buffer = bytearray(65536)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, events in selector.select(0.5):
            flow = flows[key.fd]
            try:
                if events & selectors.EVENT_WRITE and flow.sent < size:
                    flow.sent += flow.sock.send(message[flow.sent :])
                    if flow.sent == size:
                        selector.modify(flow.sock, selectors.EVENT_READ)
                if not events & selectors.EVENT_READ:
                    continue
                n = flow.sock.recv_into(buffer)
            except OSError:  # refused or reset by the server (select past FD_SETSIZE, ...)
                n = 0
            if n == 0:
                errors += 1
                selector.unregister(flow.sock)
                continue
            flow.received += n
            if flow.received >= size:
                now = time.perf_counter()
                latencies.append(now - flow.started)
                done += 1
                flow.sent, flow.received, flow.started = 0, 0, now
                flow.sent = flow.sock.send(message)
                if flow.sent < size:
                    selector.modify(flow.sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    results.put((done, errors, latencies[-20000:]))


def udp_worker(
    port: int,
    peers: int,
    size: int,
    seconds: float,
    results: "multiprocessing.Queue[tuple[int, int, list[float]]]",
) -> None:
    message = bytes(i % 251 for i in range(size))
    selector = selectors.DefaultSelector()
    started: dict[int, float] = {}
    socks: dict[int, socket.socket] = {}
    for _ in range(peers):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(("127.0.0.1", port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        sock.send(message)
        started[sock.fileno()] = time.perf_counter()
        socks[sock.fileno()] = sock
    done = errors = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready = selector.select(0.2)
        if not ready:  # every reply lost (UDP may drop): count them and send again
            for sock in socks.values():
                errors += 1
                sock.send(message)
            continue
        for key, _ in ready:
            sock = socks[key.fd]
            sock.recv(65536)
            now = time.perf_counter()
            latencies.append(now - started[key.fd])
            done += 1
            started[key.fd] = now
            sock.send(message)
    results.put((done, errors, latencies[-20000:]))


def measure(kind: str, mux: str, args: argparse.Namespace) -> dict[str, object]:
    server = start_server(kind, mux, 0 if args.pin else None)
    idle = []
    try:
        for _ in range(args.idle if kind == "tcp" else 0):
            idle.append(socket.create_connection(("127.0.0.1", server.port)))
        results: multiprocessing.Queue[tuple[int, int, list[float]]] = multiprocessing.Queue()
        worker = tcp_worker if kind == "tcp" else udp_worker
        per_worker = max(1, args.conns // args.workers)
        cpu_before = server.cpu_seconds()
        started = time.monotonic()
        workers = [
            multiprocessing.Process(
                target=worker, args=(server.port, per_worker, args.size, args.seconds, results)
            )
            for _ in range(args.workers)
        ]
        for process in workers:
            process.start()
        outcomes = [results.get(timeout=args.seconds + 60) for _ in workers]
        elapsed = time.monotonic() - started
        cpu = server.cpu_seconds() - cpu_before
        for process in workers:
            process.join(10)
        done = sum(o[0] for o in outcomes)
        latencies = sorted(x for o in outcomes for x in o[2])
        p99 = latencies[int(len(latencies) * 0.99)] * 1e6 if latencies else 0.0
        return {
            "mux": mux,
            "rps": round(done / args.seconds),
            "mibps": round(done * args.size / args.seconds / 2**20, 1),
            "server_cpu_us_per_req": round(cpu / max(done, 1) * 1e6, 2),
            "p99_us": round(p99),
            "errors": sum(o[1] for o in outcomes),
            "rss_mib": round(server.rss_mib(), 1),
            "wall_s": round(elapsed, 1),
        }
    finally:
        for sock in idle:
            close_with_reset(sock)
        server.stop()


def many_clients(count: int) -> None:
    """Open COUNT connections to one epoll listener, echo once on each, report RSS and errors."""
    server = start_server("tcp", "epoll", None)
    socks: list[socket.socket] = []
    errors = 0
    try:
        started = time.monotonic()
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            socks.append(sock)
        for index, sock in enumerate(socks):
            sock.sendall(index.to_bytes(4, "big") * 128)
        for index, sock in enumerate(socks):
            expected = index.to_bytes(4, "big") * 128
            received = b""
            while len(received) < len(expected):
                chunk = sock.recv(len(expected) - len(received))
                if not chunk:
                    break
                received += chunk
            errors += received != expected
        print(
            f"many clients (epoll): {count} connections, errors={errors}, "
            f"server RSS {server.rss_mib():.1f} MiB (peak {server.rss_mib('VmHWM'):.1f} MiB), "
            f"{time.monotonic() - started:.1f} s"
        )
    finally:
        for sock in socks:
            close_with_reset(sock)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=("tcp", "udp"), default="tcp")
    parser.add_argument(
        "--mux", default="", help="comma-separated designs (default: all available)"
    )
    parser.add_argument("--conns", type=int, default=64)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument(
        "--idle", type=int, default=0, help="idle connections held open beside the load"
    )
    parser.add_argument("--many", type=int, default=0, help="only run the many-clients check")
    parser.add_argument("--pin", action="store_true", help="pin the server to CPU 0")
    args = parser.parse_args()
    if args.many:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        many_clients(args.many)
        return
    from netkit.listen.mux import available

    designs = args.mux.split(",") if args.mux else available()
    if args.kind == "udp":
        designs = [d for d in designs if d != "thread"]
    print(
        f"{args.kind}: {args.conns} clients x {args.size} B, {args.seconds:.0f} s, {args.idle} idle"
    )
    print(
        f"{'mux':<10}{'req/s':>10}{'MiB/s':>9}{'cpu us/req':>12}{'p99 us':>9}{'errors':>8}"
        f"{'RSS MiB':>9}"
    )
    for mux in designs:
        row = measure(args.kind, mux, args)
        print(
            f"{row['mux']:<10}{row['rps']:>10}{row['mibps']:>9}{row['server_cpu_us_per_req']:>12}"
            f"{row['p99_us']:>9}{row['errors']:>8}{row['rss_mib']:>9}"
        )


if __name__ == "__main__":
    main()
