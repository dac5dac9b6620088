"""One connection's state machine, shared by every event-driven back end (select, poll, epoll,
kqueue): read, echo at once, buffer only the unsent rest, pause reading while the buffer is full,
and after the peer's EOF flush everything before closing. A back end only decides how to wait."""

import socket
import time
from typing import TYPE_CHECKING

from netkit.listen.engine import close_reason

if TYPE_CHECKING:
    from netkit.listen.mux.loop import EventLoop

# poll(2) bits; epoll(7) uses the same values on Linux and the kqueue back end translates.
READABLE = 0x001  # POLLIN / EPOLLIN
WRITABLE = 0x004  # POLLOUT / EPOLLOUT
TROUBLE = 0x008 | 0x010  # POLLERR | POLLHUP: always reported, whatever was asked for


class Connection:
    """The discard behaviour, and the base every behaviour extends."""

    __slots__ = (
        "buffer",
        "bytes_in",
        "bytes_out",
        "eof",
        "fd",
        "idle_mark",
        "idle_since",
        "interest",
        "limit",
        "loop",
        "opened",
        "peer",
        "pending",
        "recv_into",
        "send",
        "sock",
        "view",
    )

    def __init__(self, loop: "EventLoop", sock: socket.socket, peer: str) -> None:
        self.loop = loop
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = peer
        self.buffer = (
            loop.buffer
        )  # one read buffer per loop: the data leaves it before the next read
        self.view = loop.view
        self.recv_into = sock.recv_into
        self.send = sock.send
        self.pending = bytearray()  # echoed bytes the kernel did not take yet
        self.limit = loop.engine.config.output_limit
        self.eof = False
        self.interest = READABLE
        self.bytes_in = 0
        self.bytes_out = 0
        self.opened = self.idle_since = time.monotonic()
        self.idle_mark = 0

    def on_event(self, mask: int) -> None:
        try:
            n = self.recv_into(self.buffer)
        except BlockingIOError:
            return
        except OSError as error:
            self.loop.close_connection(self, close_reason(error))
            return
        if not n:
            self.loop.close_connection(self, "eof")
            return
        self.bytes_in += n
        self.received(n)

    def received(self, n: int) -> None:
        """The first ``n`` bytes of the shared buffer arrived (discard: nothing to do)."""

    def set_interest(self, mask: int) -> None:
        if mask != self.interest:
            self.interest = mask
            self.loop.modify(self.fd, mask)


class PrintConnection(Connection):
    """--print: hand every chunk to the observer (which writes it to stdout)."""

    __slots__ = ("sink",)

    def __init__(self, loop: "EventLoop", sock: socket.socket, peer: str) -> None:
        super().__init__(loop, sock, peer)
        sink = loop.engine.observer.data
        assert sink is not None, "--print needs a data callback"
        self.sink = sink

    def received(self, n: int) -> None:
        self.sink(self.peer, bytes(self.view[:n]))


class EchoConnection(Connection):
    """Echo, with partial writes kept and a bounded output buffer (backpressure)."""

    __slots__ = ()

    def on_event(self, mask: int) -> None:
        # The hot path: one recv_into, one send, no allocation beyond the memoryview slice.
        if self.pending and mask & (WRITABLE | TROUBLE) and not self.flush():
            return
        if not self.interest & READABLE:
            return  # paused (buffer full or EOF seen): only writability matters now
        try:
            n = self.recv_into(self.buffer)
        except BlockingIOError:
            return
        except OSError as error:
            self.loop.close_connection(self, close_reason(error))
            return
        if not n:
            self.at_eof()
            return
        self.bytes_in += n
        pending = self.pending
        if pending:  # older bytes still queued: keep the order
            pending += self.view[:n]
            if len(pending) >= self.limit:
                self.set_interest(WRITABLE)
            return
        try:
            sent = self.send(self.view[:n])
        except BlockingIOError:
            sent = 0
        except OSError as error:
            self.loop.close_connection(self, close_reason(error))
            return
        self.bytes_out += sent
        if sent != n:
            pending += self.view[sent:n]
            self.set_interest(READABLE | WRITABLE)

    def flush(self) -> bool:
        """Send what is queued; False when the connection is gone."""
        pending = self.pending
        try:
            sent = self.send(pending)
        except BlockingIOError:
            return True
        except OSError as error:
            self.loop.close_connection(self, close_reason(error))
            return False
        self.bytes_out += sent
        del pending[:sent]
        if pending:
            if not self.eof and len(pending) < self.limit // 2:
                self.set_interest(READABLE | WRITABLE)  # drained enough: read again
            return True
        if self.eof:  # the peer half-closed and now has every byte: close (our FIN follows)
            self.loop.close_connection(self, "eof")
            return False
        self.set_interest(READABLE)
        return True

    def at_eof(self) -> None:
        self.eof = True
        if self.pending:
            self.set_interest(WRITABLE)
        else:
            self.loop.close_connection(self, "eof")
