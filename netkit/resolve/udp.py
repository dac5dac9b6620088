"""One connected UDP socket to a DNS server, shared by the queries waiting on it.

A few of these per server spread the queries over source ports (RFC 5452 section 9.2) without
paying for a socket per query. The engine reads and writes the socket; the channel holds it.
"""

import socket

from netkit.resolve.inflight import Channel, Server

_RECEIVE_BUFFER = 1 << 20  # room for a burst of replies while Python is busy decoding


class UdpChannel(Channel):
    """A non-blocking UDP socket connected to one server."""

    __slots__ = ("sock",)

    def __init__(self, server: Server) -> None:
        super().__init__(server)
        family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        self.sock = self.socket_class(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
        # connect(): the kernel drops datagrams from other sources and reports the server's
        # ICMP port unreachable as ECONNREFUSED instead of a silent timeout.
        self.sock.connect(server)

    def close(self) -> None:
        self.sock.close()
