"""Load and fault checks every stream back end must pass; test_mux.py runs each over the designs
it applies to. A check takes the fixture's start function and the --mux name."""

import socket
import struct
import time
from collections.abc import Callable

from tests.listen.clients import Listener, echo_many, payload, wait_until

Start = Callable[..., Listener]

SIZES = (1, 1000, 65537, 1 << 20, 16 << 20)
FLOOD_PATTERN = (1 << 20) + 7  # not a multiple of any buffer size: a slip would show


def every_size_in_order(start: Start, mux: str, transport: str = "tcp") -> None:
    """1 byte to 16 MiB, each on its own connection, content verified."""
    listener = _start(start, transport, mux, "-q")
    for seed, size in enumerate(SIZES):
        data = payload(size, seed)
        assert echo_many(listener, [data]) == [data], f"{size}-byte echo differs"


def many_clients_at_once(start: Start, mux: str, clients: int = 200, size: int = 20000) -> None:
    listener = start("tcp", "--port", "0", "--mux", mux, "-q")
    sent = [payload(size + i, seed=i) for i in range(clients)]
    assert echo_many(listener, sent, half_close=False) == sent


def beyond_fd_setsize(start: Start, mux: str, clients: int = 1200) -> None:
    """More clients at once than select could ever watch, all served, memory small."""
    listener = start("tcp", "--port", "0", "--mux", mux, "-q")
    sent = [i.to_bytes(4, "big") * 25 for i in range(clients)]
    assert echo_many(listener, sent, half_close=False) == sent
    assert listener.rss_kib() < 64 * 1024


def half_close_gets_everything(start: Start, mux: str, transport: str = "tcp") -> None:
    """Send, shut the write side, then read: the whole echo, then EOF (nothing dropped at EOF)."""
    listener = _start(start, transport, mux)
    data = payload(3 << 20, seed=5)
    with listener.connect() as sock:
        sock.sendall(data[:100])
        sock.shutdown(socket.SHUT_WR)
        assert _read_to_eof(sock) == data[:100]
    assert echo_many(listener, [data]) == [data]  # bigger than every buffer on the way


def backpressure_bounds_memory(start: Start, mux: str, others_served: bool = True) -> None:
    """A client that floods without reading: the server stops reading it, its memory stays
    bounded, other clients are still served, and the flooder gets every byte once it reads."""
    listener = start("tcp", "--port", "0", "--mux", mux, "-q")
    time.sleep(0.2)
    baseline = listener.rss_kib()
    flooder = listener.connect()
    flooder.setblocking(False)
    pattern = payload(FLOOD_PATTERN, seed=9)  # the flood repeats it: byte i is pattern[i % len]
    limit = 512 << 20
    sent, stalled_since = 0, None
    deadline = time.monotonic() + 20
    while sent < limit and time.monotonic() < deadline:
        offset = sent % len(pattern)
        try:
            sent += flooder.send(pattern[offset:] + pattern[:offset])
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 1.0:
                break  # every buffer on the way is full: the server stopped reading us
            time.sleep(0.01)
    assert sent < limit, "the server kept reading a client that never reads"
    growth_mib = (listener.rss_kib() - baseline) / 1024
    assert growth_mib < 16, f"server grew by {growth_mib:.1f} MiB for one non-reading client"
    if others_served:
        other = payload(5000, seed=3)
        assert echo_many(listener, [other], timeout=10) == [other]
    flooder.setblocking(True)
    flooder.settimeout(30)
    flooder.shutdown(socket.SHUT_WR)  # half-close: everything sent so far must still come back
    received = _read_to_eof(flooder)
    flooder.close()
    assert len(received) == sent
    expected = (pattern * (sent // len(pattern) + 1))[:sent]
    assert received == expected, "the flooder's echo is not its data in order"


def resets_and_vanishing_clients_leak_nothing(start: Start, mux: str, cycles: int = 2000) -> None:
    """Thousands of connect/close cycles, half ending with RST, some never sending: no crash,
    and the server's descriptor count comes back to its baseline."""
    listener = start("tcp", "--port", "0", "--mux", mux, "-v", "--json")
    assert echo_many(listener, [b"warm-up"]) == [b"warm-up"]
    baseline = listener.open_fds()
    linger_rst = struct.pack("ii", 1, 0)
    for i in range(cycles):
        sock = listener.connect()
        if i % 3:
            sock.send(b"x" * 100)
        if i % 2:  # abortive close: RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_rst)
        sock.close()
    # Served after every cycle before it was accepted (the queue is FIFO): the server has
    # really seen them all, and the descriptor check below is not passed by a lagging one.
    assert echo_many(listener, [b"still here"]) == [b"still here"]
    lines = listener.process.stderr_lines

    def settled() -> bool:
        opened = sum('"event": "open"' in line for line in lines)
        closed = sum('"event": "close"' in line for line in lines)
        return opened == closed and listener.open_fds() <= baseline

    assert wait_until(settled, timeout=20), (
        f"descriptors: {listener.open_fds()} now, {baseline} before"
    )
    opened = sum('"event": "open"' in line for line in lines)
    assert opened > cycles // 2, f"only {opened} of {cycles} connections reached the server"
    assert listener.process.proc.poll() is None


def out_of_descriptors_recovers(start: Start, mux: str) -> None:
    """EMFILE on accept: keep running, log once, no spinning, serve again once fds free up."""
    listener = start("tcp", "--port", "0", "--mux", mux, "-v", shell_prefix="ulimit -n 32;")
    held = [listener.connect() for _ in range(40)]  # more than the server can hold
    try:
        listener.process.wait_for_stderr("accept failed .*EMFILE", timeout=10)
        cpu_before = listener.cpu_seconds()
        time.sleep(1.0)
        busy = listener.cpu_seconds() - cpu_before
        assert busy < 0.5, f"the server spun while out of descriptors ({busy:.2f} s CPU in 1 s)"
        notes = [line for line in listener.process.stderr_lines if "accept failed" in line]
        assert len(notes) == 1, notes
    finally:
        for sock in held[:20]:
            sock.close()
    try:
        # The clients that waited in the backlog are served once descriptors free up.
        for sock in held[-3:]:
            sock.sendall(b"late but served")
            assert sock.recv(100) == b"late but served"
        assert echo_many(listener, [b"new one"]) == [b"new one"]
    finally:
        for sock in held[20:]:
            sock.close()


def _start(start: Start, transport: str, mux: str, *args: str) -> Listener:
    if transport == "unix":
        where = ["--path", f"/tmp/nk-test-{time.monotonic_ns()}.sock"]
    else:
        where = ["--port", "0"]
    return start(transport, *where, "--mux", mux, *args)


def _read_to_eof(sock: socket.socket) -> bytes:
    received = bytearray()
    while chunk := sock.recv(65536):
        received += chunk
    return bytes(received)
