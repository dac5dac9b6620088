"""The socket calls a command makes, made through one object so that --explain can narrate them.

``SocketCalls`` makes each call directly: with --explain off, the cost of the indirection is one
method call. ``NarratedCalls`` makes exactly the same call, then hands a ``Call`` record to a
sink: the call in C syntax with its descriptor and arguments, the result and errno, what the
result means, and the TCP state the kernel reports for the socket at that moment.

The narration has to be true, so it is never reconstructed: a record is written after the call
returned, from the values it really took and gave. Python adds nothing between a socket method
and the system call of the same name (recv_into is recvfrom(2), send is sendto(2), select is
pselect6(2) in glibc), and a connect with a timeout is done here in the open, as C does it
(non-blocking connect, poll for POLLOUT, SO_ERROR), rather than inside CPython where it could
not be seen. To read the state, NarratedCalls itself asks the kernel: getsockopt(TCP_INFO) after
each call on a TCP socket, and after close() a sock_diag query for the connection's 4-tuple
(the socket has become a TIME_WAIT entry with no descriptor). Those calls are not narrated.
"""

import errno as errno_names
import os
import select
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

PREVIEW_BYTES = 16  # payload shown in a send or recv line, as strace -s 16 would


@dataclass(frozen=True, slots=True)
class Call:
    """One narrated call. ``args`` are as shown in C syntax; ``result`` is the C return value
    (None for a call that returns nothing), ``errno`` its name when the call failed."""

    t: float  # seconds since the command started
    call: str
    args: tuple[str, ...]
    result: int | None
    errno: str | None
    meaning: str | None
    tcp_state: str | None


CallSink = Callable[[Call], None]
# The classes below have a method named socket, which hides the module in their annotations.
Sock = socket.socket
SelectSet = Sequence["int | Sock"]
Address = tuple[Any, ...] | str | bytes  # what socket methods take as an address


class SocketCalls:
    """The calls, made directly (what every command does without --explain)."""

    def socket(self, family: int, kind: int, proto: int = 0) -> Sock:
        return socket.socket(family, kind, proto)

    def connect(self, sock: Sock, address: Address) -> None:
        """A blocking connect(): returns when connected, raises OSError when not."""
        sock.connect(address)

    def connect_ex(self, sock: Sock, address: Address) -> int:
        """connect() on a non-blocking socket: 0, or the errno (EINPROGRESS: started)."""
        return sock.connect_ex(address)

    def wait_writable(self, sock: Sock, timeout_ms: int) -> bool:
        """poll() for POLLOUT: False when the time ran out first."""
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLOUT)
        return bool(poller.poll(timeout_ms))

    def socket_error(self, sock: Sock) -> int:
        """getsockopt(SO_ERROR): how a non-blocking connect ended (0: connected)."""
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)

    def setsockopt(self, sock: Sock, level: int, name: int, value: int) -> None:
        sock.setsockopt(level, name, value)

    def bind(self, sock: Sock, address: Address) -> None:
        sock.bind(address)

    def getsockname(self, sock: Sock) -> object:
        return sock.getsockname()

    def getpeername(self, sock: Sock) -> object:
        return sock.getpeername()

    def select(
        self, readers: SelectSet, writers: SelectSet, timeout: float | None
    ) -> tuple[list["int | Sock"], list["int | Sock"]]:
        readable, writable, _ = select.select(readers, writers, [], timeout)
        return readable, writable

    def recv_into(self, sock: Sock, buffer: bytearray) -> int:
        return sock.recv_into(buffer)

    def send(self, sock: Sock, data: memoryview) -> int:
        return sock.send(data)

    def shutdown(self, sock: Sock, how: int) -> None:
        sock.shutdown(how)

    def close(self, sock: Sock) -> None:
        sock.close()


PLAIN = SocketCalls()


# C names of the constants a narration shows (the values differ between systems).
_FAMILIES: dict[int, str] = {
    socket.AF_INET: "AF_INET",
    socket.AF_INET6: "AF_INET6",
    socket.AF_UNIX: "AF_UNIX",
}
_KINDS: dict[int, str] = {socket.SOCK_STREAM: "SOCK_STREAM", socket.SOCK_DGRAM: "SOCK_DGRAM"}
_PROTOCOLS = {socket.IPPROTO_TCP: "IPPROTO_TCP", socket.IPPROTO_UDP: "IPPROTO_UDP"}
_LEVELS = {socket.SOL_SOCKET: "SOL_SOCKET", socket.IPPROTO_TCP: "IPPROTO_TCP"}
_OPTIONS: dict[tuple[int, int], str] = {
    (socket.SOL_SOCKET, socket.SO_REUSEADDR): "SO_REUSEADDR",
    (socket.SOL_SOCKET, socket.SO_ERROR): "SO_ERROR",
    (socket.SOL_SOCKET, socket.SO_RCVBUF): "SO_RCVBUF",
    (socket.SOL_SOCKET, socket.SO_SNDBUF): "SO_SNDBUF",
    (socket.IPPROTO_TCP, socket.TCP_NODELAY): "TCP_NODELAY",
}
if hasattr(socket, "SO_PEERCRED"):
    _OPTIONS[(socket.SOL_SOCKET, socket.SO_PEERCRED)] = "SO_PEERCRED"
_SHUTDOWN = {socket.SHUT_RD: "SHUT_RD", socket.SHUT_WR: "SHUT_WR", socket.SHUT_RDWR: "SHUT_RDWR"}


def _name(names: dict[int, str], value: int) -> str:
    return names.get(value, str(value))


def socket_args(family: int, kind: int, proto: int) -> tuple[str, str, str]:
    """socket()'s arguments by their C names."""
    return _name(_FAMILIES, family), _name(_KINDS, kind), _name(_PROTOCOLS, proto)


def option_args(level: int, name: int) -> tuple[str, str]:
    """A socket option's level and name by their C names."""
    return _name(_LEVELS, level), _OPTIONS.get((level, name), str(name))


def shutdown_how(how: int) -> str:
    return _name(_SHUTDOWN, how)


def preview(data: bytes | memoryview) -> str:
    """The first bytes of a payload as a C string literal, '...' after when there are more."""
    from netkit.showc.cstring import c_string

    shown = c_string(bytes(data[:PREVIEW_BYTES]))
    return shown + "..." if len(data) > PREVIEW_BYTES else shown


def sockaddr(address: object, family: int) -> tuple[str, int]:
    """A socket address in the narration's form, and its length in bytes (the socklen_t)."""
    if family == socket.AF_UNIX:
        from netkit.showc.cstring import c_string

        path = address.encode() if isinstance(address, str) else address
        if not isinstance(path, bytes):
            path = b""
        if path.startswith(b"\0"):
            return "{AF_UNIX, @" + c_string(path[1:]) + "}", 2 + len(path)
        return "{AF_UNIX, " + c_string(path) + "}", 2 + len(path) + 1
    if isinstance(address, tuple):
        if family == socket.AF_INET6:
            return f"{{AF_INET6, [{address[0]}]:{address[1]}}}", 28
        return f"{{AF_INET, {address[0]}:{address[1]}}}", 16
    return str(address), 0


def _connected(sock: Sock) -> str:
    """What a successful connect() means: UDP sends no packet, it only sets the destination."""
    return "default destination set" if sock.type == socket.SOCK_DGRAM else "connected"


def errno_name(code: int | None) -> str | None:
    if code is None:
        return None
    return errno_names.errorcode.get(code, str(code))


def _fds(items: SelectSet) -> list[int]:
    return sorted(item if isinstance(item, int) else item.fileno() for item in items)


def _fd_set(fds: list[int]) -> str:
    return "[" + " ".join(str(fd) for fd in fds) + "]"


def _timeval(timeout: float | None) -> str:
    if timeout is None:
        return "NULL"
    seconds, micros = divmod(round(timeout * 1_000_000), 1_000_000)
    return f"{{tv_sec={seconds}, tv_usec={micros}}}"


class Narrator:
    """Times, counts and hands on the records of one command's calls. ``shows`` decides which
    calls are written (listen narrates its first connections only); every call is counted,
    shown or not, for the syscall profile. Thread-safe: the thread design narrates from every
    connection thread."""

    def __init__(self, sink: CallSink, started: float | None = None) -> None:
        self.sink = sink
        self.started = time.monotonic() if started is None else started
        self.counts: dict[str, int] = {}
        import threading  # only --explain needs it

        self.lock = threading.Lock()
        if sys.platform.startswith("linux"):
            # Imported now rather than at the first state read, which would then look slow.
            import netkit.sysinfo.linux
            import netkit.sysinfo.sockdiag  # noqa: F401

    def shows(self, fd: int | None) -> bool:
        """Whether a call on ``fd`` (None: a call on no one socket, a wait) is written."""
        return True

    # What a narrated socket tells its narrator besides the calls (netkit.narrated); listen
    # --explain follows connections with them, other commands need none.
    def follow(self, fd: int) -> None:
        """A descriptor of the command's own (a listener, an epoll instance) was made."""

    def accepted(self, fd: int) -> None:
        """accept() returned a new connection's descriptor."""

    def closed(self, fd: int) -> None:
        """A descriptor was closed."""

    def received_datagram(self) -> None:
        """recvfrom() returned a datagram."""

    def record(  # noqa: PLR0913  # a call's parts, each a keyword
        self,
        call: str,
        args: Sequence[object],
        result: int | None,
        *,
        error: OSError | None = None,
        meaning: str | None = None,
        sock: Sock | None = None,
        fd: int | None = None,
        state: str | None = None,
        code_name: str | None = None,
    ) -> None:
        """Count the call and, if shown, write its record. ``sock`` is read for its TCP state
        (or ``state`` given: after close); ``fd`` is the descriptor the call is about (that of
        ``sock`` when not given). ``code_name`` names a library's error code (EAI_NONAME,
        HOST_NOT_FOUND) in the errno field."""
        if fd is None and sock is not None:
            fd = sock.fileno()
        with self.lock:
            self.counts[call] = self.counts.get(call, 0) + 1
            if not self.shows(fd):
                return
        code = None if error is None else (error.errno or 0)
        if error is not None:
            result = -1
            meaning = meaning or (os.strerror(code) if code else str(error))
        t = round(time.monotonic() - self.started, 6)
        if sock is not None:
            state = tcp_state(sock)
        name = code_name or errno_name(code)
        self.write(Call(t, call, tuple(str(a) for a in args), result, name, meaning, state))

    def write(self, call: Call) -> None:
        with self.lock:
            self.sink(call)


class NarratedCalls(SocketCalls):
    """The same calls, each followed by a ``Call`` record to ``sink``."""

    def __init__(self, sink: CallSink, started: float | None = None) -> None:
        self.narrator = Narrator(sink, started)
        self._record = self.narrator.record
        self._ends: dict[int, tuple[int, object, object]] = {}  # fd -> family, local, peer

    @property
    def counts(self) -> dict[str, int]:
        return self.narrator.counts

    def socket(self, family: int, kind: int, proto: int = 0) -> Sock:
        shown = (_name(_FAMILIES, family), _name(_KINDS, kind), _name(_PROTOCOLS, proto))
        try:
            sock = super().socket(family, kind, proto)
        except OSError as error:
            self._record("socket", shown, None, error=error)
            raise
        self._record("socket", shown, sock.fileno())
        return sock

    def connect(self, sock: Sock, address: Address) -> None:
        fd = sock.fileno()
        shown, length = sockaddr(address, sock.family)
        try:
            super().connect(sock, address)
        except OSError as error:
            self._record("connect", (fd, shown, length), None, error=error, sock=sock)
            raise
        self._record("connect", (fd, shown, length), 0, meaning=_connected(sock), sock=sock)

    def connect_ex(self, sock: Sock, address: Address) -> int:
        fd = sock.fileno()
        shown, length = sockaddr(address, sock.family)
        code = super().connect_ex(sock, address)
        if code == 0:
            self._record("connect", (fd, shown, length), 0, meaning=_connected(sock), sock=sock)
        else:
            started = code in (errno_names.EINPROGRESS, errno_names.EINTR)
            meaning = "handshake started" if started else None
            error = OSError(code, os.strerror(code))
            self._record("connect", (fd, shown, length), None, error=error, meaning=meaning,
                         sock=sock)  # fmt: skip
        return code

    def wait_writable(self, sock: Sock, timeout_ms: int) -> bool:
        fd = sock.fileno()
        ready = super().wait_writable(sock, timeout_ms)
        meaning = "writable: the handshake is over" if ready else "timed out"
        args = (f"[{{fd={fd}, events=POLLOUT}}]", 1, timeout_ms)
        self._record("poll", args, int(ready), meaning=meaning, sock=sock)
        return ready

    def socket_error(self, sock: Sock) -> int:
        code = super().socket_error(sock)
        name = errno_name(code) if code else "0"
        meaning = "connected" if code == 0 else f"failed: {os.strerror(code)}"
        args = (sock.fileno(), "SOL_SOCKET", "SO_ERROR", f"[{name}]")
        self._record("getsockopt", args, 0, meaning=meaning, sock=sock)
        return code

    def setsockopt(self, sock: Sock, level: int, name: int, value: int) -> None:
        args = (sock.fileno(), _name(_LEVELS, level), _OPTIONS.get((level, name), str(name)),
                f"[{value}]", 4)  # fmt: skip
        try:
            super().setsockopt(sock, level, name, value)
        except OSError as error:
            self._record("setsockopt", args, None, error=error, sock=sock)
            raise
        self._record("setsockopt", args, 0, sock=sock)

    def bind(self, sock: Sock, address: Address) -> None:
        shown, length = sockaddr(address, sock.family)
        args = (sock.fileno(), shown, length)
        try:
            super().bind(sock, address)
        except OSError as error:
            self._record("bind", args, None, error=error, sock=sock)
            raise
        self._record("bind", args, 0, sock=sock)

    def _name_call(self, call: str, sock: Sock, read: Callable[[], object]) -> object:
        fd = sock.fileno()
        try:
            address = read()
        except OSError as error:
            self._record(call, (fd, "...", "[...]"), None, error=error, sock=sock)
            raise
        shown, length = sockaddr(address, sock.family)
        family, local, peer = self._ends.get(fd, (sock.family, None, None))
        if call == "getsockname":
            local = address
        else:
            peer = address
        self._ends[fd] = (family, local, peer)
        self._record(call, (fd, shown, f"[{length}]"), 0, sock=sock)
        return address

    def getsockname(self, sock: Sock) -> object:
        return self._name_call("getsockname", sock, sock.getsockname)

    def getpeername(self, sock: Sock) -> object:
        return self._name_call("getpeername", sock, sock.getpeername)

    def select(
        self, readers: SelectSet, writers: SelectSet, timeout: float | None
    ) -> tuple[list["int | Sock"], list["int | Sock"]]:
        read_fds, write_fds = _fds(readers), _fds(writers)
        nfds = max([*read_fds, *write_fds], default=-1) + 1
        readable, writable = super().select(readers, writers, timeout)
        ready_read, ready_write = _fds(readable), _fds(writable)
        parts = [f"readable {_fd_set(ready_read)}"] if ready_read else []
        parts += [f"writable {_fd_set(ready_write)}"] if ready_write else []
        args = (nfds, _fd_set(read_fds), _fd_set(write_fds), "NULL", _timeval(timeout))
        meaning = ", ".join(parts) if parts else "timed out"
        self._record("select", args, len(ready_read) + len(ready_write), meaning=meaning)
        return readable, writable

    def recv_into(self, sock: Sock, buffer: bytearray) -> int:
        fd = sock.fileno()
        try:
            received = super().recv_into(sock, buffer)
        except OSError as error:
            meaning = "nothing to read yet" if isinstance(error, BlockingIOError) else None
            args = (fd, "...", len(buffer), 0)
            self._record("recv", args, None, error=error, meaning=meaning, sock=sock)
            raise
        shown = preview(memoryview(buffer)[:received]) if received else '""'
        eof = received == 0 and sock.type == socket.SOCK_STREAM
        meaning = "peer closed: end of file" if eof else None
        self._record("recv", (fd, shown, len(buffer), 0), received, meaning=meaning, sock=sock)
        return received

    def send(self, sock: Sock, data: memoryview) -> int:
        fd = sock.fileno()
        args = (fd, preview(data), len(data), 0)
        try:
            sent = super().send(sock, data)
        except OSError as error:
            meaning = "the send buffer is full" if isinstance(error, BlockingIOError) else None
            self._record("send", args, None, error=error, meaning=meaning, sock=sock)
            raise
        partial = f"partial write: {sent} of {len(data)} bytes taken" if sent < len(data) else None
        self._record("send", args, sent, meaning=partial, sock=sock)
        return sent

    def shutdown(self, sock: Sock, how: int) -> None:
        args = (sock.fileno(), _name(_SHUTDOWN, how))
        try:
            super().shutdown(sock, how)
        except OSError as error:
            self._record("shutdown", args, None, error=error, sock=sock)
            raise
        meaning = "FIN sent: no more data from this side" if how == socket.SHUT_WR else None
        self._record("shutdown", args, 0, meaning=meaning, sock=sock)

    def close(self, sock: Sock) -> None:
        fd = sock.fileno()
        if fd < 0:
            return  # already closed: Python makes no call
        kind = sock.type
        super().close(sock)
        ends = self._ends.pop(fd, None)
        state = state_after_close(ends) if kind == socket.SOCK_STREAM else None
        self.narrator.record("close", (fd,), 0, fd=fd, state=state)


def tcp_state(sock: Sock) -> str | None:
    """The TCP state the kernel reports for ``sock`` now (tcpi_state, the first byte of struct
    tcp_info), or None for a socket that is not TCP or a system without TCP_INFO."""
    if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    option = getattr(socket, "TCP_INFO", None)
    if option is None or sock.fileno() < 0:
        return None
    try:
        # The plain method: a narrated socket's own getsockopt would narrate this read.
        raw = socket.socket.getsockopt(sock, socket.IPPROTO_TCP, option, 8)
    except OSError:
        return None
    from netkit.sysinfo.linux import state_name

    return state_name(raw[0])


def state_after_close(ends: tuple[int, object, object] | None) -> str | None:
    """After close() a TCP connection may live on without a descriptor (TIME_WAIT, FIN_WAIT2,
    LAST_ACK): ask sock_diag for its 4-tuple, as ss does. "CLOSED" when the kernel has nothing
    left of it; None when it cannot be asked."""
    if ends is None or not sys.platform.startswith("linux"):
        return None
    family, local, peer = ends
    if not (isinstance(local, tuple) and isinstance(peer, tuple)):
        return None
    from netkit.sysinfo import sockdiag
    from netkit.sysinfo.linux import state_name

    local_port = int(local[1])
    program = sockdiag.bc_port_range(True, local_port, local_port)
    try:
        for entry in sockdiag.dump_inet(family, socket.IPPROTO_TCP, program=program):
            if (entry.remote_port, entry.remote_address) == (peer[1], peer[0]):
                return state_name(entry.state)
    except OSError:
        return None
    return "CLOSED"
