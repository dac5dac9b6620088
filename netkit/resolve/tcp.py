"""One non-blocking TCP connection to a DNS server carrying pipelined queries (RFC 7766 6.2.1).

Messages go out back to back, each behind its 2-octet length (RFC 1035 section 4.2.2), and
replies come back in any order: the engine matches them by id. The channel only moves bytes.
"""

import errno
import os
import selectors
import socket

from netkit.resolve.inflight import Channel, Server

_READ_SIZE = 65536  # one reply at most 65,535 octets plus its length; well under 128 KiB
CLOSED_BY_SERVER = "the server closed the connection"


class TcpChannel(Channel):
    """A connection, its unsent bytes, its partial reply, and the queries waiting on it."""

    __slots__ = ("answered", "connected", "incoming", "outgoing", "retired", "sock")

    def __init__(self, server: Server) -> None:
        """Start connecting; OSError when the kernel refuses at once."""
        super().__init__(server)
        family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        self.sock = self.socket_class(family, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        status = self.sock.connect_ex(server)
        if status not in (0, errno.EINPROGRESS):
            self.sock.close()
            raise OSError(status, os.strerror(status))
        self.connected = False
        self.outgoing = bytearray()
        self.incoming = bytearray()
        self.answered = 0
        self.retired = False  # takes no new queries (one timed out on it); closes when idle

    def queue(self, message: bytes) -> None:
        self.outgoing += len(message).to_bytes(2, "big")
        self.outgoing += message

    def exchange(self, events: int) -> tuple[list[bytes], str | None]:
        """Read what came, then write what waits, as events (selector readiness) allow: the
        complete replies that arrived, and why the connection is over (None while it is not).

        Reading comes first, and a failed write still reads: a server may answer and reset the
        connection at once (RFC 7766 lets it close), and the write that finds the reset must not
        lose the replies ahead of it, for a connection that was served is asked again.
        """
        replies: list[bytes] = []
        try:
            if events & selectors.EVENT_READ:
                received = self.receive()
                if received is None:
                    return replies, CLOSED_BY_SERVER
                replies += received
            if events & selectors.EVENT_WRITE:
                self.flush()
        except OSError as error:
            for _ in range(4):  # a reset leaves at most a receive buffer to read: bounded
                try:
                    received = self.receive()
                except OSError:
                    break
                if not received:
                    break
                replies += received
            return replies, error.strerror or str(error)
        return replies, None

    def flush(self) -> None:
        """Finish connecting if need be and send what the socket takes; OSError on failure."""
        if not self.connected:
            status = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if status:
                raise OSError(status, os.strerror(status))
            self.connected = True
        if self.outgoing:
            try:
                sent = self.sock.send(self.outgoing)
            except BlockingIOError:
                return
            del self.outgoing[:sent]

    def receive(self) -> list[bytes] | None:
        """The complete replies that arrived (maybe none); None when the server closed."""
        try:
            chunk = self.sock.recv(_READ_SIZE)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self.incoming += chunk
        replies = []
        start = 0
        while len(self.incoming) - start >= 2:
            length = int.from_bytes(self.incoming[start : start + 2], "big")
            if len(self.incoming) - start - 2 < length:
                break
            replies.append(bytes(self.incoming[start + 2 : start + 2 + length]))
            start += 2 + length
        del self.incoming[:start]
        return replies

    def close(self) -> None:
        self.sock.close()
