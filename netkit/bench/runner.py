"""Run a load plan in this process or split over worker processes, and sum up the result."""

from __future__ import annotations

import os
import signal
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from netkit.bench.latency import LatencyFigures, figures, fold, merge, quick_percentiles
from netkit.bench.load import (
    IntervalSample,
    LoadLoop,
    LoadPlan,
    Progress,
    WorkerTotals,
    open_connections,
)
from netkit.errors import NetkitError
from netkit.listen.transport import raise_open_files_limit

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from netkit.bench.connect_rate import ConnectLoop

ProgressSink = Callable[[Progress], None]
READY_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class IntervalResult:
    """One --interval of the run, over every worker: a JSON Lines object."""

    interval: int
    start_s: float
    end_s: float
    requests: int
    rps: float
    mibps: float
    p50_us: int | None
    p99_us: int | None
    errors: int
    mismatches: int


IntervalSink = Callable[[IntervalResult], None]


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
    percentiles: tuple[float, ...]  # the ones asked for (--percentiles)
    requests: int
    rps: float
    mibps: float  # MiB/s each way
    # Percentiles, max, mean, stdev and the histogram; under --rate timed from when the schedule
    # said each request should go (coordinated omission corrected), and ``uncorrected`` from
    # when it went. --json puts latency's fields at the top level (p50_us, p99_9_us, max_us...).
    latency: LatencyFigures | None
    uncorrected: LatencyFigures | None
    connect: LatencyFigures | None  # --connect-rate: connect() to connected, per request
    errors: int
    mismatches: int
    lost: int  # UDP datagrams never answered (none within --timeout, the next one was sent)
    reordered: int  # UDP replies that came after the reply to a later datagram
    duplicates: int  # UDP replies to a datagram already answered
    jitter_us: float | None  # UDP: RFC 3550 interarrival jitter of the round trips
    alive: int  # connections still open at the end
    load_cpu_percent: float  # the busiest load process's CPU use: near 100, the load is the limit
    error_samples: list[str]
    interrupted: bool = False  # Ctrl-C ended the run early: the figures cover duration_s


class StopRequest:
    """Set by the first SIGINT of a run that keeps its results: the load loops look at it once
    a tick and end early, so the figures so far are summed up and printed."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested


@contextmanager
def stop_on_interrupt() -> Iterator[StopRequest]:
    """While the load runs, the first Ctrl-C asks it to stop (as iperf3 and ping print what
    they have); a second one interrupts at once, as usual."""
    stop = StopRequest()
    previous = signal.getsignal(signal.SIGINT)

    def request(signum: int, frame: object) -> None:
        stop.requested = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, request)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


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


@dataclass(frozen=True, slots=True)
class Histograms:
    """One worker's latencies as compressed HDR histograms (small enough to send to the
    parent): the requests, and where measured the uncorrected ones and the connects."""

    requests: str
    uncorrected: str | None
    connects: str | None


def encoded_histograms(totals: WorkerTotals) -> Histograms:
    """Fold a worker's raw latencies into histograms and drop the raw counters."""

    def encoded(counters: array[int] | None, slow: list[int]) -> str | None:
        return None if counters is None else fold(counters, slow).encode().decode("ascii")

    histograms = Histograms(
        requests=encoded(totals.counters, totals.slow) or "",
        uncorrected=encoded(totals.uncorrected_counters, totals.uncorrected_slow),
        connects=encoded(totals.connect_counters, totals.connect_slow),
    )
    totals.counters, totals.slow = totals.counters[:0], []
    totals.uncorrected_counters, totals.uncorrected_slow = None, []
    totals.connect_counters, totals.connect_slow = None, []
    return histograms


def summarize(
    plan: LoadPlan, totals: list[WorkerTotals], histograms: list[Histograms]
) -> BenchResult:
    requests = sum(t.requests for t in totals)
    elapsed = max((t.elapsed_s for t in totals), default=0.0) or 1e-9
    percentiles = plan.percentiles
    latency = figures(merge(h.requests for h in histograms), percentiles)
    uncorrected = connect = None
    if plan.rate is not None:
        uncorrected = figures(
            merge(h.uncorrected for h in histograms if h.uncorrected), percentiles
        )
    if plan.connect_rate:
        connect = figures(merge(h.connects for h in histograms if h.connects), percentiles)
    samples = list(dict.fromkeys(m for t in totals for m in t.error_messages))[:5]
    return BenchResult(
        transport=plan.target.transport,
        target=describe_target(plan),
        connections=plan.connections,
        size=plan.size,
        duration_s=round(elapsed, 3),
        workers=len(totals),
        rate=plan.rate,
        percentiles=percentiles,
        requests=requests,
        rps=round(requests / elapsed, 1),
        mibps=round(requests * plan.size / elapsed / (1 << 20), 2),
        latency=latency,
        uncorrected=uncorrected,
        connect=connect,
        errors=sum(t.errors for t in totals),
        mismatches=sum(t.mismatches for t in totals),
        lost=sum(t.lost for t in totals),
        reordered=sum(t.reordered for t in totals),
        duplicates=sum(t.duplicates for t in totals),
        jitter_us=_mean([t.jitter_us for t in totals if t.jitter_us is not None]),
        alive=sum(t.alive for t in totals),
        load_cpu_percent=round(max(t.cpu_s / (t.elapsed_s or 1e-9) for t in totals) * 100, 1),
        error_samples=samples,
    )


def _connect_loop(plan: LoadPlan, first_index: int) -> ConnectLoop:
    from netkit.bench.connect_rate import ConnectLoop

    return ConnectLoop(plan, first_index)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def run_bench(
    plan: LoadPlan,
    on_progress: ProgressSink | None = None,
    before_start: Callable[[], None] | None = None,
    on_interval: IntervalSink | None = None,
    should_stop: StopRequest | None = None,
) -> BenchResult:
    """Connect, run the closed loop for plan.duration, and return the figures.

    ``before_start`` runs once every connection is open, just before the load starts;
    ``on_interval`` gets each --interval of the run as it ends; ``should_stop``, once set,
    ends the run early with the figures so far (marked interrupted).
    """
    stop = should_stop or StopRequest()
    result = _run(plan, on_progress, before_start, on_interval, stop)
    return replace(result, interrupted=True) if stop.requested else result


def _run(
    plan: LoadPlan,
    on_progress: ProgressSink | None,
    before_start: Callable[[], None] | None,
    on_interval: IntervalSink | None,
    stop: StopRequest,
) -> BenchResult:
    raise_open_files_limit()
    report = on_progress or (lambda progress: None)
    intervals = _IntervalMerger(plan, on_interval or (lambda result: None))
    workers = max(1, min(plan.workers, plan.connections))
    if workers == 1 and plan.connect_rate:
        if before_start is not None:
            before_start()
        connect_loop = _connect_loop(plan, 0)
        connect_loop.should_stop = stop
        totals = connect_loop.run(report, intervals.sink(0, 1))
        return summarize(plan, [totals], [encoded_histograms(totals)])
    if workers == 1:
        socks = open_connections(plan.target, plan.connections, plan.timeout)
        try:
            if before_start is not None:
                before_start()
        except BaseException:
            for sock in socks:
                sock.close()
            raise
        loop = LoadLoop(plan, socks, 0)
        loop.should_stop = stop
        totals = loop.run(report, intervals.sink(0, 1))
        return summarize(plan, [totals], [encoded_histograms(totals)])
    return _run_in_workers(plan, workers, report, before_start, intervals, stop)


def _worker_main(plan: LoadPlan, first_index: int, count: int, channel: Connection) -> None:
    """A worker process: connect its share, wait for the start, run, send the totals back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    try:
        if plan.connect_rate:
            loop: LoadLoop | ConnectLoop = _connect_loop(replace(plan, connections=count),
                                                         first_index)  # fmt: skip
        else:
            loop = LoadLoop(plan, open_connections(plan.target, count, plan.timeout), first_index)
    except NetkitError as error:
        channel.send(("failed", error.message))
        return
    channel.send(("ready", None))
    if channel.recv() != "go":
        return
    loop.should_stop = channel.poll  # the parent sends "stop" after a Ctrl-C
    totals = loop.run(
        lambda p: channel.send(("progress", p)), lambda s: channel.send(("interval", s))
    )
    histograms = encoded_histograms(totals)
    channel.send(("done", (totals, histograms)))


def _run_in_workers(
    plan: LoadPlan,
    workers: int,
    report: ProgressSink,
    before_start: Callable[[], None] | None,
    intervals: _IntervalMerger,
    stop: StopRequest,
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
        histograms: dict[int, Histograms] = {}
        sinks = [intervals.sink(i, workers) for i in range(workers)]
        pending = set(range(workers))
        stop_sent = False
        while pending:
            if stop.requested and not stop_sent:
                for index in pending:
                    channels[index].send("stop")
                stop_sent = True
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
                elif kind == "interval":
                    sinks[index](detail)
                elif kind == "done":
                    results[index], histograms[index] = detail
                    pending.discard(index)
        intervals.flush()
        order = range(workers)
        return summarize(plan, [results[i] for i in order], [histograms[i] for i in order])
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join(5)
        for channel in channels:
            channel.close()


class _IntervalMerger:
    """Adds up the workers' samples of each interval and hands on the interval once every
    worker has reported it (a worker that ran out of connections stops early: its missing
    samples count as nothing once the others have moved two intervals on)."""

    def __init__(self, plan: LoadPlan, sink: IntervalSink) -> None:
        self.plan, self.out = plan, sink
        self.parts: dict[int, list[IntervalSample]] = {}
        self.reported = 0
        self.last_end = 0.0

    def sink(self, worker: int, workers: int) -> Callable[[IntervalSample], None]:
        def take(sample: IntervalSample) -> None:
            self.parts.setdefault(sample.index, []).append(sample)
            while self.parts.get(self.reported + 1) and (
                len(self.parts[self.reported + 1]) == workers or max(self.parts) > self.reported + 2
            ):
                self._hand_on(self.parts.pop(self.reported + 1))

        return take

    def flush(self) -> None:
        """Hand on what is left once every worker has finished."""
        for index in sorted(self.parts):
            self._hand_on(self.parts.pop(index))

    def _hand_on(self, samples: list[IntervalSample]) -> None:
        self.reported += 1
        start = self.last_end  # where the previous interval ended (late, if the load stalled)
        end = max(s.end_s for s in samples)
        self.last_end = end
        span = max(end - start, 1e-9)
        requests = sum(s.requests for s in samples)
        p50, p99 = quick_percentiles((pair for s in samples for pair in s.latencies), 0.5, 0.99)
        self.out(
            IntervalResult(
                interval=self.reported,
                start_s=round(start, 3),
                end_s=round(end, 3),
                requests=requests,
                rps=round(requests / span, 1),
                mibps=round(requests * self.plan.size / span / (1 << 20), 2),
                p50_us=p50,
                p99_us=p99,
                errors=sum(s.errors for s in samples),
                mismatches=sum(s.mismatches for s in samples),
            )
        )


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
