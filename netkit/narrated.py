"""Socket objects and an epoll object that narrate their calls: the same call is made, then
its record goes to a ``Narrator`` (netkit.sockcalls). listen --explain makes its sockets of this
class and resolve --dns --explain its query sockets; neither changes the code that uses them.

Where CPython waits inside a socket method (a socket with a timeout polls for readiness before
accept or recv), that poll is narrated too, with the result the method's outcome proves: 1 when
the call went ahead, 0 when it timed out.
"""

import errno
import math
import select
import socket
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from netkit.sockcalls import (
    Narrator,
    option_args,
    preview,
    shutdown_how,
    sockaddr,
    socket_args,
    state_after_close,
)

POLL_BITS = ((select.POLLIN, "POLLIN"), (select.POLLOUT, "POLLOUT"), (select.POLLERR, "POLLERR"),
              (select.POLLHUP, "POLLHUP"))  # fmt: skip
EPOLL_BITS = tuple((bit, "E" + name) for bit, name in POLL_BITS)  # the same values on Linux


def bits(mask: int, names: Iterable[tuple[int, str]]) -> str:
    return "|".join(name for bit, name in names if mask & bit) or "0"


def milliseconds(timeout: float | None) -> int:
    return -1 if timeout is None or timeout < 0 else math.ceil(timeout * 1000)


class NarratedSocket(socket.socket):
    """A socket whose calls narrate themselves to the class's ``narrator``."""

    narrator: ClassVar[Narrator]

    def __init__(
        self, family: int = -1, type: int = -1, proto: int = 0, fileno: int | None = None
    ) -> None:
        super().__init__(family, type, proto, fileno)
        self.peer_address: Any = None
        if fileno is None:  # socket() (accept() passes the new connection's descriptor)
            self.narrator.follow(self.fileno())
            self.narrator.record("socket", socket_args(family, type, proto), self.fileno(),
                                 fd=self.fileno())  # fmt: skip

    def _record(self, call: str, args: Iterable[object], result: int | None, **how: Any) -> None:
        self.narrator.record(call, (self.fileno(), *args), result, sock=self, **how)

    def _waited(self, events: str, outcome: int) -> None:
        """CPython's own poll() before a call on a socket with a timeout."""
        timeout = self.gettimeout()
        if timeout:
            meaning = "ready" if outcome else "timed out (the socket's timeout)"
            self.narrator.record("poll", (f"[{{fd={self.fileno()}, events={events}}}]", 1,
                                          milliseconds(timeout)), outcome, meaning=meaning,
                                 fd=self.fileno())  # fmt: skip

    def _interrupted(self, call: str, args: Iterable[object], events: str) -> None:
        """A signal's handler raised out of a blocking call (or out of CPython's poll before
        it, on a socket with a timeout): the call ended with EINTR."""
        timeout = self.gettimeout()
        if timeout:
            fd = self.fileno()
            wait = (f"[{{fd={fd}, events={events}}}]", 1, milliseconds(timeout))
            self.narrator.record("poll", wait, None, error=INTERRUPTED, meaning=STOPPED, fd=fd)
        else:
            self._record(call, args, None, error=INTERRUPTED, meaning=STOPPED)

    def setsockopt(self, level: int, name: int, value: Any, *rest: Any) -> None:
        super().setsockopt(level, name, value, *rest)
        self._record("setsockopt", (*option_args(level, name), f"[{value}]", 4), 0)

    def getsockopt(self, level: int, name: int, *rest: Any) -> Any:
        value = super().getsockopt(level, name, *rest)
        shown = f"[{value}]" if isinstance(value, int) else "[...]"
        meaning = None
        if (level, name) == (socket.SOL_SOCKET, socket.SO_ERROR):
            meaning = "connected" if value == 0 else f"failed: {errno.errorcode.get(value, value)}"
        self._record("getsockopt", (*option_args(level, name), shown), 0, meaning=meaning)
        return value

    def connect(self, address: Any) -> None:
        shown, length = sockaddr(address, self.family)
        try:
            super().connect(address)
        except OSError as error:
            self._record("connect", (shown, length), None, error=error)
            raise
        meaning = "default destination set" if self.type == socket.SOCK_DGRAM else "connected"
        self._record("connect", (shown, length), 0, meaning=meaning)

    def connect_ex(self, address: Any) -> int:
        shown, length = sockaddr(address, self.family)
        code = super().connect_ex(address)
        if code == 0:
            self._record("connect", (shown, length), 0, meaning="connected")
        else:
            meaning = "handshake started" if code == errno.EINPROGRESS else None
            self._record("connect", (shown, length), None, error=OSError(code, ""),
                         meaning=meaning)  # fmt: skip
        return code

    def recv(self, size: int, flags: int = 0) -> bytes:
        try:
            data = super().recv(size, flags)
        except OSError as error:
            meaning = "nothing to read yet" if isinstance(error, BlockingIOError) else None
            self._record("recv", ("...", size, flags), None, error=error, meaning=meaning)
            raise
        shown = preview(data) if data else '""'
        meaning = None if data or self.type != socket.SOCK_STREAM else "peer closed: end of file"
        self._record("recv", (shown, size, flags), len(data), meaning=meaning)
        return data

    def bind(self, address: Any) -> None:
        shown, length = sockaddr(address, self.family)
        try:
            super().bind(address)
        except OSError as error:
            self._record("bind", (shown, length), None, error=error)
            raise
        self._record("bind", (shown, length), 0)

    def listen(self, backlog: int = 128) -> None:
        super().listen(backlog)
        self._record("listen", (backlog,), 0, meaning="accepting connections")

    def setblocking(self, flag: bool) -> None:
        super().setblocking(flag)
        self._record("ioctl", ("FIONBIO", f"[{0 if flag else 1}]"), 0,
                     meaning="blocking" if flag else "non-blocking")  # fmt: skip

    def settimeout(self, value: float | None) -> None:
        super().settimeout(value)
        meaning = "blocking" if value is None else f"non-blocking; CPython polls up to {value} s"
        self._record("ioctl", ("FIONBIO", f"[{0 if value is None else 1}]"), 0, meaning=meaning)

    def getsockname(self) -> Any:
        address = super().getsockname()
        shown, length = sockaddr(address, self.family)
        self._record("getsockname", (shown, f"[{length}]"), 0)
        return address

    def getpeername(self) -> Any:
        try:
            address = super().getpeername()
        except OSError as error:
            self._record("getpeername", ("...", "[...]"), None, error=error)
            raise
        shown, length = sockaddr(address, self.family)
        self._record("getpeername", (shown, f"[{length}]"), 0)
        return address

    def accept(self) -> tuple[socket.socket, Any]:
        try:
            fd, address = self._accept()  # type: ignore[attr-defined]  # socket.socket's own
        except TimeoutError:
            self._waited("POLLIN", 0)
            raise
        except BlockingIOError as error:
            self._record("accept", ("...", "[...]"), None, error=error,
                         meaning="no connection is waiting")  # fmt: skip
            raise
        except OSError as error:
            self._waited("POLLIN", 1)
            self._record("accept", ("...", "[...]"), None, error=error)
            raise
        except BaseException:  # a stop signal's handler raised out of the wait
            self._interrupted("accept", ("...", "[...]"), "POLLIN")
            raise
        self._waited("POLLIN", 1)
        self.narrator.accepted(fd)
        shown, length = sockaddr(address, self.family)
        self._record("accept", (shown, f"[{length}]"), fd, meaning=f"new connection: {fd}")
        sock = type(self)(self.family, self.type, self.proto, fileno=fd)
        sock.peer_address = address
        if socket.getdefaulttimeout() is None and self.gettimeout():
            sock.setblocking(True)  # as socket.accept() does (CPython issue 7995)
        return sock, address

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        size = nbytes or len(buffer)
        try:
            n = super().recv_into(buffer, nbytes, flags)
        except TimeoutError:
            self._waited("POLLIN", 0)
            raise
        except OSError as error:
            self._waited("POLLIN", 1)
            meaning = "nothing to read yet" if isinstance(error, BlockingIOError) else None
            self._record("recv", ("...", size, flags), None, error=error, meaning=meaning)
            raise
        except BaseException:
            self._interrupted("recv", ("...", size, flags), "POLLIN")
            raise
        self._waited("POLLIN", 1)
        shown = preview(memoryview(buffer)[:n]) if n else '""'
        self._record("recv", (shown, size, flags), n,
                     meaning=None if n else "peer closed: end of file")  # fmt: skip
        return n

    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        size = nbytes or len(buffer)
        try:
            n, address = super().recvfrom_into(buffer, nbytes, flags)
        except OSError as error:
            meaning = "nothing to read yet" if isinstance(error, BlockingIOError) else None
            self._record("recvfrom", ("...", size, flags, "...", "[...]"), None, error=error,
                         meaning=meaning)  # fmt: skip
            raise
        except BaseException:
            self._interrupted("recvfrom", ("...", size, flags, "...", "[...]"), "POLLIN")
            raise
        self.narrator.received_datagram()
        shown, length = sockaddr(address, self.family)
        data = preview(memoryview(buffer)[:n])
        self._record("recvfrom", (data, size, flags, shown, f"[{length}]"), n)
        return n, address

    def send(self, data: Any, flags: int = 0) -> int:
        size = len(data)
        try:
            sent = super().send(data, flags)
        except TimeoutError:
            self._waited("POLLOUT", 0)
            raise
        except OSError as error:
            self._waited("POLLOUT", 1)
            meaning = "the send buffer is full" if isinstance(error, BlockingIOError) else None
            self._record("send", (preview(data), size, flags), None, error=error,
                         meaning=meaning)  # fmt: skip
            raise
        self._waited("POLLOUT", 1)
        partial = f"partial write: {sent} of {size} bytes taken" if sent < size else None
        self._record("send", (preview(data), size, flags), sent, meaning=partial)
        return sent

    def sendall(self, data: Any, flags: int = 0) -> None:
        """send() until every byte is taken, as socket.sendall() does in C, each call seen."""
        view = memoryview(data).cast("B")
        while view:
            view = view[self.send(view, flags) :]

    def sendto(self, data: Any, *rest: Any) -> int:
        address = rest[-1]
        shown, length = sockaddr(address, self.family)
        args = (preview(data), len(data), 0, shown, length)
        try:
            sent = super().sendto(data, *rest)
        except OSError as error:
            self._record("sendto", args, None, error=error)
            raise
        self._record("sendto", args, sent)
        return sent

    def shutdown(self, how: int) -> None:
        try:
            super().shutdown(how)
        except OSError as error:
            self._record("shutdown", (shutdown_how(how),), None, error=error)
            raise
        self._record("shutdown", (shutdown_how(how),), 0)

    def close(self) -> None:
        fd = self.fileno()
        if fd < 0:
            super().close()
            return  # already closed: no call
        narrator = self.narrator
        ends = None
        if narrator.shows(fd) and self.type == socket.SOCK_STREAM and self.peer_address:
            try:  # to find the connection after close (not narrated: --explain's own call)
                ends = (self.family, socket.socket.getsockname(self), self.peer_address)
            except OSError:
                ends = None
        super().close()
        state = state_after_close(ends) if ends is not None else None
        narrator.record("close", (fd,), 0, fd=fd, state=state)
        narrator.closed(fd)


# A stop signal's handler raises out of a wait: the call ended with EINTR.
INTERRUPTED = InterruptedError(errno.EINTR, "Interrupted system call")
STOPPED = "interrupted by a signal: stopping"


def ready(events: Iterable[tuple[int, int]], names: Iterable[tuple[int, str]]) -> str | None:
    shown = [f"{fd} {bits(mask, names)}" for fd, mask in events]
    return "ready: " + ", ".join(shown) if shown else "timed out"


class NarratedEpoll:
    """select.epoll's methods, narrated as epoll_ctl and epoll_wait."""

    def __init__(self, epoll: Any, narrator: Narrator) -> None:
        self.epoll = epoll
        self.fd: int = epoll.fileno()
        self.narrator = narrator

    def _ctl(self, operation: str, fd: int, mask: int | None, call: Callable[[], None]) -> None:
        event = "NULL" if mask is None else "{" + bits(mask, EPOLL_BITS) + "}"
        args = (self.fd, operation, fd, event)
        try:
            call()
        except OSError as error:
            self.narrator.record("epoll_ctl", args, None, error=error, fd=fd)
            raise
        self.narrator.record("epoll_ctl", args, 0, fd=fd)

    def register(self, fd: int, mask: int) -> None:
        self._ctl("EPOLL_CTL_ADD", fd, mask, lambda: self.epoll.register(fd, mask))

    def modify(self, fd: int, mask: int) -> None:
        self._ctl("EPOLL_CTL_MOD", fd, mask, lambda: self.epoll.modify(fd, mask))

    def unregister(self, fd: int) -> None:
        self._ctl("EPOLL_CTL_DEL", fd, None, lambda: self.epoll.unregister(fd))

    def poll(self, timeout: float = -1, maxevents: int = -1) -> list[tuple[int, int]]:
        ms = milliseconds(timeout)
        try:
            events: list[tuple[int, int]] = self.epoll.poll(timeout, maxevents)
        except BaseException:  # a stop signal's handler raises out of the wait (EINTR)
            self.narrator.record("epoll_wait", (self.fd, "...", maxevents, ms), None,
                                 error=INTERRUPTED, meaning=STOPPED, fd=None)  # fmt: skip
            raise
        shown = "[" + ", ".join(f"{{{bits(m, EPOLL_BITS)}, fd={fd}}}" for fd, m in events) + "]"
        self.narrator.record("epoll_wait", (self.fd, shown, maxevents, ms), len(events),
                             meaning=ready(events, EPOLL_BITS), fd=None)  # fmt: skip
        return events

    def close(self) -> None:
        fd = self.fd
        self.epoll.close()
        self.narrator.record("close", (fd,), 0, fd=fd)
        self.narrator.closed(fd)

    def fileno(self) -> int:
        return self.fd


def narrated_socket_class(narrator: Narrator) -> type[socket.socket]:
    """A socket class whose calls narrate themselves to ``narrator``."""
    return type("NarratedSocket", (NarratedSocket,), {"narrator": narrator})


def watch_epoll(epoll: Any, narrator: Narrator) -> "NarratedEpoll":
    """Narrate a select.epoll made a moment ago (no call since): its epoll_create1, then each
    epoll_ctl and epoll_wait. Returns the object to use in its place."""
    proxy = NarratedEpoll(epoll, narrator)
    narrator.follow(proxy.fd)
    narrator.record("epoll_create1", ("EPOLL_CLOEXEC",), proxy.fd, fd=proxy.fd)
    return proxy
