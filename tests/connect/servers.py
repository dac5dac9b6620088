"""Small loopback servers for the client tests: each runs in a thread and stops on exit."""

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Handler = Callable[[socket.socket], None]


def echo_all(conn: socket.socket) -> None:
    """Echo as data arrives, close after the client's EOF."""
    while data := conn.recv(65536):
        conn.sendall(data)


def reply_after_eof(delay: float, reply: bytes | None = None) -> Handler:
    """Read until the client half-closes, wait ``delay``, then send ``reply`` (or the input)."""

    def handle(conn: socket.socket) -> None:
        received = bytearray()
        while data := conn.recv(65536):
            received += data
        time.sleep(delay)
        conn.sendall(reply if reply is not None else bytes(received))

    return handle


@contextmanager
def _serving(listener: socket.socket, handler: Handler) -> Iterator[None]:
    """Accept on ``listener`` in a thread, one thread per connection, until the block ends."""
    listener.listen(16)
    listener.settimeout(0.2)
    stopping = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.settimeout(20)
            handler(conn)

    def accept_loop() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopping.set()
        thread.join(5)
        listener.close()


@contextmanager
def stream_server(handler: Handler, family: int = socket.AF_INET) -> Iterator[tuple[str, int]]:
    """A threaded TCP server on loopback (IPv4 or IPv6); yields its host and port."""
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    host, port = listener.getsockname()[:2]
    with _serving(listener, handler):
        yield host, port


@contextmanager
def unix_server(handler: Handler, path: str) -> Iterator[None]:
    """A threaded Unix stream server at ``path`` (a leading NUL: abstract), removed afterwards."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    try:
        with _serving(listener, handler):
            yield
    finally:
        if not path.startswith("\0"):  # an abstract name leaves no file behind
            os.unlink(path)


@contextmanager
def udp_echo_server(
    replies_per_datagram: int = 1, delay: float = 0.0, family: int = socket.AF_INET
) -> Iterator[tuple[str, int]]:
    """A UDP server that answers each datagram ``replies_per_datagram`` times after ``delay``."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    sock.settimeout(0.2)
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            time.sleep(delay)
            for _ in range(replies_per_datagram):
                sock.sendto(data, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[:2]
    finally:
        stopping.set()
        thread.join(5)
        sock.close()


def ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True
