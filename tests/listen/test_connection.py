"""The event-driven connection state machine (netkit/listen/connection.py), driven by hand over a
socketpair: partial writes, the bounded output buffer, pause and resume, EOF after the flush."""

import socket
import struct
from collections.abc import Iterator

import pytest

from netkit.listen.connection import Connection, EchoConnection, Provisions
from netkit.listen.mux.poller import READABLE, WRITABLE

LIMIT = 64 * 1024


class _Loop:
    """Just what a Connection is handed by its loop, recording what it asks for."""

    def __init__(self) -> None:
        self.buffer = bytearray(65536)
        self.interest: list[int] = []
        self.closed: list[str] = []

    def modify(self, fd: int, mask: int) -> None:
        self.interest.append(mask)

    def close_connection(self, connection: Connection, reason: str) -> None:
        self.closed.append(reason)
        connection.sock.close()

    def connection(self, sock: socket.socket, peer: str) -> EchoConnection:
        provisions = Provisions(self.buffer, self.modify, self.close_connection, LIMIT)
        return EchoConnection(sock, peer, provisions)


@pytest.fixture
def pair() -> Iterator[tuple[EchoConnection, socket.socket, _Loop]]:
    server, client = socket.socketpair()
    for sock in (server, client):  # small buffers: partial writes come quickly
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    server.setblocking(False)
    loop = _Loop()
    connection = loop.connection(server, "test peer")
    yield connection, client, loop
    client.close()
    server.close()


def _drain(client: socket.socket) -> bytes:
    client.setblocking(False)
    received = bytearray()
    while True:
        try:
            chunk = client.recv(65536)
        except BlockingIOError:
            return bytes(received)
        if not chunk:
            return bytes(received)
        received += chunk


def test_everything_sent_at_once_keeps_only_read_interest(
    pair: tuple[EchoConnection, socket.socket, _Loop],
) -> None:
    connection, client, loop = pair
    client.send(b"ping")
    connection.on_event(READABLE)
    assert client.recv(10) == b"ping"
    assert loop.interest == [] and connection.interest == READABLE
    assert connection.sent_total() == connection.bytes_in == 4


def test_partial_writes_fill_the_buffer_then_pause_then_resume(
    pair: tuple[EchoConnection, socket.socket, _Loop],
) -> None:
    connection, client, loop = pair
    client.setblocking(False)
    sent = bytearray()
    for index in range(200):  # the client never reads: the echo backs up
        chunk = bytes([index]) * 1000
        try:
            client.send(chunk)
        except BlockingIOError:
            break
        sent += chunk
        connection.on_event(READABLE)
        if connection.interest == WRITABLE:
            break
    assert loop.interest[0] == READABLE | WRITABLE  # a partial write: watch writability
    assert connection.interest == WRITABLE  # buffer full: stop reading this client
    assert LIMIT <= len(connection.pending) < LIMIT + 65536
    received = bytearray()
    for _ in range(1000):  # the client reads now; each writable event flushes some more
        received += _drain(client)
        connection.on_event(WRITABLE)
        if connection.interest == READABLE and not connection.pending:
            break
    received += _drain(client)
    assert READABLE | WRITABLE in loop.interest[1:]  # reading resumed below half the limit
    assert connection.interest == READABLE
    assert bytes(received) == bytes(sent[: len(received)])
    assert connection.sent_total() == connection.bytes_in


def test_eof_closes_only_after_the_last_byte(
    pair: tuple[EchoConnection, socket.socket, _Loop],
) -> None:
    connection, client, loop = pair
    client.setblocking(False)
    payload = bytes(range(256)) * 160
    sent = 0
    while sent < len(payload):
        try:
            sent += client.send(payload[sent:])
        except BlockingIOError:
            connection.on_event(READABLE)
    client.shutdown(socket.SHUT_WR)
    received = bytearray()
    for _ in range(1000):
        connection.on_event(READABLE | WRITABLE if connection.pending else READABLE)
        received += _drain(client)
        if loop.closed:
            break
    received += _drain(client)
    assert loop.closed == ["eof"]
    assert bytes(received) == payload


def test_reset_is_reported() -> None:
    loop = _Loop()
    server, client = _tcp_pair()  # a socketpair cannot be reset: this needs TCP
    try:
        connection = loop.connection(server, "tcp peer")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # abortive close: RST
        for _ in range(100):
            connection.on_event(READABLE)
            if loop.closed:
                break
        assert loop.closed == ["reset"]
    finally:
        server.close()


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    server.setblocking(False)
    return server, client
