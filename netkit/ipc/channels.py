"""The channels the IPC benchmark compares, each as two ends made before fork() (as ipcbench.c)."""

import io
import os
import shutil
import socket
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

STREAM_KINDS = ("pipe", "socketpair", "unix", "tcp")
DATAGRAM_KINDS = ("udp", "unix-dgram")
KINDS = STREAM_KINDS + DATAGRAM_KINDS
# The largest payload each datagram kind carries: IPv4's 65535 - 20 - 8 for UDP; for Unix
# datagrams the send buffer limits it (net.core.wmem_default, 208 KiB by default).
MAX_DATAGRAM = {"udp": 65507, "unix-dgram": 65536}

ReadInto = Callable[[memoryview], int]
Write = Callable[[memoryview], int]


@dataclass(slots=True)
class End:
    """One process's end of a channel: where it reads, where it writes, and what to close."""

    read_into: ReadInto
    write: Write
    finish_writing: Callable[[], None]  # the peer then reads EOF (datagrams: an empty one)
    close: Callable[[], None]
    sock: socket.socket | None = None

    def set_receive_timeout(self, seconds: float) -> None:
        """SO_RCVTIMEO: a blocking receive gives up (EAGAIN) after this long, with no poll()
        per call the way socket.settimeout() would add."""
        if self.sock is not None:
            usec = int(seconds * 1_000_000)
            timeval = struct.pack("ll", usec // 1_000_000, usec % 1_000_000)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)


@dataclass(slots=True)
class Channel:
    kind: str
    parent: End
    child: End


def _pipe_end(read_fd: int, write_fd: int) -> End:
    reader = io.FileIO(read_fd, "rb")
    writer = io.FileIO(write_fd, "wb")

    def close() -> None:
        reader.close()
        writer.close()

    # FileIO.write is one write(2): it may be partial, which the caller finishes.
    return End(reader.readinto, writer.write, writer.close, close)


def _socket_end(sock: socket.socket) -> End:
    if sock.type == socket.SOCK_DGRAM:

        def finish() -> None:
            sock.send(b"")  # a zero-length datagram: the end marker

    else:

        def finish() -> None:
            sock.shutdown(socket.SHUT_WR)

    return End(sock.recv_into, sock.send, finish, sock.close, sock)


def _connected_pair(
    family: socket.AddressFamily, kind: socket.SocketKind
) -> tuple[socket.socket, socket.socket]:
    """Connected sockets over a real address, 127.0.0.1 or a Unix path, as ipcbench.c makes them."""
    if family == socket.AF_UNIX:
        directory = tempfile.mkdtemp(prefix="netkit-ipc-")
        address: str | tuple[str, int] = os.path.join(directory, "bench.sock")
    else:
        directory, address = None, ("127.0.0.1", 0)
    try:
        first = socket.socket(family, kind)
        first.bind(address)
        if kind == socket.SOCK_STREAM:
            first.listen(1)
            second = socket.socket(family, kind)
            second.connect(first.getsockname())
            accepted, _ = first.accept()
            first.close()
            first = accepted
        else:
            second = socket.socket(family, kind)
            second.bind(("127.0.0.1", 0))
            second.connect(first.getsockname())
            first.connect(second.getsockname())
        return first, second
    finally:
        if directory is not None:  # connected sockets no longer need their names
            shutil.rmtree(directory, ignore_errors=True)


def open_channel(kind: str) -> Channel:
    """Both ends of a channel of this kind; each side closes the other's after fork()."""
    if kind == "pipe":  # one pipe per direction, as pipes are one-way
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        return Channel(kind, _pipe_end(up_read, down_write), _pipe_end(down_read, up_write))
    if kind == "socketpair":
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    elif kind == "unix":
        parent, child = _connected_pair(socket.AF_UNIX, socket.SOCK_STREAM)
    elif kind == "tcp":
        parent, child = _connected_pair(socket.AF_INET, socket.SOCK_STREAM)
        for sock in (parent, child):  # round trips must not wait for Nagle (ipcbench.c does too)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    elif kind == "udp":
        parent, child = _connected_pair(socket.AF_INET, socket.SOCK_DGRAM)
    elif kind == "unix-dgram":
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    else:
        raise ValueError(f"unknown channel kind {kind!r}")
    return Channel(kind, _socket_end(parent), _socket_end(child))
