"""TcpChannel over a real loopback connection: the replies a server sent before it reset the
connection are read, whichever readiness the selector reported."""

import select
import selectors
import socket
import struct

import pytest

from netkit.resolve.tcp import CLOSED_BY_SERVER, TcpChannel

QUERY = b"\x12\x34" + b"\x00" * 10
REPLY = b"\x12\x34\x81\x80" + b"\x00" * 8


def framed(message: bytes) -> bytes:
    return len(message).to_bytes(2, "big") + message


def served_and_reset(listener: socket.socket) -> TcpChannel:
    """A channel whose query the server answered, then reset the connection while the channel
    still had a second query to send."""
    channel = TcpChannel(listener.getsockname())
    server, _ = listener.accept()
    channel.queue(QUERY)
    assert channel.exchange(selectors.EVENT_WRITE) == ([], None)
    assert server.recv(len(framed(QUERY)), socket.MSG_WAITALL) == framed(QUERY)
    server.sendall(framed(REPLY))
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    channel.queue(QUERY)
    readable, _, _ = select.select([channel.sock], [], [], 5)
    assert readable
    return channel


@pytest.mark.parametrize(
    "events", [selectors.EVENT_WRITE, selectors.EVENT_READ | selectors.EVENT_WRITE]
)
def test_a_failed_write_still_reads_the_replies_ahead_of_the_reset(events: int) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        channel = served_and_reset(listener)
        try:
            replies, over = channel.exchange(events)
        finally:
            channel.close()
    assert replies == [REPLY]
    assert over in ("Connection reset by peer", "Broken pipe")


def test_a_server_that_closes_says_so_after_its_replies() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        channel = TcpChannel(listener.getsockname())
        server, _ = listener.accept()
        with server:
            server.sendall(framed(REPLY))
            server.shutdown(socket.SHUT_WR)
            select.select([channel.sock], [], [], 5)
            first = channel.exchange(selectors.EVENT_READ | selectors.EVENT_WRITE)
            second = channel.exchange(selectors.EVENT_READ)
        channel.close()
    assert (first, second) == (([REPLY], None), ([], CLOSED_BY_SERVER))
