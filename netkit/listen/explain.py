"""listen --explain: narrate the listener's socket calls without touching its hot path.

Nothing in the serving code changes when --explain is on. Instead the sockets themselves are of
a subclass of socket.socket whose methods make the same call and then narrate it (the engine
creates its listening socket from ``ListenNarrator.socket_class``, and accept() hands out the
same class), and the poller's system interface is swapped for one that narrates (``watch``:
epoll_ctl and epoll_wait, poll, select). Without --explain the sockets are plain ones and the
pollers untouched, so the hot path is exactly what it was.

Every call is counted for the profile printed at exit; only those of the set-up and the first
``limit`` connections (UDP: datagrams) are written. Where CPython waits inside a socket method
(a socket with a timeout polls for readiness before accept or recv), that poll is narrated too
(netkit.narrated).
"""

import math
import socket
from collections.abc import Iterable
from typing import Any

from netkit.listen.mux.poller import Poller
from netkit.narrated import (
    INTERRUPTED,
    POLL_BITS,
    STOPPED,
    NarratedSocket,
    bits,
    ready,
    watch_epoll,
)
from netkit.sockcalls import CallSink, Narrator


class ListenNarrator(Narrator):
    """Shows the set-up, then the calls of the first ``limit`` connections (or datagrams), and
    counts everything."""

    def __init__(self, sink: CallSink, limit: int, started: float | None = None) -> None:
        super().__init__(sink, started)
        self.limit = limit
        self.followed: set[int] = set()  # the listener, the poller's descriptor, connections
        self.connection_fds: set[int] = set()
        self.connections = 0
        self.finished = 0
        self.datagrams = 0
        self.socket_class: type[socket.socket] = type(
            "NarratedSocket", (NarratedSocket,), {"narrator": self}
        )  # its sockets narrate to this narrator

    @property
    def done(self) -> bool:
        return self.finished >= self.limit or self.datagrams > self.limit

    def shows(self, fd: int | None) -> bool:
        return not self.done and (fd is None or fd in self.followed)

    def follow(self, fd: int) -> None:
        with self.lock:
            self.followed.add(fd)

    def accepted(self, fd: int) -> None:
        with self.lock:
            self.connections += 1
            if self.connections <= self.limit:
                self.followed.add(fd)
                self.connection_fds.add(fd)

    def closed(self, fd: int) -> None:
        with self.lock:
            self.followed.discard(fd)
            if fd in self.connection_fds:
                self.connection_fds.discard(fd)
                self.finished += 1

    def received_datagram(self) -> None:
        with self.lock:
            self.datagrams += 1

    def watch(self, poller: Poller) -> None:
        """Narrate what ``poller`` asks of the kernel (called before the loop uses it)."""
        if hasattr(poller, "epoll"):
            _watch_epoll(poller, self)
        elif hasattr(poller, "poller"):
            _watch_poll(poller, self)
        elif hasattr(poller, "_select"):
            _watch_select(poller, self)
        # kqueue (BSD, macOS) is not narrated: --explain shows its sockets' calls only.


# -- the pollers' system interfaces --------------------------------------------------------


def _watch_epoll(poller: Any, narrator: ListenNarrator) -> None:
    # The epoll instance was made a moment ago, by the poller's constructor: no call since.
    proxy = watch_epoll(poller.epoll, narrator)
    poller.epoll = proxy
    poller._poll = proxy.poll


def _watch_poll(poller: Any, narrator: ListenNarrator) -> None:
    """poll(2) takes the whole interest list each call; register and the like are bookkeeping
    in the process (no call), mirrored here in the order the poll object keeps (a dict's)."""
    interest: dict[int, int] = {}
    register, modify, unregister, wait = poller.register, poller.modify, poller.unregister, \
        poller.poller.poll  # fmt: skip

    def on_register(fd: int, mask: int) -> None:
        register(fd, mask)
        interest[fd] = mask

    def on_modify(fd: int, mask: int) -> None:
        modify(fd, mask)
        interest[fd] = mask

    def on_unregister(fd: int) -> None:
        unregister(fd)
        interest.pop(fd, None)

    def on_wait(timeout: float | None = None) -> list[tuple[int, int]]:
        entries = [f"{{fd={fd}, events={bits(m, POLL_BITS)}}}" for fd, m in interest.items()]
        shown = "[" + ", ".join(entries[:8]) + (", ...]" if len(entries) > 8 else "]")
        ms = -1 if timeout is None else math.ceil(timeout)
        try:
            events: list[tuple[int, int]] = wait(timeout)
        except BaseException:
            narrator.record("poll", (shown, len(entries), ms), None, error=INTERRUPTED,
                            meaning=STOPPED, fd=None)  # fmt: skip
            raise
        narrator.record("poll", (shown, len(entries), ms), len(events),
                        meaning=ready(events, POLL_BITS), fd=None)  # fmt: skip
        return events

    poller.register, poller.modify, poller.unregister = on_register, on_modify, on_unregister
    poller._poll = on_wait


def _watch_select(poller: Any, narrator: ListenNarrator) -> None:
    system_select = poller._select

    def on_select(
        readers: list[int], writers: list[int], errors: Any, timeout: float | None
    ) -> tuple[list[int], list[int], list[int]]:
        nfds = max([*readers, *writers], default=-1) + 1
        timeval = "NULL"
        if timeout is not None:
            seconds, micros = divmod(round(timeout * 1_000_000), 1_000_000)
            timeval = f"{{tv_sec={seconds}, tv_usec={micros}}}"
        args = (nfds, _fd_set(readers), _fd_set(writers), "NULL", timeval)
        try:
            readable, writable, failed = system_select(readers, writers, errors, timeout)
        except BaseException:
            narrator.record("select", args, None, error=INTERRUPTED, meaning=STOPPED, fd=None)
            raise
        ready = [*(f"{fd} readable" for fd in readable), *(f"{fd} writable" for fd in writable)]
        meaning = "ready: " + ", ".join(ready) if ready else "timed out"
        narrator.record("select", args, len(readable) + len(writable), meaning=meaning, fd=None)
        return readable, writable, failed

    poller._select = on_select


def _fd_set(fds: Iterable[int]) -> str:
    return "[" + " ".join(str(fd) for fd in sorted(fds)) + "]"
