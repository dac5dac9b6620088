"""The load generator's hot loop: closed-loop echo round trips over many sockets at once.

Each connection sends its message, waits for the whole echo, checks it byte for byte and sends
again. Built for throughput: the listener's best poller (epoll on Linux, see
``netkit.listen.mux``), level-triggered, one shared receive buffer
filled with recv_into, state in lists indexed by descriptor, bound methods looked up once, and
per round trip no allocation but the timestamp. A latency is one increment in a counter array
(netkit.bench.latency folds it into an HDR histogram off the hot path). Under --rate a Pacer
releases requests on a fixed schedule and latency counts from each one's slot in it.
"""

from __future__ import annotations

import socket
import sys
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from netkit.bench.latency import DEFAULT_PERCENTILES, SLOTS, Snapshots, new_counters
from netkit.bench.sequence import Sequences
from netkit.connect import Target, unix_address
from netkit.errors import NetkitError
from netkit.listen.mux import default_poller
from netkit.listen.mux.poller import READABLE, WRITABLE, Poller

MAX_RECEIVE_BUFFER = 1 << 20
TICK_NS = 200_000_000  # progress, timeouts and the end of the run are checked this often
TICK_S = TICK_NS / 1e9
IN, OUT = READABLE, WRITABLE
# start_request(fd, scheduled, clock): send fd's message; latency counts from ``scheduled``.
StartRequest = Callable[[int, int, int], None]
PATTERN_PHASES = 251  # prime < 256: every connection's message starts at a different byte


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """What to run: where, how many connections, message size, for how long, how fast."""

    target: Target
    connections: int = 16
    size: int = 512
    duration: float = 5.0
    rate: float | None = None  # round trips per second over all connections; None: unlimited
    timeout: float = 5.0  # a round trip waiting longer is an error (TCP) or a lost datagram (UDP)
    workers: int = 1
    interval: float | None = None  # seconds between IntervalSamples; None: none
    connect_rate: bool = False  # a new connection per request (netkit.bench.connect_rate)
    percentiles: tuple[float, ...] = DEFAULT_PERCENTILES


@dataclass(frozen=True, slots=True)
class Progress:
    """Running totals of one worker (or all of them), reported every tick."""

    requests: int
    errors: int
    mismatches: int
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class IntervalSample:
    """What one worker did in one --interval: counts, and its latencies as (µs, count) pairs."""

    index: int  # 1, 2, ...
    end_s: float  # since the start of the load
    requests: int
    errors: int
    mismatches: int
    latencies: list[tuple[int, int]]


@dataclass(slots=True)
class WorkerTotals:
    """What one worker measured."""

    requests: int = 0
    errors: int = 0
    mismatches: int = 0
    lost: int = 0  # UDP: datagrams never answered
    reordered: int = 0  # UDP: answered after a later datagram was
    duplicates: int = 0  # UDP: second replies to one datagram
    jitter_us: float | None = None  # UDP: RFC 3550 jitter over consecutive replies
    alive: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # this process's CPU time over the run: is the load generator the limit?
    counters: array[int] = field(default_factory=new_counters)
    slow: list[int] = field(default_factory=list)
    # --rate: latencies from the actual send (counters and slow: from the scheduled one)
    uncorrected_counters: array[int] | None = None
    uncorrected_slow: list[int] = field(default_factory=list)
    # --connect-rate: how long each connect took
    connect_counters: array[int] | None = None
    connect_slow: list[int] = field(default_factory=list)
    error_messages: list[str] = field(default_factory=list)


def message_pattern(size: int) -> bytes:
    """Bytes 0..255 repeated; connection i sends the ``size`` bytes starting at i % 251."""
    return (bytes(range(256)) * (size // 256 + 2))[: size + PATTERN_PHASES]


def resolve(target: Target) -> tuple[int, int, object]:
    if target.transport == "unix":
        return socket.AF_UNIX, socket.SOCK_STREAM, unix_address(target.path)
    kind = socket.SOCK_DGRAM if target.transport == "udp" else socket.SOCK_STREAM
    host = target.host[1:-1] if target.host.startswith("[") else target.host
    try:
        infos = socket.getaddrinfo(host, target.port, target.family, kind)
    except socket.gaierror as error:
        raise NetkitError(f"cannot resolve {target.host}: {error.strerror}") from None
    family, socktype, _, _, address = infos[0]
    return family, socktype, address


def open_connections(target: Target, count: int, timeout: float) -> list[socket.socket]:
    """Connect ``count`` sockets (blocking connect with a timeout, then non-blocking)."""
    family, socktype, address = resolve(target)
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socktype)
            opened.append(sock)
            sock.settimeout(timeout)
            sock.connect(address)  # type: ignore[arg-type]  # an address from getaddrinfo
            sock.setblocking(False)
            if target.transport == "tcp":
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as error:
        for sock in opened:
            sock.close()
        reason = "timed out" if isinstance(error, TimeoutError) else error.strerror or str(error)
        where = target.path if target.transport == "unix" else f"{target.host} port {target.port}"
        done = f" after {len(opened) - 1} connections" if len(opened) > 1 else ""
        raise NetkitError(
            f"connect to {where} ({target.transport}) failed{done}: {reason}"
        ) from None
    return opened


class _Connections:
    """The per-descriptor tables both loops index (lists: the fastest lookup there is), and
    what happens to a connection that fails. Only the hot loops touch the tables per round trip."""

    def __init__(
        self,
        socks: list[socket.socket],
        first_index: int,
        size: int,
        poller: Poller,
        totals: WorkerTotals,
        *,
        paced: bool,
    ) -> None:
        self.pattern = message_pattern(size)
        pattern_view = memoryview(self.pattern)
        top = max(s.fileno() for s in socks) + 1
        self.messages: list[memoryview] = [pattern_view] * top
        self.offsets = [0] * top
        # When each connection's request started: under --rate, when the schedule said it
        # should (latency is measured from there, wrk2's coordinated-omission correction), and
        # sent_at when it really went out (the timeout and the uncorrected figures count from
        # there). Without a schedule the two are one list.
        self.started_at = [0] * top
        self.sent_at = [0] * top if paced else self.started_at
        self.recv_into: list[Callable[..., int]] = [len] * top
        self.send: list[Callable[..., int]] = [len] * top
        self.by_fd: dict[int, socket.socket] = {}
        for position, sock in enumerate(socks):
            fd = sock.fileno()
            offset = (first_index + position) % PATTERN_PHASES
            self.offsets[fd] = offset
            self.messages[fd] = pattern_view[offset : offset + size]
            self.recv_into[fd], self.send[fd] = sock.recv_into, sock.send
            self.by_fd[fd] = sock
        self.poller = poller
        self.waiting: deque[int] = deque()  # --rate: connections whose next send is not due yet
        self.totals = totals  # fail() counts errors there

    def fail(self, fd: int, why: str) -> None:
        sock = self.by_fd.pop(fd, None)
        if sock is None:  # already counted
            return
        totals = self.totals
        totals.errors += 1
        if len(totals.error_messages) < 5 and why not in totals.error_messages:
            totals.error_messages.append(why)  # distinct reasons: the count is in errors
        self.poller.unregister(fd)  # poll(2) would report a closed descriptor forever
        sock.close()
        if fd in self.waiting:
            self.waiting.remove(fd)

    def start(self, begin: int, paced: bool, start_request: StartRequest) -> None:
        """Watch every connection and send its first message (or queue it, under --rate)."""
        for fd in list(self.by_fd):
            self.poller.register(fd, IN)
            if paced:
                self.waiting.append(fd)
            else:
                start_request(fd, begin, begin)

    def overdue(self, clock: int, timeout_ns: int) -> list[int]:
        """Connections whose echo is older than the timeout."""
        stale = clock - timeout_ns
        sent_at, waiting = self.sent_at, self.waiting
        return [fd for fd in self.by_fd if sent_at[fd] < stale and fd not in waiting]


class Pacer:
    """--rate: a fixed schedule, one request every 1/rate seconds over all connections.

    The schedule never skips: after a stall the requests it missed go out as fast as
    connections come free, each timed from its slot in the schedule. Skipping them (or timing
    them from when they were sent) would leave out exactly the requests that waited, the
    coordinated omission wrk2 corrects."""

    def __init__(self, rate: float, begin: int) -> None:
        self.interval_ns = int(1e9 / rate)
        self.next_send = begin

    def release(self, clock: int, waiting: deque[int], start_request: StartRequest) -> float:
        """Start what is due; return how long to wait for events (seconds)."""
        interval = self.interval_ns
        while waiting and self.next_send <= clock:
            start_request(waiting.popleft(), self.next_send, clock)
            self.next_send += interval
        pause = (self.next_send - clock) / 1e9 if waiting else TICK_S
        return min(max(pause, 0.0), TICK_S)


class Intervals:
    """--interval: what the run gained since the last report, handed to a sink."""

    def __init__(
        self, totals: WorkerTotals, sink: Callable[[IntervalSample], None], begin: int
    ) -> None:
        self.totals, self.sink, self.begin = totals, sink, begin
        self.snapshots = Snapshots()
        self.index = self.requests = self.errors = self.mismatches = 0

    def report(self, clock: int) -> None:
        totals = self.totals
        self.index += 1
        self.sink(
            IntervalSample(
                index=self.index,
                end_s=(clock - self.begin) / 1e9,
                requests=totals.requests - self.requests,
                errors=totals.errors - self.errors,
                mismatches=totals.mismatches - self.mismatches,
                latencies=self.snapshots.take(totals.counters, totals.slow),
            )
        )
        self.requests, self.errors = totals.requests, totals.errors
        self.mismatches = totals.mismatches


class LoadLoop:
    """One process's share of the connections, driven until the duration is over."""

    def __init__(self, plan: LoadPlan, socks: list[socket.socket], first_index: int) -> None:
        self.plan = plan
        self.socks = socks
        self.first_index = first_index
        self.totals = WorkerTotals()
        if plan.rate is not None:
            self.totals.uncorrected_counters = new_counters()
        self.on_tick: Callable[[Progress], None] = lambda progress: None
        self.on_interval: Callable[[IntervalSample], None] = lambda sample: None
        # Asked once a tick: True ends the run early, with what was measured so far (Ctrl-C).
        self.should_stop: Callable[[], bool] = lambda: False

    def run(
        self,
        on_tick: Callable[[Progress], None],
        on_interval: Callable[[IntervalSample], None] | None = None,
    ) -> WorkerTotals:
        cpu_before = time.process_time()
        self.on_tick = on_tick
        if on_interval is not None:
            self.on_interval = on_interval
        poller = default_poller()
        totals = self.totals
        paced = self.plan.rate is not None
        conns = _Connections(
            self.socks, self.first_index, self.plan.size, poller, totals, paced=paced
        )
        if self.plan.target.transport == "udp":
            self._run_udp(conns)
        else:
            self._run_stream(conns)
        totals.alive = len(conns.by_fd)
        totals.cpu_s = time.process_time() - cpu_before
        poller.close()
        for sock in self.socks:
            sock.close()
        return totals

    def _rounds(
        self,
        conns: _Connections,
        start_request: StartRequest,
        on_overdue: Callable[[int, int], None],
    ) -> Iterator[Iterable[tuple[int, int]]]:
        """The frame both load loops share: start every connection, then wait for events (paced
        under --rate) and hand each batch to the caller's own inline loop. Every tick it deals
        with overdue connections, reports progress (and at --interval boundaries the interval)
        and ends the run when the time is up or no connection is left. The caller stores its
        counters in the totals after each batch."""
        plan, totals = self.plan, self.totals
        wait, waiting, by_fd = conns.poller.wait, conns.waiting, conns.by_fd
        now = time.perf_counter_ns
        timeout_ns = int(plan.timeout * 1e9)
        begin = now()
        end = begin + int(plan.duration * 1e9)
        interval_ns = int(plan.interval * 1e9) if plan.interval else 0
        next_interval = begin + interval_ns if interval_ns else end + 1
        intervals = Intervals(totals, self.on_interval, begin) if interval_ns else None
        next_tick = min(begin + TICK_NS, next_interval)
        pacer = None if plan.rate is None else Pacer(plan.rate, begin)
        conns.start(begin, pacer is not None, start_request)
        while True:
            if pacer is None:
                yield wait(TICK_S)
            else:
                yield wait(pacer.release(now(), waiting, start_request))
            clock = now()
            if clock >= next_tick:
                for fd in conns.overdue(clock, timeout_ns):
                    on_overdue(fd, clock)
                elapsed = (clock - begin) / 1e9
                self.on_tick(Progress(totals.requests, totals.errors, totals.mismatches, elapsed))
                finished = clock >= end or not by_fd or self.should_stop()
                if intervals is not None and (clock >= next_interval or finished):
                    intervals.report(clock)
                    next_interval += interval_ns
                if finished:
                    break
                next_tick = min(clock + TICK_NS, end, next_interval)
        totals.elapsed_s = (now() - begin) / 1e9

    # The two loops below keep the per-event work inline on purpose: locals are the fastest names
    # in CPython, and a helper call per round trip would cost more than the rest of the Python
    # work in it. Only the frame around them (a generator resumed once per wait) is shared.

    def _run_stream(self, conns: _Connections) -> None:
        plan, totals = self.plan, self.totals
        size = plan.size
        pattern = conns.pattern
        receive_buffer = bytearray(min(size, MAX_RECEIVE_BUFFER))
        receive_view = memoryview(receive_buffer)
        receive_room = len(receive_buffer)
        modify = conns.poller.modify
        messages, offsets, started_at = conns.messages, conns.offsets, conns.started_at
        recv_into, send, fail, waiting = conns.recv_into, conns.send, conns.fail, conns.waiting
        sent = [0] * len(messages)
        got = [0] * len(messages)
        damaged = [False] * len(messages)
        counters, slow = totals.counters, totals.slow
        sent_at = conns.sent_at
        uncorrected, uncorrected_slow = totals.uncorrected_counters, totals.uncorrected_slow
        now = time.perf_counter_ns
        paced = plan.rate is not None
        requests = mismatches = 0

        def start_request(fd: int, scheduled: int, clock: int) -> None:
            started_at[fd], sent_at[fd] = scheduled, clock
            try:
                done = send[fd](messages[fd])
            except OSError as error:
                fail(fd, error.strerror or str(error))
                return
            sent[fd] = done
            if done < size:
                modify(fd, IN | OUT)

        def give_up(fd: int, clock: int) -> None:
            fail(fd, f"no echo within {plan.timeout:g} s")

        for events in self._rounds(conns, start_request, give_up):
            for fd, happened in events:
                try:
                    if happened & OUT and sent[fd] < size:
                        done = sent[fd]
                        done += send[fd](messages[fd][done:] if done else messages[fd])
                        sent[fd] = done
                        if done == size:
                            modify(fd, IN)
                        if not happened & ~OUT:
                            continue
                    wanted = size - got[fd]
                    if wanted > receive_room:  # noqa: PLR1730  # a comparison costs less than min()
                        wanted = receive_room
                    received = recv_into[fd](receive_buffer, wanted)
                except BlockingIOError:
                    continue
                except OSError as error:
                    fail(fd, error.strerror or str(error))
                    continue
                if received == size:  # the whole echo in one read: the common case
                    if receive_buffer != messages[fd]:
                        mismatches += 1
                elif received:
                    before = got[fd]
                    if not pattern.startswith(receive_view[:received], offsets[fd] + before):
                        damaged[fd] = True
                    before += received
                    if before < size:
                        got[fd] = before
                        continue
                    got[fd] = 0
                    if damaged[fd]:
                        damaged[fd] = False
                        mismatches += 1
                else:
                    fail(fd, "connection closed by the server")
                    continue
                clock = now()
                micros = (clock - started_at[fd]) // 1000
                if micros < SLOTS:
                    counters[micros] += 1
                else:
                    slow.append(micros)
                requests += 1
                if paced:  # the uncorrected latency too, then wait for the schedule
                    micros = (clock - sent_at[fd]) // 1000
                    if micros < SLOTS:
                        uncorrected[micros] += 1  # type: ignore[index]  # paced: an array
                    else:
                        uncorrected_slow.append(micros)
                    waiting.append(fd)
                    continue
                started_at[fd] = clock
                try:
                    done = send[fd](messages[fd])
                except OSError as error:
                    fail(fd, error.strerror or str(error))
                    continue
                if done < size:
                    sent[fd] = done
                    modify(fd, IN | OUT)
            totals.requests, totals.mismatches = requests, mismatches

    def _run_udp(self, conns: _Connections) -> None:
        plan, totals = self.plan, self.totals
        size = plan.size
        receive_buffer = bytearray(size)
        # Linux reports a datagram's real length with MSG_TRUNC, so an oversized one is caught.
        flags = getattr(socket, "MSG_TRUNC", 0) if sys.platform.startswith("linux") else 0
        # Each datagram carries its socket's sequence number: the messages are stamped in place.
        messages = [bytearray(message) for message in conns.messages]
        sequences = Sequences(len(messages), size)
        current, answered, stamp, mask = (
            sequences.current,
            sequences.answered,
            sequences.field.pack_into,
            sequences.mask,
        )
        judge, give_up = sequences.judge, sequences.give_up
        started_at, sent_at = conns.started_at, conns.sent_at
        recv_into, send, fail, waiting = conns.recv_into, conns.send, conns.fail, conns.waiting
        counters, slow = totals.counters, totals.slow
        uncorrected, uncorrected_slow = totals.uncorrected_counters, totals.uncorrected_slow
        # RFC 3550 jitter over consecutive replies, whichever socket they came to: the sockets
        # share one path, and two locals cost less per datagram than a pair of lists.
        last_transit = -1  # the round-trip time of the last reply (ns)
        jitter = 0  # in ns x 16
        now = time.perf_counter_ns
        paced = plan.rate is not None
        requests = mismatches = 0

        def start_request(fd: int, scheduled: int, clock: int) -> None:
            started_at[fd], sent_at[fd] = scheduled, clock
            number = current[fd] + 1 & mask
            current[fd] = number
            stamp(messages[fd], 0, number)
            try:
                send[fd](messages[fd])
            except BlockingIOError:
                pass  # the send buffer is full: the datagram counts as lost at the timeout
            except OSError as error:
                fail(fd, error.strerror or str(error))

        def send_again(fd: int, clock: int) -> None:
            give_up(fd)  # no reply in time: send the next datagram
            start_request(fd, clock, clock)

        for events in self._rounds(conns, start_request, send_again):
            for fd, _happened in events:
                try:
                    received = recv_into[fd](receive_buffer, size, flags)
                except BlockingIOError:
                    continue
                except OSError as error:  # ECONNREFUSED: an ICMP port unreachable came back
                    fail(fd, error.strerror or str(error))
                    continue
                if received == size and receive_buffer == messages[fd]:
                    answered[fd] = current[fd]
                elif judge(fd, receive_buffer, received, messages[fd]):
                    continue  # late or duplicate: the datagram in flight is still awaited
                else:
                    mismatches += 1
                clock = now()
                transit = clock - sent_at[fd]
                micros = (clock - started_at[fd]) // 1000
                if micros < SLOTS:
                    counters[micros] += 1
                else:
                    slow.append(micros)
                requests += 1
                if last_transit >= 0:  # RFC 3550 appendix A.8's integer form: jitter kept x16
                    difference = transit - last_transit
                    if difference < 0:
                        difference = -difference
                    jitter += difference - ((jitter + 8) >> 4)
                last_transit = transit
                if paced:  # the uncorrected latency too, then wait for the schedule
                    micros = transit // 1000
                    if micros < SLOTS:
                        uncorrected[micros] += 1  # type: ignore[index]  # paced: an array
                    else:
                        uncorrected_slow.append(micros)
                    waiting.append(fd)
                    continue
                started_at[fd] = sent_at[fd] = clock
                number = current[fd] + 1 & mask
                current[fd] = number
                stamp(messages[fd], 0, number)
                try:
                    send[fd](messages[fd])
                except BlockingIOError:
                    pass
                except OSError as error:
                    fail(fd, error.strerror or str(error))
            totals.requests, totals.mismatches = requests, mismatches
        totals.lost = sequences.lost
        totals.reordered, totals.duplicates = sequences.reordered, sequences.duplicates
        totals.jitter_us = jitter / 16_000 if last_transit >= 0 else None
