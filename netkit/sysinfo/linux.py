"""Connections on Linux, read as ss reads them: sock_diag for the sockets, /proc for owners.

The state and port parts of the filter travel to the kernel (a state bitmask and a filter
program), so that on a busy host only the matching sockets are copied out and parsed; the rest
of the filter (processes, addresses, users) is applied to the rows afterwards.
"""

import operator
import socket
from collections.abc import Iterable, Iterator

from netkit.sysinfo import sockdiag
from netkit.sysinfo.connection import TCP_STATES, Connection, ConnectionFilter, Proto
from netkit.sysinfo.owners import process_name, socket_owners, user_name
from netkit.sysinfo.socket_facts import SocketMemory, TcpInfo, timer_of

TCP_LISTEN = 10
TCP_CLOSE = 7  # an unconnected UDP socket
TCP_NEW_SYN_RECV = 12  # a connection request not yet accepted (ss shows it as SYN-RECV)
_STATE_NUMBERS = {name: number for number, name in enumerate(TCP_STATES, start=1)}
_STATE_NAMES = {**{n: name for name, n in _STATE_NUMBERS.items()}, TCP_NEW_SYN_RECV: "SYN_RECV"}
_SOCKTYPES: dict[int, str] = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram",
              socket.SOCK_SEQPACKET: "seqpacket"}  # fmt: skip
_FAMILIES = (("IPv4", socket.AF_INET), ("IPv6", socket.AF_INET6))


def state_name(number: int) -> str:
    """A TCP state's name as --state takes it (NEW_SYN_RECV shows as SYN_RECV, as in ss)."""
    return _STATE_NAMES.get(number, str(number))


def tcp_state_mask(wanted: ConnectionFilter) -> int:
    """The TCP states to dump, as sock_diag's bitmask (1 << state)."""
    mask = sockdiag.ALL_STATES
    if wanted.states:
        mask = 0
        for name in wanted.states:
            mask |= 1 << _STATE_NUMBERS[name]
            if name == "SYN_RECV":
                mask |= 1 << TCP_NEW_SYN_RECV
    if wanted.listening:
        mask &= 1 << TCP_LISTEN
    return mask


def udp_state_mask(wanted: ConnectionFilter) -> int:
    if wanted.states:  # --state names TCP states: no UDP socket is in one
        return 0
    return 1 << TCP_CLOSE if wanted.listening else sockdiag.ALL_STATES


def port_program(wanted: ConnectionFilter) -> sockdiag.Program | None:
    """--port, --sport and --dport as a sock_diag filter program (all must hold)."""
    clauses: list[sockdiag.Program] = []
    if wanted.ports:
        either = [
            sockdiag.bc_or(sockdiag.bc_port_range(True, p, p), sockdiag.bc_port_range(False, p, p))
            for p in sorted(wanted.ports)
        ]
        clauses.append(_any(either))
    for local, ranges in ((True, wanted.sports), (False, wanted.dports)):
        if ranges:
            clauses.append(_any([sockdiag.bc_port_range(local, lo, hi) for lo, hi in ranges]))
    if not clauses:
        return None
    program = clauses[0]
    for clause in clauses[1:]:
        program = sockdiag.bc_and(program, clause)
    return program


def _any(programs: list[sockdiag.Program]) -> sockdiag.Program:
    result = programs[-1]
    for program in reversed(programs[:-1]):
        result = sockdiag.bc_or(program, result)
    return result


class _Owners:
    """Socket inode -> pid, fd and process name, read from /proc once per listing. (Walking
    /proc in a thread while the kernel's tables are read was measured: no faster, as the walk
    holds the GIL for most of its time.)"""

    def __init__(self) -> None:
        self.by_inode = socket_owners()
        self.names: dict[int, str | None] = {}

    def of(self, inode: int) -> tuple[int | None, int | None, str | None]:
        owner = self.by_inode.get(inode) if inode else None
        if owner is None:
            return None, None, None
        pid = owner.pid
        if pid not in self.names:
            self.names[pid] = process_name(pid)
        return pid, owner.fd, self.names[pid]


def read_connections(
    wanted: ConnectionFilter,
    *,
    info: bool = False,
    memory: bool = False,
    kernel_filter: bool = True,
) -> Iterator[Connection]:
    """The sockets that pass the kernel's part of ``wanted`` (all of them without
    ``kernel_filter``, for tests), sorted by protocol, family and local port, with tcp_info
    when ``info`` and skmem when ``memory``. Raises sockdiag.SockDiagError (an OSError) when
    the kernel refuses."""
    owners = _Owners()
    program = port_program(wanted) if kernel_filter else None
    inet: tuple[tuple[Proto, int, int], ...] = (
        ("tcp", socket.IPPROTO_TCP, tcp_state_mask(wanted)),
        ("udp", socket.IPPROTO_UDP, udp_state_mask(wanted)),
    )
    for proto, number, states in inet:
        if proto not in wanted.protos or not states:
            continue
        for family_name, family in _FAMILIES:
            if family_name in wanted.families:
                dump = sockdiag.dump_inet(
                    family, number, info=info and proto == "tcp", memory=memory,
                    states=states if kernel_filter else sockdiag.ALL_STATES, program=program,
                )  # fmt: skip
                yield from _inet_rows(sorted(dump, key=_INET_ORDER), proto, family_name, owners)
    # --state names TCP states: no Unix socket is in one.
    if "unix" in wanted.protos and not (kernel_filter and wanted.states):
        yield from _unix_rows(sorted(sockdiag.dump_unix(memory=memory), key=_unix_order), owners)


# Rows come out sorted as ss would not sort them but netkit always has: by local port, then
# address, then the remote end. Sorting the kernel's records (plain ints and strings, compared
# in C through itemgetter) costs a fifth of sorting the rows by a Python key function.
_INET_ORDER = operator.itemgetter(5, 4, 7, 6)  # local port, local address, remote port, address


def _unix_order(s: sockdiag.UnixSocket) -> tuple[str, int]:
    return (s.name or "", s.inode)


def _inet_rows(
    dump: Iterable[sockdiag.InetSocket], proto: Proto, family: str, owners: _Owners
) -> Iterator[Connection]:
    """Kernel records as rows. This runs once per socket, so locals stand in for attribute
    lookups, and rows are made by tuple.__new__: a NamedTuple's own __new__ is a Python
    function (0.37 us a row against 0.15), and its arguments here are already in field order."""
    tcp = proto == "tcp"
    socktype = "stream" if tcp else "dgram"
    unconnected = TCP_LISTEN if tcp else TCP_CLOSE  # no peer: listening, or unconnected UDP
    by_inode, names, state_names = owners.by_inode, owners.names, _STATE_NAMES
    make, row = tuple.__new__, Connection
    for record in dump:
        (_, state, timer, retrans, local_address, local_port, remote_address, remote_port, cookie,
         expires_ms, rqueue, wqueue, uid, inode, info, congestion, skmem) = record  # fmt: skip
        if state == unconnected:
            remote = peer_address = peer_port = None
        else:
            peer_address, peer_port = remote_address, remote_port
            remote = (f"[{remote_address}]:{remote_port}" if ":" in remote_address
                      else f"{remote_address}:{remote_port}")  # fmt: skip
        pid = fd = process = user = owner_uid = None
        if inode:  # TIME_WAIT and request sockets (inode 0) belong to the kernel alone
            user, owner_uid = user_name(uid), uid
            owner = by_inode.get(inode)
            if owner is not None:
                pid, fd = owner
                process = names.get(pid)
                if process is None and pid not in names:
                    process = names[pid] = process_name(pid)
        yield make(row, (
            proto, family, socktype,
            f"[{local_address}]:{local_port}" if ":" in local_address
            else f"{local_address}:{local_port}",
            local_address, local_port, remote, peer_address, peer_port,
            (state_names.get(state) or str(state)) if tcp else None,
            pid, process, user, fd, rqueue, wqueue, inode, owner_uid, cookie, None,
            timer_of(timer, expires_ms, retrans) if timer else None,
            TcpInfo.from_kernel(info, congestion) if info is not None else None,
            SocketMemory.from_skmem(skmem) if skmem is not None else None,
        ))  # fmt: skip


def _unix_rows(dump: Iterable[sockdiag.UnixSocket], owners: _Owners) -> Iterator[Connection]:
    for s in dump:
        pid, fd, process = owners.of(s.inode)
        yield Connection(
            proto="unix", family="unix", socktype=_SOCKTYPES.get(s.type, str(s.type)),
            local=s.name, local_address=s.name, local_port=None,
            remote=None, remote_address=None, remote_port=None, state=None,
            pid=pid, process=process, user=None if s.uid is None else user_name(s.uid), fd=fd,
            recv_q=s.rqueue, send_q=s.wqueue, inode=s.inode, uid=s.uid, cookie=s.cookie,
            peer_inode=s.peer_inode,
            memory=SocketMemory.from_skmem(s.skmem) if s.skmem is not None else None,
        )  # fmt: skip
