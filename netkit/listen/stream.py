"""Serving one connection with blocking calls: the blocking and thread back ends share this.

Blocking I/O gets partial writes and backpressure for free: sendall() waits until the peer
reads, and while it waits this connection reads nothing more."""

import socket
import time

from netkit.listen.config import READ_BUFFER_SIZE, Behaviour
from netkit.listen.engine import Engine, close_reason

# The blocking designs wait in accept() with this timeout (seconds), so that --once and signals
# are noticed; it is also how long they hold off when accept() runs out of descriptors.
ACCEPT_WAKEUP = 0.5


class BlockingConnection:
    """Byte counters another thread (the live --stats view) may read while this one serves."""

    __slots__ = ("bytes_in", "bytes_out", "opened", "peer", "sock")

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self.sock = sock
        self.peer = peer
        self.bytes_in = 0
        self.bytes_out = 0
        self.opened = time.monotonic()


def serve_connection(engine: Engine, connection: BlockingConnection, buffer: bytearray) -> str:
    """Serve until EOF or an error; returns why it ended. The socket is left open."""
    sock = connection.sock
    sock.settimeout(engine.config.idle_timeout)  # None: plain blocking calls
    if engine.tcp_nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if engine.config.tls is not None:
        from netkit.listen.tls import blocking_handshake

        tls = blocking_handshake(engine.config.tls, sock, engine.config.idle_timeout)
        if isinstance(tls, str):
            return tls
        sock = connection.sock = tls
    behaviour = engine.config.behaviour
    sink = engine.observer.data if behaviour is Behaviour.PRINT else None
    echo = behaviour is Behaviour.ECHO
    view = memoryview(buffer)
    recv_into = sock.recv_into
    sendall = sock.sendall
    try:
        while True:
            n = recv_into(buffer)
            if not n:
                return "eof"
            connection.bytes_in += n
            if echo:
                # Counted before the send: a stop signal raises in the main thread between any
                # two bytecodes, and one landing after sendall() returned must not lose bytes the
                # peer already has. A send that fails ends the connection and takes them back.
                connection.bytes_out += n
                try:
                    sendall(view[:n])
                except OSError:
                    connection.bytes_out -= n
                    raise
            elif sink is not None:
                sink(connection.peer, bytes(view[:n]))
    except OSError as error:
        return close_reason(error)


def send_quietly(connection: BlockingConnection, data: bytes) -> None:
    """--print's standard input to one peer, from the reader thread (a socket is full duplex:
    the serving thread may be in recv meanwhile). A peer that is gone is its thread's news."""
    try:
        connection.sock.sendall(data)
    except OSError:
        return
    connection.bytes_out += len(data)


def close_stream(engine: Engine, sock: socket.socket) -> None:
    """Close a served connection (with close_notify first under --tls)."""
    if engine.config.tls is None:
        sock.close()
        return
    from netkit.listen.tls import close_politely

    close_politely(sock)


def new_buffer() -> bytearray:
    return bytearray(READ_BUFFER_SIZE)
