"""--connect-rate: a new connection for every request, as `ab` without keep-alive does.

Each of the plan's connection slots connects (non-blocking), sends the message, reads the whole
echo, checks it, closes and starts over. Two latencies are recorded per request: the connect
(from the connect call to the socket becoming writable, the handshake) and the whole request
(from the connect call, or its slot in the --rate schedule, to the last byte of the echo).

Connections are closed with an abortive close (SO_LINGER with a zero timeout: a RST, no FIN):
the side that closes first keeps a TIME_WAIT entry for a minute, and thousands of connections
a second would otherwise use up the ephemeral ports of the machine.

The cost of a request here is the system's (socket, connect, accept, close), so this loop is
written plainly rather than for the last nanosecond like netkit.bench.load's.
"""

from __future__ import annotations

import errno
import socket
import struct
import time
from array import array
from collections import deque
from collections.abc import Callable

from netkit.bench.latency import SLOTS, new_counters
from netkit.bench.load import (
    IN,
    OUT,
    TICK_NS,
    TICK_S,
    Intervals,
    IntervalSample,
    LoadPlan,
    Pacer,
    Progress,
    WorkerTotals,
    message_pattern,
    resolve,
)
from netkit.listen.mux import default_poller

ABORTIVE_CLOSE = struct.pack("ii", 1, 0)  # struct linger {l_onoff = 1, l_linger = 0}


def _record(counters: array[int] | None, slow: list[int], nanoseconds: int) -> None:
    micros = nanoseconds // 1000
    if counters is not None and micros < SLOTS:
        counters[micros] += 1
    else:
        slow.append(micros)


class ConnectLoop:
    """One process's connection slots, driven until the duration is over."""

    def __init__(self, plan: LoadPlan, first_index: int) -> None:
        self.plan = plan
        self.first_index = first_index
        self.totals = WorkerTotals(connect_counters=new_counters())
        if plan.rate is not None:
            self.totals.uncorrected_counters = new_counters()
        self.family, self.socktype, self.address = resolve(plan.target)
        self.poller = default_poller()
        self.pattern = message_pattern(plan.size)
        self.buffer = bytearray(min(plan.size, 1 << 16))
        self.should_stop: Callable[[], bool] = lambda: False  # Ctrl-C: end early, keep results
        self.socks: dict[int, socket.socket] = {}
        self.slot_of: dict[int, int] = {}
        self.scheduled: dict[int, int] = {}  # when its request was due (latency counts from it)
        self.opened: dict[int, int] = {}  # when its connect was called
        self.sent: dict[int, int] = {}  # bytes of the message sent
        self.got: dict[int, int] = {}  # bytes of the echo received and checked
        self.damaged: set[int] = set()
        self.connected: set[int] = set()
        self.waiting: deque[int] = deque()  # slots waiting for the --rate schedule
        # Slots whose connect failed at once (a Unix path with no listener): tried again on
        # the loop's next turn, not from inside the failure, which would recurse without end.
        self.retry: list[int] = []

    def run(
        self,
        on_tick: Callable[[Progress], None],
        on_interval: Callable[[IntervalSample], None] | None = None,
    ) -> WorkerTotals:
        plan, totals = self.plan, self.totals
        cpu_before = time.process_time()
        now = time.perf_counter_ns
        begin = now()
        end = begin + int(plan.duration * 1e9)
        timeout_ns = int(plan.timeout * 1e9)
        interval_ns = int(plan.interval * 1e9) if plan.interval else 0
        next_interval = begin + interval_ns if interval_ns else end + 1
        intervals = Intervals(totals, on_interval, begin) if on_interval and interval_ns else None
        next_tick = min(begin + TICK_NS, next_interval)
        pacer = None if plan.rate is None else Pacer(plan.rate, begin)
        for slot in range(plan.connections):
            if pacer is None:
                self._open(slot, begin, begin)
            else:
                self.waiting.append(slot)
        try:
            while True:
                pause = TICK_S if pacer is None else pacer.release(now(), self.waiting, self._open)
                for fd, happened in self.poller.wait(pause):
                    self._advance(fd, happened, now)
                clock = now()
                if self.retry:
                    retry, self.retry = self.retry, []
                    for slot in retry:
                        self._open(slot, clock, clock)
                if clock < next_tick:
                    continue
                for fd in [fd for fd, at in self.opened.items() if at < clock - timeout_ns]:
                    self._fail(fd, f"no echo within {plan.timeout:g} s", clock)
                elapsed = (clock - begin) / 1e9
                on_tick(Progress(totals.requests, totals.errors, totals.mismatches, elapsed))
                finished = clock >= end or self.should_stop()
                if intervals is not None and (clock >= next_interval or finished):
                    intervals.report(clock)
                    next_interval += interval_ns
                if finished:
                    break
                next_tick = min(clock + TICK_NS, end, next_interval)
        finally:
            totals.elapsed_s = (now() - begin) / 1e9
            totals.alive = plan.connections  # slots, each of which ends its connection
            for sock in self.socks.values():
                sock.close()
            self.poller.close()
            totals.cpu_s = time.process_time() - cpu_before
        return totals

    def _open(self, slot: int, scheduled: int, clock: int) -> None:
        sock = socket.socket(self.family, self.socktype)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, ABORTIVE_CLOSE)
        if self.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fd = sock.fileno()
        self.socks[fd], self.slot_of[fd] = sock, slot
        self.scheduled[fd], self.opened[fd] = scheduled, clock
        self.sent[fd] = self.got[fd] = 0
        code = sock.connect_ex(self.address)  # type: ignore[arg-type]  # from getaddrinfo
        if code not in (0, errno.EINPROGRESS, errno.EAGAIN):
            self.poller.register(fd, OUT)
            self._fail(fd, f"connect: {errno.errorcode.get(code, code)}", clock, again=False)
            return
        self.poller.register(fd, OUT)

    def _message(self, fd: int) -> memoryview:
        offset = (self.first_index + self.slot_of[fd]) % 251
        return memoryview(self.pattern)[offset : offset + self.plan.size]

    def _advance(self, fd: int, happened: int, now: Callable[[], int]) -> None:
        sock = self.socks.get(fd)
        if sock is None:
            return
        size = self.plan.size
        try:
            if happened & OUT:
                if fd not in self.connected:  # writable the first time: the handshake is done
                    self.connected.add(fd)
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code:
                        raise OSError(code, errno.errorcode.get(code, str(code)))
                    _record(self.totals.connect_counters, self.totals.connect_slow,
                            now() - self.opened[fd])  # fmt: skip
                done = self.sent[fd]
                done += sock.send(self._message(fd)[done:])
                self.sent[fd] = done
                if done == size:
                    self.poller.modify(fd, IN)
                return
            received = sock.recv_into(self.buffer, min(size - self.got[fd], len(self.buffer)))
        except BlockingIOError:
            return
        except OSError as error:
            self._fail(fd, f"{error.strerror or error}", now())
            return
        if not received:
            self._fail(fd, "connection closed by the server", now())
            return
        before = self.got[fd]
        offset = (self.first_index + self.slot_of[fd]) % 251 + before
        if not self.pattern.startswith(memoryview(self.buffer)[:received], offset):
            self.damaged.add(fd)
        self.got[fd] = before + received
        if self.got[fd] == size:
            self._complete(fd, now())

    def _complete(self, fd: int, clock: int) -> None:
        totals = self.totals
        _record(totals.counters, totals.slow, clock - self.scheduled[fd])
        if totals.uncorrected_counters is not None:
            _record(totals.uncorrected_counters, totals.uncorrected_slow, clock - self.opened[fd])
        totals.requests += 1
        if fd in self.damaged:
            totals.mismatches += 1
        self._next(fd, clock)

    def _fail(self, fd: int, why: str, clock: int, *, again: bool = True) -> None:
        totals = self.totals
        totals.errors += 1
        if len(totals.error_messages) < 5 and why not in totals.error_messages:
            totals.error_messages.append(why)
        self._next(fd, clock, again=again)

    def _next(self, fd: int, clock: int, *, again: bool = True) -> None:
        """Close this request's connection and start the slot's next one (not ``again`` at
        once: on the loop's next turn)."""
        slot = self.slot_of.pop(fd)
        self.poller.unregister(fd)
        self.socks.pop(fd).close()
        for table in (self.scheduled, self.opened, self.sent, self.got):
            del table[fd]
        self.damaged.discard(fd)
        self.connected.discard(fd)
        if self.plan.rate is not None:
            self.waiting.append(slot)
        elif again:
            self._open(slot, clock, clock)
        else:
            self.retry.append(slot)
