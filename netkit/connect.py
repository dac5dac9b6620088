"""The nc-style client: stdin to a socket and the socket to stdout, with half-close done right."""

import errno
import math
import os
import select
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from netkit.errors import NetkitError
from netkit.sockcalls import PLAIN, Address, SocketCalls

Transport = Literal["tcp", "udp", "unix"]

CHUNK = 65536
UDP_MAX_PAYLOAD = 65507  # 65535 - 8 (UDP header) - 20 (IPv4 header)
UDP_DEFAULT_LINGER = 2.0  # seconds a UDP session waits for replies after stdin ends


@dataclass(frozen=True, slots=True)
class Target:
    """Where to connect: HOST and PORT for tcp/udp, PATH for unix (``@name`` is abstract)."""

    transport: Transport
    host: str = ""
    port: str = ""
    path: str = ""
    family: int = socket.AF_UNSPEC  # AF_INET for -4, AF_INET6 for -6
    source_host: str | None = None  # -s: bind to this local address before connecting
    source_port: int | None = None  # --source-port: and to this local port

    def describe(self) -> str:
        if self.transport == "unix":
            return self.path
        return f"{self.host} port {self.port}"


@dataclass(frozen=True, slots=True)
class Relay:
    """Which ways bytes go and how: nc's -C, --send-only and --recv-only."""

    crlf: bool = False  # -C: a LF from stdin not already after a CR goes out as CR LF
    send_only: bool = False  # ignore what the peer sends; end when stdin ends
    recv_only: bool = False  # never read stdin, never send (not even the FIN)


class CrlfTranslator:
    """Turns LF into CR LF (nc -C), leaving CR LF alone even across two reads."""

    def __init__(self) -> None:
        self.after_cr = False

    def feed(self, data: bytes) -> bytes:
        if not data:
            return data
        text = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if self.after_cr and data.startswith(b"\n"):
            text = text[1:]  # the CR that ended the previous read already went out
        self.after_cr = data.endswith(b"\r")
        return text


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """Something that happened during a session, for -v lines or the --json log."""

    event: str  # connected, connect-failed, input-closed, idle-timeout
    elapsed_s: float
    transport: Transport
    peer: str | None = None
    local: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """How a session went: the last line of -v, the last object of the --json log."""

    event: str  # always "closed", so the --json log is one kind of line
    elapsed_s: float  # every line of the --json log has event and elapsed_s
    transport: Transport
    peer: str
    local: str
    bytes_sent: int
    bytes_received: int
    datagrams_sent: int | None
    datagrams_received: int | None
    duration_s: float
    ended: str  # peer closed, idle timeout, reply wait over, connect only, stdin ended (send only)


EventSink = Callable[[SessionEvent], None]
# Where the peer's bytes go: stdout's descriptor as they are, or a terminal's escaping view.
OutputSink = Callable[[memoryview], None]


def format_address(address: object, family: int) -> str:
    """127.0.0.1:80, [::1]:80, /tmp/echo.sock, @abstract (the forms people paste back)."""
    if family == socket.AF_UNIX:
        if isinstance(address, bytes):
            address = address.decode(errors="replace")
        text = str(address)
        if text.startswith("\0"):
            return "@" + text[1:]
        return text or "(unnamed)"
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    return str(address)


def unix_address(path: str) -> str:
    """A Unix socket path, with Linux's abstract namespace spelled ``@name``."""
    if path.startswith("@"):
        if not sys.platform.startswith("linux"):
            raise NetkitError(f"abstract socket names ({path}) exist on Linux only")
        return "\0" + path[1:]
    return path


def _strip_brackets(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _failure(target: Target, where: str, error: OSError | str) -> str:
    reason = error if isinstance(error, str) else (error.strerror or str(error))
    return f"connect to {where} ({target.transport}) failed: {reason}"


def connect_within(
    calls: SocketCalls, sock: socket.socket, address: Address, timeout: float | None
) -> None:
    """connect(), bounded by ``timeout`` the way C does it: a non-blocking connect() starts
    the handshake (EINPROGRESS), poll() waits until the socket is writable, which is when the
    handshake has ended, and SO_ERROR says how. Without a timeout, a blocking connect().
    Raises TimeoutError or OSError as socket.connect() would."""
    if timeout is None:
        calls.connect(sock, address)
        return
    sock.setblocking(False)
    code = calls.connect_ex(sock, address)
    if code == 0:
        return
    if code not in (errno.EINPROGRESS, errno.EINTR):  # EINTR: the handshake goes on regardless
        raise OSError(code, os.strerror(code))
    if not calls.wait_writable(sock, max(1, math.ceil(timeout * 1000))):
        raise TimeoutError(errno.ETIMEDOUT, "timed out")
    code = calls.socket_error(sock)
    if code != 0:
        raise OSError(code, os.strerror(code))


def open_socket(
    target: Target,
    timeout: float | None,
    on_event: EventSink,
    started: float,
    calls: SocketCalls = PLAIN,
) -> socket.socket:
    """Connect to ``target``, trying every address the name resolves to in order (as nc does)."""
    if target.transport == "unix":
        sock = calls.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connect_within(calls, sock, unix_address(target.path), timeout)
        except TimeoutError:
            calls.close(sock)
            timed_out = f"timed out after {timeout:g} s"
            raise NetkitError(_failure(target, target.path, timed_out)) from None
        except OSError as error:
            calls.close(sock)
            raise NetkitError(_failure(target, target.path, error)) from None
        return sock

    kind = socket.SOCK_STREAM if target.transport == "tcp" else socket.SOCK_DGRAM
    host = _strip_brackets(target.host)
    try:
        infos = socket.getaddrinfo(host, target.port, target.family, kind)
        source = _source_address(target, kind)
    except socket.gaierror as error:
        raise NetkitError(f"cannot resolve {target.host}: {error.strerror}") from None
    except UnicodeError:
        raise NetkitError(f"cannot resolve {target.host}: not a valid host name") from None
    last_failure = ""
    for family, socktype, proto, _, address in infos:
        where = format_address(address, family)
        sock = calls.socket(family, socktype, proto)
        try:
            _bind_source(calls, sock, source, family)
            connect_within(calls, sock, address, timeout)
        except TimeoutError:
            last_failure = _failure(target, where, f"timed out after {timeout:g} s")
        except OSError as error:
            last_failure = _failure(target, where, error)
        else:
            return sock
        calls.close(sock)
        detail = last_failure.split(": ", 1)[1]
        elapsed = round(time.monotonic() - started, 6)
        on_event(SessionEvent("connect-failed", elapsed, target.transport, where, None, detail))
    raise NetkitError(last_failure or f"cannot resolve {target.host}: no addresses")


def _source_address(target: Target, kind: int) -> dict[int, tuple[object, ...]] | None:
    """-s/--source-port: the local address to bind, per family it resolves to."""
    if target.source_host is None and target.source_port is None:
        return None
    host = _strip_brackets(target.source_host) if target.source_host else None
    port = target.source_port or 0
    try:
        infos = socket.getaddrinfo(host, port, target.family, kind, 0, socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise NetkitError(f"cannot resolve source {target.source_host}: {error.strerror}") from None
    addresses: dict[int, tuple[object, ...]] = {}
    for family, _, _, _, address in infos:
        addresses.setdefault(family, address)
    return addresses


def _bind_source(
    calls: SocketCalls,
    sock: socket.socket,
    source: dict[int, tuple[object, ...]] | None,
    family: int,
) -> None:
    if source is None:
        return
    address = source.get(family)
    if address is None:
        raise OSError(0, "the source address is of another address family")
    calls.setsockopt(sock, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        calls.bind(sock, address)
    except OSError as error:
        reason = error.strerror or str(error)
        where = format_address(address, family)
        raise OSError(error.errno, f"cannot bind source {where}: {reason}") from None


def write_all(fd: int, data: memoryview) -> None:
    """Write everything to ``fd``, waiting if someone left it non-blocking."""
    while data:
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        data = data[written:]


def _readable_fd(fd: int | None) -> bool:
    if fd is None:
        return False
    try:
        os.fstat(fd)
    except OSError:  # stdin closed (`netkit connect ... <&-`): the same as empty input
        return False
    return True


class Channel(Protocol):
    """How a session's bytes cross its socket: plain here, TLS in netkit.tls.channel."""

    write_end: str  # what close_write sends, for the log: "FIN (shutdown SHUT_WR)"

    def recv_into(self, buffer: bytearray) -> int | None:
        """Bytes read into ``buffer``; 0 at the peer's end; None when nothing is ready after all."""
        ...

    def send(self, data: memoryview) -> int:
        """Bytes the socket took; 0 when it would block."""
        ...

    def close_write(self) -> None:
        """Tell the peer nothing more will come, and keep reading."""
        ...

    def buffered(self) -> bool:
        """Bytes are ready that select() cannot see (TLS records already decrypted)."""
        ...

    def unsent(self) -> bool:
        """The channel holds bytes of its own for the socket (TLS records, alerts)."""
        ...

    def flush(self) -> None:
        """Send what the channel holds, as far as the socket takes it now."""
        ...


class PlainChannel:
    """A socket's bytes as they are; the end of writing is shutdown(SHUT_WR), a FIN."""

    write_end = "FIN (shutdown SHUT_WR)"

    def __init__(self, sock: socket.socket, calls: SocketCalls = PLAIN) -> None:
        self.sock = sock
        self.calls = calls

    def recv_into(self, buffer: bytearray) -> int | None:
        try:
            return self.calls.recv_into(self.sock, buffer)
        except BlockingIOError:
            return None

    def send(self, data: memoryview) -> int:
        try:
            return self.calls.send(self.sock, data)
        except BlockingIOError:
            return 0

    def close_write(self) -> None:
        self.calls.shutdown(self.sock, socket.SHUT_WR)

    def buffered(self) -> bool:
        return False

    def unsent(self) -> bool:
        return False

    def flush(self) -> None:
        pass


class Session:
    """One client session: relays bytes both ways until the peer closes or the timeout hits."""

    def __init__(  # noqa: PLR0913  # keyword-only settings of one session
        self,
        target: Target,
        *,
        timeout: float | None = None,
        half_close: bool = True,
        relay: Relay = Relay(),
        on_event: EventSink | None = None,
        connected: tuple[socket.socket, Channel] | None = None,
        calls: SocketCalls = PLAIN,
    ) -> None:
        """Connect to ``target``, or take over a socket already ``connected`` (TLS) and the
        channel its bytes cross. Socket calls go through ``calls`` (narrated for --explain)."""
        self.target = target
        self.timeout = timeout
        self.half_close = half_close and not relay.recv_only
        self.relay_mode = relay
        self.crlf = CrlfTranslator() if relay.crlf else None
        self.on_event: EventSink = on_event or (lambda event: None)
        self.started = time.monotonic()
        self.calls = calls
        if connected is None:
            self.sock = open_socket(target, timeout, self.on_event, self.started, calls)
            self.channel: Channel = PlainChannel(self.sock, calls)
        else:
            self.sock, self.channel = connected
        self.sock.setblocking(False)
        if target.transport == "tcp":
            calls.setsockopt(self.sock, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.peer = format_address(calls.getpeername(self.sock), self.sock.family)
        self.local = format_address(calls.getsockname(self.sock), self.sock.family)
        self.bytes_sent = self.bytes_received = 0
        self.datagrams_sent = self.datagrams_received = 0
        self._emit("connected")

    def _emit(self, event: str, detail: str | None = None) -> None:
        elapsed = round(time.monotonic() - self.started, 6)
        self.on_event(
            SessionEvent(event, elapsed, self.target.transport, self.peer, self.local, detail)
        )

    def _summary(self, ended: str) -> SessionSummary:
        udp = self.target.transport == "udp"
        duration = round(time.monotonic() - self.started, 6)
        return SessionSummary(
            event="closed",
            elapsed_s=duration,
            transport=self.target.transport,
            peer=self.peer,
            local=self.local,
            bytes_sent=self.bytes_sent,
            bytes_received=self.bytes_received,
            datagrams_sent=self.datagrams_sent if udp else None,
            datagrams_received=self.datagrams_received if udp else None,
            duration_s=duration,
            ended=ended,
        )

    def close(self) -> None:
        self.calls.close(self.sock)

    def check_only(self) -> SessionSummary:
        """-z: the connection was made; say so and close without sending anything."""
        self.close()
        return self._summary("connect only")

    def _socket_error(self, error: OSError) -> NetkitError:
        if isinstance(error, ConnectionRefusedError):
            # On a connected UDP socket this is the ICMP port unreachable of an earlier datagram.
            return NetkitError(f"{self.peer} ({self.target.transport}): connection refused")
        if isinstance(error, ConnectionResetError):
            return NetkitError(f"{self.peer} ({self.target.transport}): connection reset by peer")
        if isinstance(error, BrokenPipeError):
            return NetkitError(f"{self.peer} ({self.target.transport}): peer closed the connection")
        reason = error.strerror or str(error)
        return NetkitError(f"{self.peer} ({self.target.transport}): {reason}")

    def relay(self, stdin_fd: int | None, output: OutputSink) -> SessionSummary:
        """Copy stdin to the socket and the socket to ``output`` until the session ends.

        On stdin EOF a stream socket is half-closed (shutdown SHUT_WR) and read until the peer
        closes, so a late reply is never lost; a UDP session waits for replies instead, for
        --timeout (default 2 s) after the last one.
        """
        try:
            return self._relay(stdin_fd, output)
        finally:
            self.close()

    def _relay(self, stdin_fd: int | None, output: OutputSink) -> SessionSummary:  # noqa: PLR0915  # one select loop
        sock = self.sock
        udp = self.target.transport == "udp"
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        read_size = UDP_MAX_PAYLOAD if udp else CHUNK
        pending = memoryview(b"")  # read from stdin, not yet accepted by the socket
        input_open = not self.relay_mode.recv_only and _readable_fd(stdin_fd)
        if not input_open:
            self._input_closed()
        linger = self.timeout if self.timeout is not None else UDP_DEFAULT_LINGER
        last_activity = time.monotonic()
        while True:
            if self.relay_mode.send_only and not input_open and not pending:
                return self._summary("stdin ended (send only)")
            wait: float | None = self.timeout
            if udp and not input_open:
                wait = linger
            if wait is not None:
                wait = max(0.0, last_activity + wait - time.monotonic())
            want_read: list[int | socket.socket] = [] if self.relay_mode.send_only else [sock]
            if input_open and not pending and stdin_fd is not None:
                want_read.append(stdin_fd)
            if self.channel.buffered() and sock in want_read:
                wait = 0
            want_write = [sock] if pending or self.channel.unsent() else []
            readable, writable = self.calls.select(want_read, want_write, wait)
            if self.channel.buffered() and sock in want_read and sock not in readable:
                readable.append(sock)
            if not readable and not writable:
                if udp and not input_open:
                    return self._summary("reply wait over")
                self._emit("idle-timeout", f"no data for {self.timeout:g} s")
                return self._summary("idle timeout")
            last_activity = time.monotonic()
            if sock in readable:
                try:
                    received = self.channel.recv_into(buffer)
                except OSError as error:
                    raise self._socket_error(error) from None
                if received == 0 and not udp:
                    return self._summary("peer closed")
                if received is not None:
                    self.bytes_received += received
                    self.datagrams_received += 1
                    output(view[:received])
            if sock in writable:
                self._flush_channel()
            if pending and sock in writable:
                pending = self._send(pending, udp)
            if stdin_fd is not None and stdin_fd in readable:
                try:
                    data = os.read(stdin_fd, read_size)
                except OSError:
                    data = b""
                if data and self.crlf is not None:
                    data = self.crlf.feed(data)
                if data:
                    pending = self._send(memoryview(data), udp)
                else:
                    input_open = False
                    self._input_closed()

    def _flush_channel(self) -> None:
        try:
            self.channel.flush()
        except OSError as error:
            raise self._socket_error(error) from None

    def _send(self, data: memoryview, udp: bool) -> memoryview:
        """Send what the socket takes now; return the rest (a datagram goes whole or waits)."""
        try:
            sent = self.channel.send(data)
        except OSError as error:
            raise self._socket_error(error) from None
        if sent == 0:
            return data
        self.bytes_sent += sent
        self.datagrams_sent += 1
        return memoryview(b"") if udp else data[sent:]

    def _input_closed(self) -> None:
        if self.relay_mode.recv_only:
            self._emit("input-closed", "receive only: stdin is not read, nothing is sent")
            return
        if self.target.transport == "udp":
            self._emit("input-closed", "stdin ended: waiting for replies")
            return
        if not self.half_close:
            self._emit("input-closed", "stdin ended: reading until the peer closes (no FIN sent)")
            return
        try:
            self.channel.close_write()
        except OSError as error:
            raise self._socket_error(error) from None
        self._emit(
            "input-closed",
            f"stdin ended: sent {self.channel.write_end}, reading until the peer closes",
        )
