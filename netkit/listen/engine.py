"""The listener's life cycle and the policy every I/O design shares: who may connect, what is
counted, what is reported, and how it stops."""

import contextlib
import errno
import signal
import socket
import struct
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FrameType
from typing import TYPE_CHECKING, Protocol

from netkit.listen.access import AccessPolicy
from netkit.listen.config import Behaviour, ListenConfig
from netkit.listen.events import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionRefused,
    Notice,
    Observer,
    StatsSnapshot,
)
from netkit.listen.stats import Stats
from netkit.listen.transport import BoundSocket, format_peer, open_socket, raise_open_files_limit

if TYPE_CHECKING:
    from netkit.listen.mux.poller import Poller

# accept() failing with these means "no descriptors or memory now", not "this client is bad":
# retrying at once would spin, so back ends pause accepting until a connection closes.
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class StopListening(BaseException):
    """Raised by the SIGINT/SIGTERM handler to unwind whatever the back end is blocked in."""


class Backend(Protocol):
    """One I/O design: serves the bound socket until the engine stops it."""

    def serve(self) -> None: ...

    def close_all(self) -> None: ...

    def live_totals(self) -> tuple[int, int, int]:
        """(open connections, their bytes in, their bytes out)."""
        ...

    def broadcast(self, data: bytes) -> None:
        """Send ``data`` to every connected peer (--print's standard input); any thread."""
        ...


class Admitting(Protocol):
    """What a back end lends the one admission path (``Engine.admit``)."""

    def open_now(self) -> int:
        """How many connections it serves at this moment."""
        ...

    def open(self, sock: socket.socket, peer: str) -> str | None:
        """Start serving an admitted connection, or say why it cannot (it is then refused)."""
        ...

    def pause_accepting(self) -> None:
        """accept() ran out of descriptors or memory: hold off in this design's own way."""
        ...


# The admission path's default guard: a back end that runs in one thread needs no lock.
_ONE_THREAD: AbstractContextManager[object] = contextlib.nullcontext()


class Engine:
    """Shared state and policy; a back end owns only the waiting and the per-connection I/O."""

    def __init__(self, config: ListenConfig, observer: Observer, mux: str) -> None:
        self.config = config
        self.observer = observer
        self.mux = mux
        self.policy = AccessPolicy(config.allow, config.deny)
        self.running = True
        self.stopping = False  # set once a signal arrived: open connections close as "shutdown"
        self.tcp_nodelay = config.transport == "tcp" and config.behaviour is Behaviour.ECHO
        self._accept_blocked = False
        self.bound: BoundSocket | None = None
        self.stats = Stats(config.transport, "", mux)
        self.backend: Backend | None = None
        # --explain (netkit.listen.explain): the class of every socket, and a hook that
        # narrates what a poller asks of the kernel. Plain sockets and no hook otherwise.
        self.socket_class: type[socket.socket] = socket.socket
        self.watch_poller: Callable[[Poller], None] | None = None

    # -- life cycle -------------------------------------------------------------------------

    def run(
        self,
        make_backend: Callable[["Engine"], Backend],
        report: Callable[[StatsSnapshot], None] | None = None,
    ) -> StatsSnapshot:
        """Bind, announce, serve until a signal (or --once), close everything, return totals.
        ``report`` gets them first, while a second signal still cannot cut the clean-up short
        (the summary is part of it)."""
        raise_open_files_limit()
        self.bound = open_socket(self.config, self.socket_class)
        self.stats.address = self.bound.address
        backend = self.backend = make_backend(self)
        if self.config.peer_input_fd is not None:
            from netkit.listen.peer_input import start_reading

            start_reading(self.config.peer_input_fd, backend.broadcast)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS}
        try:
            with contextlib.suppress(StopListening):  # a signal may come as soon as we announce
                self.observer.listening(self.bound.listening(self.config.transport, self.mux))
                backend.serve()
            self.stopping = True  # from here on a signal changes nothing (see _on_signal)
            backend.close_all()
            self.bound.close()
            snapshot = self.snapshot()
            if report is not None:
                report(snapshot)
        finally:
            self.bound.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return snapshot

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.running = False
        if self.stopping:  # a second Ctrl-C while closing: finish the clean-up regardless
            return
        self.stopping = True
        raise StopListening

    def snapshot(self) -> StatsSnapshot:
        now, live_in, live_out = self.backend.live_totals() if self.backend else (0, 0, 0)
        return self.stats.snapshot(now, live_in, live_out)

    # -- policy shared by every back end ----------------------------------------------------

    def admit(
        self,
        listener: socket.socket,
        backend: Admitting,
        lock: AbstractContextManager[object] = _ONE_THREAD,
    ) -> bool:
        """Accept one connection, then admit or refuse it: the one admission path of every back
        end (accept, peer name, refusal, then refuse or open), as socketserver keeps it in
        ``_handle_request_noblock``. ``lock`` is held over the decision and the opening, so
        that a connection thread cannot report its end before its start has been reported.

        False when there was nothing to accept (would block, timed out) or accept() ran out
        of resources (the back end was told to pause); True when a client was dealt with."""
        try:
            sock, address = listener.accept()
        except (BlockingIOError, TimeoutError):
            return False
        except OSError as error:
            if error.errno not in RESOURCE_ERRNOS:
                return True  # ECONNABORTED and friends: that client gave up already
            with lock:
                self.accept_failed(error)
            backend.pause_accepting()
            return False
        peer = self.peer_name(sock, address)
        with lock:
            reason = self.refusal(address, backend.open_now()) or backend.open(sock, peer)
            if reason is None:
                self.opened(peer, backend.open_now())
            else:
                self.refuse(sock, peer, reason)
        return True

    def peer_name(self, sock: socket.socket, address: object) -> str:
        if self.config.transport != "unix":
            return format_peer(address)
        return _unix_peer_name(sock)

    def refusal(self, address: object, open_now: int) -> str | None:
        """Why a new connection must be closed at once (or a datagram dropped), or None to
        serve it; a datagram service passes 0 for ``open_now``: --max-conns is about
        connections."""
        limit = self.config.max_conns
        if limit is not None and open_now >= limit:
            return f"--max-conns {limit} reached"
        if self.policy.active and isinstance(address, tuple):
            return self.policy.refusal(str(address[0]))
        return None

    def refuse(self, sock: socket.socket, peer: str, reason: str) -> None:
        sock.close()
        self.count_refusal(peer, reason)

    def count_refusal(self, peer: str, reason: str, report: bool = True) -> None:
        """A connection (or datagram) was refused; tell the observer unless ``report`` is off
        (UDP reports each peer once, however many datagrams it sends)."""
        self.stats.refused += 1
        if report:
            self.observer.refused(ConnectionRefused(peer, reason))

    def opened(self, peer: str, open_now: int) -> None:
        stats = self.stats
        stats.connections_total += 1
        stats.connections_peak = max(stats.connections_peak, open_now)
        self._accept_blocked = False
        if self.observer.opened is not None:
            self.observer.opened(ConnectionOpened(peer, time.time()))

    def closed(self, peer: str, bytes_in: int, bytes_out: int, opened: float, reason: str) -> None:
        stats = self.stats
        stats.bytes_in += bytes_in
        stats.bytes_out += bytes_out
        if self.observer.closed is not None:
            duration = round(time.monotonic() - opened, 6)
            if self.stopping and reason == "eof":
                reason = "shutdown"
            self.observer.closed(ConnectionClosed(peer, bytes_in, bytes_out, duration, reason))
        if self.config.once:
            self.running = False

    def accept_failed(self, error: OSError) -> None:
        """Out of descriptors or memory: say so once per episode (until an accept succeeds)."""
        if not self._accept_blocked:
            self._accept_blocked = True
            name = errno.errorcode.get(error.errno or 0, "error")
            self.observer.notice(
                Notice(
                    f"accept failed ({name}: {error.strerror}): pausing new connections "
                    "until a descriptor frees up"
                )
            )


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def close_reason(error: OSError) -> str:
    if isinstance(error, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "reset"
    if isinstance(error, TimeoutError):
        return "idle"
    return f"error: {error.strerror or error}"


def _unix_peer_name(sock: socket.socket) -> str:
    """A Unix peer has no address worth showing; its process id is (SO_PEERCRED, Linux)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return "unix peer"
    try:
        pid, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, 12))
    except OSError:
        return "unix peer"
    return f"pid {pid} uid {uid}"
