"""`netkit bench mux`: netkit's own listener in each I/O design, loaded the same way, compared.

Each design runs as `netkit listen tcp --mux X --port 0` in a child process (pinned to CPU 0
when there are two or more, the load on the others). For each idle level, the active
connections open first, then the idle ones beside them, then the load runs; the server's CPU
time over the run divided by the round trips is its cost per request.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace

from netkit.bench.load import LoadPlan
from netkit.bench.runner import BenchResult, ProgressSink, run_bench
from netkit.connect import Target
from netkit.errors import NetkitError
from netkit.listen.mux.poller import READABLE
from netkit.listen.transport import raise_open_files_limit

READY = re.compile(r"listening on (?:tcp|udp) 127\.0\.0\.1:(\d+) \((\w+)\)")
READY_TIMEOUT = 15.0
MUX_PERCENTILES = (50.0, 99.0)
DESCRIPTOR_MARGIN = 64  # stdio, the poller, the listening socket, worker pipes


@dataclass(frozen=True, slots=True)
class MuxResult:
    """One design at one idle level: the --json objects."""

    mux: str
    idle: int  # idle connections asked for
    idle_held: int | None  # idle connections the server kept (select refuses fds >= FD_SETSIZE)
    connections: int  # active connections
    size: int
    rps: float | None
    mibps: float | None
    p50_us: int | None
    p99_us: int | None
    server_cpu_us_per_request: float | None
    server_cpu_percent: float | None  # of one core, over the run
    load_cpu_percent: float | None  # the busiest load process: near 100, the load was the limit
    errors: int
    mismatches: int
    note: str | None


@dataclass(frozen=True, slots=True)
class MuxPlan:
    """Which designs, which idle levels, and the load each of them gets."""

    designs: Sequence[str]
    idle_levels: Sequence[int]
    load: LoadPlan  # its target is filled in per listener
    pin: bool = True


MuxSink = Callable[[str], None]  # "epoll, 1000 idle": what runs now, for the progress display


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


class ListenerProcess:
    """`netkit listen tcp --mux DESIGN --port 0` in the background, stderr kept in a file."""

    def __init__(self, design: str, cpu: int | None, transport: str = "tcp") -> None:
        self.design = design
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  # lives as long as the listener
        argv = [sys.executable, "-m", "netkit", "listen", transport, "--mux", design, "--port", "0"]
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            env={**os.environ, "NO_COLOR": "1"},
            start_new_session=True,  # Ctrl-C is ours to handle; we stop it ourselves
        )
        if cpu is not None:
            os.sched_setaffinity(self.process.pid, {cpu})
        self.port = self._wait_ready()

    def _stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def _wait_ready(self) -> int:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            match = READY.search(self._stderr())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        lines = self._stderr().strip().splitlines()
        self.stop()
        said = f": {lines[-1]}" if lines else ""
        raise NetkitError(f"netkit listen --mux {self.design} did not become ready{said}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_bytes(self) -> int:
        import psutil

        return int(psutil.Process(self.pid).memory_info().rss)

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


@contextmanager
def idle_connections(port: int, count: int, timeout: float) -> Iterator[list[socket.socket]]:
    """Open ``count`` connections that never send, and close them afterwards."""
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            held.append(sock)
        yield held
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else error.strerror or str(error)
        raise NetkitError(f"opening idle connection {len(held) + 1} of {count}: {reason}") from None
    finally:
        for sock in held:
            sock.close()


def count_still_open(socks: list[socket.socket], settle: float = 0.3) -> int:
    """How many of these idle connections the server has not closed (EOF or RST)."""
    from netkit.listen.mux.poll import PollPoller  # poll(2): every ready descriptor in one call

    time.sleep(settle)
    poller = PollPoller()
    for sock in socks:
        poller.register(sock.fileno(), READABLE)
    closed = {fd for fd, _ in poller.wait(0)}
    return len(socks) - len(closed)


def _pin_self(cpus: set[int] | None) -> set[int] | None:
    if cpus is None or not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    return before


def _from_bench(
    design: str, idle: int, held: int | None, result: BenchResult, *, cpu: float, note: str | None
) -> MuxResult:
    per_request = round(cpu * 1e6 / result.requests, 2) if result.requests else None
    return MuxResult(
        mux=design,
        idle=idle,
        idle_held=held,
        connections=result.connections,
        size=result.size,
        rps=result.rps,
        mibps=result.mibps,
        p50_us=None if result.latency is None else result.latency.at(50.0),
        p99_us=None if result.latency is None else result.latency.at(99.0),
        server_cpu_us_per_request=per_request,
        server_cpu_percent=round(cpu * 100 / result.duration_s, 1),
        load_cpu_percent=result.load_cpu_percent,
        errors=result.errors,
        mismatches=result.mismatches,
        note=note,
    )


def _skipped(design: str, idle: int, plan: LoadPlan, note: str) -> MuxResult:
    return MuxResult(
        design, idle, None, plan.connections, plan.size, None, None, None, None, None, None, None,
        0, 0, note,
    )  # fmt: skip


def run_mux(
    plan: MuxPlan,
    on_stage: MuxSink | None = None,
    on_progress: ProgressSink | None = None,
) -> list[MuxResult]:
    """Run every design at every idle level; a design that fails is a row with a note."""
    limit = raise_open_files_limit()
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    server_cpu = min(cpus) if plan.pin and len(cpus) >= 2 else None
    load_cpus = cpus - {server_cpu} if server_cpu is not None else None
    results: list[MuxResult] = []
    stage = on_stage or (lambda text: None)
    for design in plan.designs:
        load = plan.load
        note = None
        idle_levels = list(plan.idle_levels)
        if design == "blocking":
            # One client at a time: more connections would only wait in the backlog.
            load = replace(load, connections=1, workers=1)
            note = "one client at a time: 1 connection"
            idle_levels = [level for level in idle_levels if level == 0] or [0]
        stage(f"starting netkit listen --mux {design}")
        try:
            listener = ListenerProcess(design, server_cpu)
        except NetkitError as error:
            results += [_skipped(design, level, load, error.message) for level in idle_levels]
            continue
        try:
            target = Target("tcp", host="127.0.0.1", port=str(listener.port))
            load = replace(load, target=target)
            for idle in idle_levels:
                needed = idle + load.connections + DESCRIPTOR_MARGIN
                if needed > limit:
                    reason = f"needs {needed} descriptors, RLIMIT_NOFILE allows {limit}"
                    results.append(_skipped(design, idle, load, reason))
                    continue
                stage(f"{design}, {idle:,} idle")
                results.append(
                    _measure(
                        design,
                        idle,
                        load,
                        listener,
                        load_cpus=load_cpus,
                        note=note,
                        on_progress=on_progress,
                    )
                )
                if not listener.alive():
                    rest = idle_levels[idle_levels.index(idle) + 1 :]
                    results += [_skipped(design, i, load, "the listener died") for i in rest]
                    break
        finally:
            listener.stop()
    return results


def _measure(
    design: str,
    idle: int,
    load: LoadPlan,
    listener: ListenerProcess,
    *,
    load_cpus: set[int] | None,
    note: str | None,
    on_progress: ProgressSink | None,
) -> MuxResult:
    with ExitStack() as stack:
        marks: dict[str, float] = {}

        def open_idle_then_start() -> None:
            # The active connections are open by now, so they hold the server's low descriptors.
            held = stack.enter_context(idle_connections(listener.port, idle, load.timeout))
            marks["held"] = count_still_open(held) if held else 0
            marks["cpu"] = _cpu_seconds(listener.pid)

        before = _pin_self(load_cpus)
        try:
            # The mux table's columns are p50 and p99, whatever --percentiles says.
            plan = replace(load, percentiles=MUX_PERCENTILES)
            result = run_bench(plan, on_progress, before_start=open_idle_then_start)
        except NetkitError as error:
            return _skipped(design, idle, load, error.message)
        finally:
            _pin_self(before)
        cpu = _cpu_seconds(listener.pid) - marks["cpu"]
    held = int(marks["held"]) if idle else None
    return _from_bench(design, idle, held, result, cpu=cpu, note=note)
