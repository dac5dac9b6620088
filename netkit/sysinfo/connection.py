"""A socket as netkit shows it, and the filter that picks sockets: the model shared by the
Linux reader (``netkit.sysinfo.linux``) and the portable one (``netkit.sysinfo.conns``)."""

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from netkit.sysinfo.socket_facts import SocketMemory, TcpInfo, Timer

Proto = Literal["tcp", "udp", "unix"]

# The kernel's TCP states as psutil names them (psutil.CONN_*), for --state and completion.
TCP_STATES = (
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
)

_SOCKTYPES: dict[int, str] = {
    socket.SOCK_STREAM: "stream",
    socket.SOCK_DGRAM: "dgram",
    socket.SOCK_SEQPACKET: "seqpacket",
}


class Connection(NamedTuple):
    """One socket: what `ss -tunap` prints on one line.

    A NamedTuple rather than the frozen dataclass netkit's results usually are: a busy host
    has tens of thousands of sockets, and a frozen dataclass of this many fields takes 4.7 us
    to build (each field set through object.__setattr__) where a NamedTuple takes 0.26 us:
    measured, that alone was a fifth of `netkit conns` at 10,000 sockets. It is as immutable.
    """

    proto: Proto
    family: Literal["IPv4", "IPv6", "unix"]
    socktype: str  # stream, dgram or seqpacket
    local: str | None  # "127.0.0.1:5566", "[::1]:5566" or a Unix path; None when unbound
    local_address: str | None
    local_port: int | None
    remote: str | None  # None when there is no peer (listening, unconnected UDP)
    remote_address: str | None
    remote_port: int | None
    state: str | None  # the TCP state (LISTEN, ESTABLISHED, ...); None for UDP and Unix
    pid: int | None  # None when the socket's owner is not visible to us
    process: str | None
    user: str | None  # the socket's owner (its uid's name); the process's user under psutil
    fd: int | None
    # The kernel's facts (Linux only; None from psutil). The queues are ss's Recv-Q and Send-Q:
    # for a listening socket the connections waiting in the accept queue and its limit (the
    # backlog); for any other, the bytes received and not yet read, and the bytes sent and not
    # yet acknowledged (TCP) or not yet sent (UDP, Unix).
    recv_q: int | None = None
    send_q: int | None = None
    inode: int | None = None  # 0 for sockets no process holds (TIME_WAIT, SYN_RECV)
    uid: int | None = None
    cookie: int | None = None  # the kernel's unique socket identifier (ss -e's "sk:")
    peer_inode: int | None = None  # a connected Unix socket's peer
    timer: Timer | None = None  # asked for with -o (always present for TIME_WAIT)
    info: TcpInfo | None = None  # asked for with -i (TCP only)
    memory: SocketMemory | None = None  # asked for with -m

    @property
    def listening(self) -> bool:
        """A TCP socket in LISTEN, an unconnected UDP socket, or a named Unix socket."""
        if self.proto == "tcp":
            return self.state == "LISTEN"
        if self.proto == "udp":
            return self.remote is None
        return self.local is not None


class PortRange(NamedTuple):
    low: int
    high: int

    @classmethod
    def parse(cls, text: str) -> "PortRange":
        """``80`` or ``8000-8080``; ValueError otherwise."""
        low, dash, high = text.partition("-")
        first, last = int(low), int(high) if dash else int(low)
        if not 0 <= first <= last <= 65535:
            raise ValueError(f"not a port or a range of ports (0-65535): {text}")
        return cls(first, last)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ConnectionFilter:
    """What `netkit conns` was asked to show; empty collections mean "any"."""

    protos: frozenset[Proto] = frozenset({"tcp", "udp"})
    families: frozenset[str] = frozenset({"IPv4", "IPv6", "unix"})
    listening: bool = False
    ports: frozenset[int] = frozenset()
    pids: frozenset[int] = frozenset()
    states: frozenset[str] = frozenset()
    process: str | None = None  # a substring of the process name, like pgrep
    sports: tuple[PortRange, ...] = ()  # the local port in any of these
    dports: tuple[PortRange, ...] = ()  # the remote port in any of these
    src: tuple[Network, ...] = ()  # the local address in any of these
    dst: tuple[Network, ...] = ()  # the remote address in any of these
    users: frozenset[str] = frozenset()  # the socket's owner, by name or uid

    def matches(self, conn: Connection) -> bool:
        return (
            self.matches_in_kernel(conn)
            and (not self.pids or conn.pid in self.pids)
            and (
                self.process is None or (conn.process is not None and self.process in conn.process)
            )
            and (not self.src or _in_networks(conn.local_address, self.src))
            and (not self.dst or _in_networks(conn.remote_address, self.dst))
            and (not self.users or conn.user in self.users or str(conn.uid) in self.users)
        )

    @property
    def checks_rows(self) -> bool:
        """Whether rows read through sock_diag need checking after the kernel's filter: the
        kernel selects protocol, family, states and listening exactly (they are separate dumps
        and the state bitmask), so on a busy host an unfiltered listing skips a pass over every
        row. Ports are checked again (a listener's remote port is 0 to the kernel, None here),
        and so is a listening Unix socket (one bound to a name, which no state says)."""
        return bool(self.ports or self.sports or self.dports or self.pids or self.src
                    or self.dst or self.users or self.process is not None
                    or (self.listening and "unix" in self.protos))  # fmt: skip

    def matches_in_kernel(self, conn: Connection) -> bool:
        """The part of the filter that sock_diag can run in the kernel (Linux): states and
        ports. Also checked afterwards, so that both ways give the same rows."""
        return (
            conn.proto in self.protos
            and conn.family in self.families
            and (not self.listening or conn.listening)
            and (not self.ports or bool({conn.local_port, conn.remote_port} & self.ports))
            and (not self.states or conn.state in self.states)
            and (not self.sports or _in_ranges(conn.local_port, self.sports))
            and (not self.dports or _in_ranges(conn.remote_port, self.dports))
        )


def _in_ranges(port: int | None, ranges: Iterable[PortRange]) -> bool:
    return port is not None and any(low <= port <= high for low, high in ranges)


def _in_networks(address: str | None, networks: Iterable[Network]) -> bool:
    if address is None or address.startswith("/") or address.startswith("@"):
        return False
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in networks)
