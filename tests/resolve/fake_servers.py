"""Small misbehaving DNS servers on 127.0.0.1: silent, garbage, wrong id, truncated, ..."""

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset

# query wire -> the datagrams to send back (none, one, or several)
Behaviour = Callable[[bytes], list[bytes]]
# query wire -> the message to send back over TCP, or None to say nothing (and hold on)
TcpBehaviour = Callable[[bytes], bytes | None]


def answer(query_wire: bytes, address: str = "192.0.2.1") -> dns.message.Message:
    query = dns.message.from_wire(query_wire)
    response = dns.message.make_response(query)
    question = query.question[0]
    response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", address))
    return response


def silent(query_wire: bytes) -> list[bytes]:
    return []


def garbage(query_wire: bytes) -> list[bytes]:
    # Random junk, and junk that starts with the right id and a response header.
    return [b"\x13\x37 not dns at all", query_wire[:2] + b"\x81\x80\x00\x01\x00\x01" + b"\xff" * 7]


def wrong_id(query_wire: bytes) -> list[bytes]:
    response = answer(query_wire)
    response.id ^= 0x5A5A
    return [response.to_wire()]


def wrong_id_then_right(query_wire: bytes) -> list[bytes]:
    return [*wrong_id(query_wire), answer(query_wire, "192.0.2.2").to_wire()]


def wrong_question(query_wire: bytes) -> list[bytes]:
    query = dns.message.from_wire(query_wire)
    other = dns.message.make_query("other.example.", "A")
    other.id = query.id
    response = dns.message.make_response(other)
    return [response.to_wire()]


def no_edns(query_wire: bytes) -> list[bytes]:
    """An old server: FORMERR (and no OPT) to any query with EDNS, answers without."""
    query = dns.message.from_wire(query_wire)
    if query.edns < 0:
        return [answer(query_wire).to_wire()]
    response = dns.message.make_response(query)
    response.use_edns(False)
    response.set_rcode(dns.rcode.FORMERR)
    return [response.to_wire()]


def truncated(query_wire: bytes) -> list[bytes]:
    response = dns.message.make_response(dns.message.from_wire(query_wire))
    response.flags |= dns.flags.TC
    return [response.to_wire()]


def rcode(code: int) -> Behaviour:
    def reply(query_wire: bytes) -> list[bytes]:
        response = dns.message.make_response(dns.message.from_wire(query_wire))
        response.set_rcode(dns.rcode.Rcode(code))
        return [response.to_wire()]

    return reply


def _serve_udp(sock: socket.socket, behaviour: Behaviour, stop: threading.Event) -> None:
    sock.settimeout(0.05)
    while not stop.is_set():
        try:
            query, peer = sock.recvfrom(65535)
        except TimeoutError:
            continue
        except OSError:
            return
        for datagram in behaviour(query):
            sock.sendto(datagram, peer)


def tcp_answer(query_wire: bytes) -> bytes:
    return answer(query_wire, "192.0.2.3").to_wire()


def tcp_silent(query_wire: bytes) -> None:
    return None


def tcp_wrong_id(query_wire: bytes) -> bytes:
    response = answer(query_wire)
    response.id ^= 0x5A5A
    return response.to_wire()


def _serve_tcp(listener: socket.socket, behaviour: TcpBehaviour, stop: threading.Event) -> None:
    """One query per connection, answered as behaviour says."""
    listener.settimeout(0.05)
    while not stop.is_set():
        try:
            connection, _peer = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with connection:
            connection.settimeout(2)
            length = int.from_bytes(connection.recv(2), "big")
            query = b""
            while len(query) < length:
                chunk = connection.recv(length - len(query))
                if not chunk:
                    break
                query += chunk
            reply = behaviour(query)
            if reply is None:
                stop.wait(5)  # hold the connection open, silent, until the test ends
                continue
            connection.sendall(len(reply).to_bytes(2, "big") + reply)


def _bind(tcp: object) -> tuple[socket.socket, socket.socket | None]:
    """A UDP socket on a free port, and a TCP listener on the same port number with tcp."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        if tcp is None:
            return udp, None
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(udp.getsockname())
        except OSError:  # that number is taken for TCP: try another
            listener.close()
            udp.close()
            continue
        listener.listen(8)
        return udp, listener
    raise RuntimeError("no port free for both UDP and TCP")


@contextmanager
def fake_server(behaviour: Behaviour, *, tcp: TcpBehaviour | None = None) -> Iterator[int]:
    """Serve behaviour over UDP on 127.0.0.1 (and tcp over TCP, same port); yield the port."""
    udp, listener = _bind(tcp)
    port = int(udp.getsockname()[1])
    stop = threading.Event()
    threads = [threading.Thread(target=_serve_udp, args=(udp, behaviour, stop), daemon=True)]
    if listener is not None and tcp is not None:
        threads.append(threading.Thread(target=_serve_tcp, args=(listener, tcp, stop), daemon=True))
    for thread in threads:
        thread.start()
    try:
        yield port
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
        udp.close()
        if listener is not None:
            listener.close()


@contextmanager
def doh_server(status: int = 200) -> Iterator[str]:
    """A DNS-over-HTTPS endpoint (RFC 8484 POST) over plain HTTP on 127.0.0.1; yields its URL."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            reply = answer(query, "192.0.2.44").to_wire() if status == 200 else b"oops"
            self.send_response(status)
            self.send_header("Content-Type", "application/dns-message")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/dns-query"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _silent_for(wire: bytes, zone: bytes) -> bool:
    """Whether the query's name is in zone (wire form, lower case): a crude test that is
    right for the tests' own names."""
    return zone in wire[12:].lower()


def _forward_udp(
    sock: socket.socket, upstream: socket.socket, zone: bytes, stop: threading.Event
) -> None:
    sock.settimeout(0.05)
    while not stop.is_set():
        try:
            query, peer = sock.recvfrom(65535)
        except TimeoutError:
            continue
        except OSError:
            return
        if _silent_for(query, zone):
            continue
        upstream.send(query)
        try:
            sock.sendto(upstream.recv(65535), peer)
        except TimeoutError:
            continue


def _forward_tcp_connection(
    connection: socket.socket, upstream_port: int, zone: bytes, stop: threading.Event
) -> None:
    """Queries pipelined on one connection, each asked upstream over UDP in turn."""
    import select

    with connection, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
        upstream.connect(("127.0.0.1", upstream_port))
        upstream.settimeout(2)
        pending = b""
        while not stop.is_set():
            readable, _, _ = select.select([connection], [], [], 0.05)
            if not readable:
                continue
            try:
                chunk = connection.recv(65536)
            except OSError:
                return
            if not chunk:
                return  # the client closed it
            pending += chunk
            while len(pending) >= 2 and len(pending) >= 2 + int.from_bytes(pending[:2], "big"):
                size = int.from_bytes(pending[:2], "big")
                query, pending = pending[2 : 2 + size], pending[2 + size :]
                if _silent_for(query, zone):
                    continue
                upstream.send(query)
                try:
                    reply = upstream.recv(65535)
                    connection.sendall(len(reply).to_bytes(2, "big") + reply)
                except OSError:
                    return


def _accept_forwarding(
    listener: socket.socket, upstream_port: int, zone: bytes, stop: threading.Event
) -> None:
    listener.settimeout(0.05)
    workers = []
    while not stop.is_set():
        try:
            connection, _peer = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            break
        worker = threading.Thread(
            target=_forward_tcp_connection,
            args=(connection, upstream_port, zone, stop),
            daemon=True,
        )
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join(5)


@contextmanager
def forwarder(upstream_port: int, silent_zone: str) -> Iterator[int]:
    """A resolver that asks the server on upstream_port (over UDP) for every name, except that
    names in silent_zone get no reply: as if that zone's servers were down. UDP and TCP on
    one port; yields the port."""
    zone = dns.name.from_text(silent_zone).to_wire().lower()
    udp, listener = _bind(True)
    assert listener is not None
    port = int(udp.getsockname()[1])
    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    upstream.connect(("127.0.0.1", upstream_port))
    upstream.settimeout(2)
    upstream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_forward_udp, args=(udp, upstream, zone, stop), daemon=True),
        threading.Thread(
            target=_accept_forwarding, args=(listener, upstream_port, zone, stop), daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    try:
        yield port
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        udp.close()
        listener.close()
        upstream.close()
