"""Run a load plan in this process or split over worker processes, and sum up the result."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from netkit.bench.latency import Latencies, sparse
from netkit.bench.load import LoadLoop, LoadPlan, Progress, WorkerTotals, open_connections
from netkit.errors import NetkitError
from netkit.listen.transport import raise_open_files_limit

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

ProgressSink = Callable[[Progress], None]
READY_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class BenchResult:
    """The figures of one run; the --json fields."""

    transport: str
    target: str
    connections: int
    size: int
    duration_s: float
    workers: int
    rate: float | None
    requests: int
    rps: float
    mibps: float  # MiB/s each way
    p50_us: int | None
    p90_us: int | None
    p99_us: int | None
    max_us: int | None
    errors: int
    mismatches: int
    lost: int  # UDP datagrams without a reply in --timeout (sent again)
    alive: int  # connections still open at the end
    load_cpu_percent: float  # the busiest load process's CPU use: near 100, the load is the limit
    error_samples: list[str]


def describe_target(plan: LoadPlan) -> str:
    target = plan.target
    if target.transport == "unix":
        return target.path
    host = (
        f"[{target.host}]"
        if ":" in target.host and not target.host.startswith("[")
        else target.host
    )
    return f"{host}:{target.port}"


def summarize(plan: LoadPlan, totals: list[WorkerTotals], latencies: Latencies) -> BenchResult:
    requests = sum(t.requests for t in totals)
    elapsed = max((t.elapsed_s for t in totals), default=0.0) or 1e-9
    p50, p90, p99 = latencies.percentiles(0.50, 0.90, 0.99)
    samples = list(dict.fromkeys(m for t in totals for m in t.error_messages))[:5]
    return BenchResult(
        transport=plan.target.transport,
        target=describe_target(plan),
        connections=plan.connections,
        size=plan.size,
        duration_s=round(elapsed, 3),
        workers=len(totals),
        rate=plan.rate,
        requests=requests,
        rps=round(requests / elapsed, 1),
        mibps=round(requests * plan.size / elapsed / (1 << 20), 2),
        p50_us=p50,
        p90_us=p90,
        p99_us=p99,
        max_us=latencies.maximum(),
        errors=sum(t.errors for t in totals),
        mismatches=sum(t.mismatches for t in totals),
        lost=sum(t.lost for t in totals),
        alive=sum(t.alive for t in totals),
        load_cpu_percent=round(max(t.cpu_s / (t.elapsed_s or 1e-9) for t in totals) * 100, 1),
        error_samples=samples,
    )


def run_bench(
    plan: LoadPlan,
    on_progress: ProgressSink | None = None,
    before_start: Callable[[], None] | None = None,
) -> BenchResult:
    """Connect, run the closed loop for plan.duration, and return the figures.

    ``before_start`` runs once every connection is open, just before the load starts.
    """
    raise_open_files_limit()
    report = on_progress or (lambda progress: None)
    workers = max(1, min(plan.workers, plan.connections))
    if workers == 1:
        socks = open_connections(plan.target, plan.connections, plan.timeout)
        try:
            if before_start is not None:
                before_start()
        except BaseException:
            for sock in socks:
                sock.close()
            raise
        totals = LoadLoop(plan, socks, 0).run(report)
        latencies = Latencies()
        latencies.add_counters(totals.counters, totals.slow)
        return summarize(plan, [totals], latencies)
    return _run_in_workers(plan, workers, report, before_start)


def _worker_main(plan: LoadPlan, first_index: int, count: int, channel: Connection) -> None:
    """A worker process: connect its share, wait for the start, run, send the totals back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    try:
        socks = open_connections(plan.target, count, plan.timeout)
    except NetkitError as error:
        channel.send(("failed", error.message))
        return
    channel.send(("ready", None))
    if channel.recv() != "go":
        return
    totals = LoadLoop(plan, socks, first_index).run(lambda p: channel.send(("progress", p)))
    counts = sparse(totals.counters, totals.slow)
    totals.counters = totals.counters[:0]
    totals.slow = []
    channel.send(("done", (totals, counts)))


def _run_in_workers(
    plan: LoadPlan, workers: int, report: ProgressSink, before_start: Callable[[], None] | None
) -> BenchResult:
    import multiprocessing
    from multiprocessing.connection import wait

    # fork is cheap and safe here: no threads exist yet (the progress display starts later).
    linux = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork") if linux else multiprocessing.get_context("spawn")
    share, extra = divmod(plan.connections, workers)
    channels: list[Connection] = []
    processes = []
    first = 0
    try:
        for index in range(workers):
            count = share + (1 if index < extra else 0)
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_worker_main, args=(plan, first, count, child_end), daemon=True
            )
            process.start()
            child_end.close()
            channels.append(parent_end)
            processes.append(process)
            first += count
        for channel in channels:
            if not channel.poll(READY_TIMEOUT):
                raise NetkitError("a load worker did not get its connections open in time")
            kind, detail = channel.recv()
            if kind == "failed":
                raise NetkitError(str(detail))
        if before_start is not None:
            before_start()
        for channel in channels:
            channel.send("go")
        latest: dict[int, Progress] = {}
        results: dict[int, WorkerTotals] = {}
        latencies = Latencies()
        pending = set(range(workers))
        while pending:
            ready = wait([channels[i] for i in pending], timeout=plan.duration + plan.timeout + 30)
            if not ready:
                raise NetkitError("a load worker stopped answering")
            for item in ready:
                channel = cast("Connection", item)
                index = channels.index(channel)
                try:
                    kind, detail = channel.recv()
                except EOFError:
                    raise NetkitError(f"load worker {index} died") from None
                if kind == "progress":
                    latest[index] = detail
                    report(_sum_progress(latest.values()))
                elif kind == "done":
                    totals, counts = detail
                    results[index] = totals
                    latencies.add_sparse(counts)
                    pending.discard(index)
        return summarize(plan, [results[i] for i in range(workers)], latencies)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join(5)
        for channel in channels:
            channel.close()


def _sum_progress(parts: Iterable[Progress]) -> Progress:
    items = list(parts)
    return Progress(
        requests=sum(p.requests for p in items),
        errors=sum(p.errors for p in items),
        mismatches=sum(p.mismatches for p in items),
        elapsed_s=max(p.elapsed_s for p in items),
    )


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
