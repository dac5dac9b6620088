"""One connection's state machine, shared by every event-driven back end (select, poll, epoll,
kqueue): read, echo at once, buffer only the unsent rest, pause reading while the buffer is full,
and after the peer's EOF flush everything before closing. A back end only decides how to wait."""

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from netkit.listen.engine import close_reason
from netkit.listen.mux.poller import READABLE, TROUBLE, WRITABLE


@dataclass(frozen=True, slots=True)
class Provisions:
    """All a connection uses beyond its socket, handed over by the loop that opens it."""

    buffer: bytearray  # the read buffer, one per loop: the data has left it before the next read
    modify: Callable[[int, int], None]  # the poller's: change what the connection waits for
    close_connection: "Callable[[Connection, str], None]"  # the loop's: close and report
    output_limit: int  # echo: reading pauses while this many bytes are unsent
    sink: Callable[[str, bytes], None] | None = None  # --print: where the data goes
    # One view of the buffer for all the connections too: 10,000 views would cost ~2 MB.
    view: memoryview = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "view", memoryview(self.buffer))  # frozen: set once, here


class Connection:
    """Reading, counting and closing; a behaviour says what happens to the bytes read."""

    __slots__ = (
        "buffer",
        "bytes_in",
        "bytes_out",
        "close_connection",
        "eof",
        "fd",
        "idle_mark",
        "idle_since",
        "interest",
        "modify",
        "opened",
        "peer",
        "pending",
        "recv_into",
        "send",
        "sock",
        "view",
    )

    def __init__(self, sock: socket.socket, peer: str, provisions: Provisions) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = peer
        self.buffer = provisions.buffer
        self.view = provisions.view
        self.modify = provisions.modify
        self.close_connection = provisions.close_connection
        self.recv_into = sock.recv_into
        self.send = sock.send
        self.pending = bytearray()  # echoed bytes the kernel did not take yet
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
            self.close_connection(self, close_reason(error))
            return
        if not n:
            self.close_connection(self, "eof")
            return
        self.bytes_in += n
        self.received(n)

    def received(self, n: int) -> None:
        """The first ``n`` bytes of the shared buffer arrived."""

    def queue_output(self, data: bytes) -> None:
        """--print's standard input for this peer: only PrintConnection sends it."""

    def sent_total(self) -> int:
        return self.bytes_out

    def set_interest(self, mask: int) -> None:
        if mask != self.interest:
            self.interest = mask
            self.modify(self.fd, mask)


class DiscardConnection(Connection):
    """--discard: read and count, nothing else."""

    __slots__ = ()


class PrintConnection(Connection):
    """--print: hand every chunk to the observer (which writes it to stdout)."""

    __slots__ = ("sink",)

    def __init__(self, sock: socket.socket, peer: str, provisions: Provisions) -> None:
        super().__init__(sock, peer, provisions)
        assert provisions.sink is not None, "--print needs a data sink"
        self.sink = provisions.sink

    def received(self, n: int) -> None:
        self.sink(self.peer, bytes(self.view[:n]))

    def on_event(self, mask: int) -> None:
        if mask & WRITABLE and not self.flush_output():
            return
        if mask & (READABLE | TROUBLE):
            Connection.on_event(self, mask)

    def queue_output(self, data: bytes) -> None:
        """Send what netkit's standard input read; keep what the socket does not take yet."""
        self.pending += data
        if self.flush_output() and self.pending:
            self.set_interest(READABLE | WRITABLE)

    def flush_output(self) -> bool:
        """False when the connection is gone."""
        try:
            sent = self.send(self.pending)
        except BlockingIOError:
            return True
        except OSError as error:
            self.close_connection(self, close_reason(error))
            return False
        self.bytes_out += sent
        del self.pending[:sent]
        if not self.pending:
            self.set_interest(READABLE)
        return True


class EchoConnection(Connection):
    """Echo, with partial writes kept and a bounded output buffer (backpressure): reading
    pauses while ``limit`` bytes are unsent."""

    __slots__ = ("limit",)

    def __init__(self, sock: socket.socket, peer: str, provisions: Provisions) -> None:
        super().__init__(sock, peer, provisions)
        self.limit = provisions.output_limit

    def on_event(self, mask: int) -> None:
        # The hot path: readable, nothing queued: one recv_into, one send, no allocation
        # beyond the memoryview slice, no clock, no logging.
        if mask != READABLE:
            self.on_other_event(mask)
            return
        try:
            n = self.recv_into(self.buffer)
        except BlockingIOError:
            return
        except OSError as error:
            self.close_connection(self, close_reason(error))
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
            self.close_connection(self, close_reason(error))
            return
        if sent != n:  # bytes_out is not counted here: for echo it is bytes_in - len(pending)
            pending += self.view[sent:n]
            self.set_interest(READABLE | WRITABLE)

    def on_other_event(self, mask: int) -> None:
        """Writable, or an error/hang-up (reported even while reading is paused)."""
        if self.pending and not self.flush():
            return
        if mask & (READABLE | TROUBLE) and self.interest & READABLE:
            EchoConnection.on_event(self, READABLE)

    def sent_total(self) -> int:
        # Every byte read was either sent or is still queued: one counter fewer on the hot path.
        return self.bytes_in - len(self.pending)

    def flush(self) -> bool:
        """Send what is queued; False when the connection is gone."""
        pending = self.pending
        try:
            sent = self.send(pending)
        except BlockingIOError:
            return True
        except OSError as error:
            self.close_connection(self, close_reason(error))
            return False
        del pending[:sent]
        if pending:
            if not self.eof and len(pending) < self.limit // 2:
                self.set_interest(READABLE | WRITABLE)  # drained enough: read again
            return True
        if self.eof:  # the peer half-closed and now has every byte: close (our FIN follows)
            self.close_connection(self, "eof")
            return False
        self.set_interest(READABLE)
        return True

    def at_eof(self) -> None:
        self.eof = True
        if self.pending:
            self.set_interest(WRITABLE)
        else:
            self.close_connection(self, "eof")
