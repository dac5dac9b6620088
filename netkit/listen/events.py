"""What a running listener reports: frozen records handed to the observer's callbacks."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Listening:
    """The socket is bound and listening: the readiness line."""

    transport: str
    address: str  # "127.0.0.1:5566", "[::1]:5566", "/tmp/echo.sock" or "@name"
    mux: str
    host: str | None = None  # the bound address alone (TCP, UDP): "127.0.0.1", "::1"
    port: int | None = None  # the bound port: the one chosen by --port 0
    path: str | None = None  # the socket file, or @name (Unix)


@dataclass(frozen=True, slots=True)
class ConnectionOpened:
    peer: str
    time: float  # Unix time


@dataclass(frozen=True, slots=True)
class PeerSeen:
    """UDP: the first datagram from a peer (-v logs each new peer, as TCP logs connections)."""

    peer: str
    time: float  # Unix time


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    peer: str
    bytes_in: int
    bytes_out: int
    duration_s: float
    reason: str  # eof, reset, idle, shutdown, error: <strerror>


@dataclass(frozen=True, slots=True)
class ConnectionRefused:
    peer: str
    reason: str  # denied by access list, max-conns reached, descriptor above FD_SETSIZE


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the operator should know once (out of descriptors, ...)."""

    message: str


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    transport: str
    address: str
    mux: str
    uptime_s: float
    connections_now: int
    connections_total: int
    connections_peak: int
    refused: int
    bytes_in: int
    bytes_out: int
    datagrams_in: int
    datagrams_out: int


def _ignore(event: object) -> None:
    return None


@dataclass(slots=True)
class Observer:
    """Callbacks the engine calls; None for the chatty ones means nobody listens, and the engine
    then skips building the record at all."""

    listening: Callable[[Listening], None] = _ignore
    notice: Callable[[Notice], None] = _ignore
    refused: Callable[[ConnectionRefused], None] = _ignore
    opened: Callable[[ConnectionOpened], None] | None = None
    closed: Callable[[ConnectionClosed], None] | None = None
    peer_seen: Callable[[PeerSeen], None] | None = None
    # --print: every chunk that arrives, with the peer it came from.
    data: Callable[[str, bytes], None] | None = field(default=None)
