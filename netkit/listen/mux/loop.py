"""The event loop every readiness-based design shares; a design only supplies the poller, that
is, how to wait (netkit.listen.mux.poller)."""

import contextlib
import socket
import time
from collections import deque
from collections.abc import Callable

from netkit.listen.config import READ_BUFFER_SIZE, Behaviour
from netkit.listen.connection import (
    Connection,
    DiscardConnection,
    EchoConnection,
    PrintConnection,
    Provisions,
)
from netkit.listen.datagram import DatagramService
from netkit.listen.engine import Engine
from netkit.listen.mux.poller import READABLE, Poller

ACCEPT_BATCH = 64  # connections taken per readiness report of the listening socket
RETRY_ACCEPT_AFTER = 0.5  # seconds, when out of descriptors and no connection closes meanwhile

_CONNECTION_CLASSES: dict[Behaviour, type[Connection]] = {
    Behaviour.ECHO: EchoConnection,
    Behaviour.DISCARD: DiscardConnection,
    Behaviour.PRINT: PrintConnection,
}


class EventLoop:
    """Level-triggered readiness loop: one thread, every socket non-blocking, over any poller.
    Masks use the poll(2) bits (READABLE, WRITABLE; POLLERR/POLLHUP may come back unasked)."""

    def __init__(self, engine: Engine, poller: Poller) -> None:
        self.engine = engine
        assert engine.bound is not None
        self.listener = engine.bound.sock
        self.poller = poller
        if engine.watch_poller is not None:  # --explain: before anyone keeps its methods
            engine.watch_poller(poller)
        self.handlers: dict[int, Callable[[int], None]] = {}
        self.connections: dict[int, Connection] = {}
        self.connection_class = _CONNECTION_CLASSES[engine.config.behaviour]
        self.provisions = Provisions(
            buffer=bytearray(READ_BUFFER_SIZE),
            modify=poller.modify,
            close_connection=self.close_connection,
            output_limit=engine.config.output_limit,
            sink=engine.observer.data,
        )
        self.accept_paused_at: float | None = None
        # --print's standard input, handed over by the reader thread (netkit.listen.peer_input)
        self.peer_input: deque[bytes] = deque()
        self.wake: tuple[socket.socket, socket.socket] | None = None  # (loop's end, thread's)
        if engine.config.peer_input_fd is not None:
            self.wake = socket.socketpair()
            for end in self.wake:
                end.setblocking(False)

    # -- the loop -----------------------------------------------------------------------------

    def serve(self) -> None:
        engine = self.engine
        listen_fd = self.listener.fileno()
        if engine.config.transport == "udp":
            self.handlers[listen_fd] = DatagramService(engine, self.listener).drain
        else:
            self.handlers[listen_fd] = self.on_acceptable
        self.poller.register(listen_fd, READABLE)
        if self.wake is not None:
            self.handlers[self.wake[0].fileno()] = self.on_peer_input
            self.poller.register(self.wake[0].fileno(), READABLE)
        wait = self.poller.wait
        handlers = self.handlers
        idle_timeout = engine.config.idle_timeout
        idle_tick = None if idle_timeout is None else min(1.0, max(idle_timeout / 4, 0.05))
        next_idle_check = time.monotonic() + (idle_tick or 0)
        while engine.running:
            timeout = idle_tick if self.accept_paused_at is None else RETRY_ACCEPT_AFTER / 2
            for fd, mask in wait(timeout):
                handlers[fd](mask)
            if timeout is None:
                continue
            now = time.monotonic()
            if (
                self.accept_paused_at is not None
                and now - self.accept_paused_at >= RETRY_ACCEPT_AFTER
            ):
                self.resume_accepting()
            if idle_tick is not None and idle_timeout is not None and now >= next_idle_check:
                self.close_idle(now, idle_timeout)
                next_idle_check = now + idle_tick

    def on_acceptable(self, mask: int) -> None:
        admit, listener, engine = self.engine.admit, self.listener, self.engine
        for _ in range(ACCEPT_BATCH):
            if not admit(listener, self) or not engine.running:
                return

    # -- --print's standard input to every peer ----------------------------------------------

    def broadcast(self, data: bytes) -> None:
        """From the reader thread: queue, and wake the loop (deque appends are thread-safe)."""
        self.peer_input.append(data)
        assert self.wake is not None
        with contextlib.suppress(BlockingIOError):  # full: the loop has wake-ups pending already
            self.wake[1].send(b"\0")

    def on_peer_input(self, mask: int) -> None:
        assert self.wake is not None
        with contextlib.suppress(BlockingIOError):
            while self.wake[0].recv(4096):
                pass
        while self.peer_input:
            data = self.peer_input.popleft()
            for connection in list(self.connections.values()):
                connection.queue_output(data)

    # -- what the admission path (Engine.admit) asks of this back end ------------------------

    def open_now(self) -> int:
        return len(self.connections)

    def open(self, sock: socket.socket, peer: str) -> str | None:
        fd = sock.fileno()
        reason = self.poller.refusal(fd)
        if reason is not None:
            return reason
        sock.setblocking(False)
        if self.engine.tcp_nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = self.connection_class(sock, peer, self.provisions)
        self.connections[fd] = connection
        self.handlers[fd] = connection.on_event
        tls = self.engine.config.tls
        if tls is not None:
            from netkit.listen.tls import wrap_for_loop

            self.handlers[fd] = wrap_for_loop(tls, connection, self.handlers).on_event
        self.poller.register(fd, READABLE)
        return None

    def close_connection(self, connection: Connection, reason: str) -> None:
        fd = connection.fd
        if self.connections.pop(fd, None) is None:
            return
        del self.handlers[fd]
        self.poller.unregister(fd)
        if self.engine.config.tls is not None:
            from netkit.listen.tls import close_politely

            close_politely(connection.sock)
        else:
            connection.sock.close()
        self.engine.closed(
            connection.peer,
            connection.bytes_in,
            connection.sent_total(),
            connection.opened,
            reason,
        )
        if self.accept_paused_at is not None:
            self.resume_accepting()  # a descriptor just came free

    # -- out of descriptors, idle connections, shutdown ---------------------------------------

    def pause_accepting(self) -> None:
        if self.accept_paused_at is None:
            self.poller.unregister(self.listener.fileno())
        self.accept_paused_at = time.monotonic()

    def resume_accepting(self) -> None:
        if self.accept_paused_at is not None:
            self.accept_paused_at = None
            self.poller.register(self.listener.fileno(), READABLE)

    def close_idle(self, now: float, idle_timeout: float) -> None:
        # Activity is seen through the byte counters, so the hot path never reads the clock.
        for connection in list(self.connections.values()):
            moved = connection.bytes_in + connection.sent_total()
            if moved != connection.idle_mark:
                connection.idle_mark = moved
                connection.idle_since = now
            elif now - connection.idle_since >= idle_timeout:
                self.close_connection(connection, "idle")

    def close_all(self) -> None:
        for connection in list(self.connections.values()):
            self.close_connection(connection, "shutdown")
        self.poller.close()
        for end in self.wake or ():
            end.close()

    def live_totals(self) -> tuple[int, int, int]:
        connections = list(self.connections.values())
        return (
            len(connections),
            sum(c.bytes_in for c in connections),
            sum(c.sent_total() for c in connections),
        )
