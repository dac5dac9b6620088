"""A small reader of the Linux kernel's sock_diag netlink interface: what ss reads.

Why not pyroute2, the field's netlink library? It has sock_diag support, but it builds a generic
attribute tree of Python objects for every message: measured here it took 1.2 s to return 10,000
TCP sockets with tcp_info, where ``ss -tani`` takes 0.07 s. The part of sock_diag that netkit
needs is small and fixed (one request, a dump of fixed-layout messages, a few attributes), so it
is read here with ``struct`` straight from a preallocated buffer, one tuple per socket.

The protocol (linux/sock_diag.h, linux/inet_diag.h, linux/unix_diag.h, and sock_diag(7)):
- a NETLINK_SOCK_DIAG socket takes one SOCK_DIAG_BY_FAMILY request with NLM_F_DUMP and answers
  with a stream of messages, many to a datagram, ending with NLMSG_DONE (or NLMSG_ERROR);
- an inet request (``inet_diag_req_v2``) names the family, the protocol, a bitmask of the states
  wanted (1 << state) and a bitmask of the extensions wanted (1 << (attribute - 1)); it may
  carry a filter program (INET_DIAG_REQ_BYTECODE) that the kernel runs on every socket, so that
  only matching sockets cross into user space;
- every answer is an ``inet_diag_msg`` (addresses, ports, state, timer, queues, uid, inode)
  followed by attributes (type-length-value, 4-byte aligned). ``struct tcp_info`` grows with the
  kernel (104 bytes in 4.1, 232 in 5.4, more since), so it is read by its length: a field the
  running kernel does not send is None, never a zero that looks like a measurement.
"""

import contextlib
import errno
import os
import socket
import struct
from collections.abc import Iterator, Sequence
from typing import NamedTuple

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH
NLMSG_ERROR = 2
NLMSG_DONE = 3

# Attributes of an inet_diag answer (enum in linux/inet_diag.h).
INET_DIAG_MEMINFO = 1
INET_DIAG_INFO = 2
INET_DIAG_CONG = 4
INET_DIAG_SKMEMINFO = 7
INET_DIAG_SHUTDOWN = 8
INET_DIAG_REQ_BYTECODE = 1  # the request's own attribute

# unix_diag: what to show (UDIAG_SHOW_*) and the attributes that answer it (UNIX_DIAG_*).
UDIAG_SHOW_NAME = 0x01
UDIAG_SHOW_PEER = 0x04
UDIAG_SHOW_RQLEN = 0x10
UDIAG_SHOW_MEMINFO = 0x20
UDIAG_SHOW_UID = 0x40  # Linux 5.3
UNIX_DIAG_NAME = 0
UNIX_DIAG_PEER = 2
UNIX_DIAG_RQLEN = 4
UNIX_DIAG_MEMINFO = 5
UNIX_DIAG_UID = 7

ALL_STATES = 0xFFFFFFFF

_NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
_RTATTR = struct.Struct("=HH")  # length, type
# inet_diag_msg: family, state, timer, retrans; sockid (ports, read apart as they are
# big-endian; 16-byte addresses, interface, cookie as two u32); expires (ms), rqueue, wqueue,
# uid, inode.
_INET_DIAG_MSG = struct.Struct("=BBBB4x16s16sIIIIIIII")
_INET_PORTS = struct.Struct("!HH")  # sockid's source and destination ports, at offset 4
_INET_REQ = struct.Struct("=BBBxI48x")  # family, protocol, extensions, states; a zero sockid
_UNIX_REQ = struct.Struct("=BBxxIIIII")  # family, protocol, states, inode, show, cookie
_UNIX_DIAG_MSG = struct.Struct("=BBBxIII")  # family, type, state, inode, cookie
_U32 = struct.Struct("=I")
_U32_PAIR = struct.Struct("=II")

_RECV_BUFFER = 64 * 1024  # the kernel fills at most 32 KiB of messages per datagram
_SOCKET_BUFFER = 4 * 1024 * 1024


class SockDiagError(OSError):
    """The kernel refused the dump (no diag module for that protocol, a bad filter...)."""


class InetSocket(NamedTuple):
    """One inet_diag_msg with the attributes asked for, as the kernel sent them."""

    family: int
    state: int
    timer: int
    retrans: int
    local_address: str
    local_port: int
    remote_address: str
    remote_port: int
    cookie: int
    expires_ms: int
    rqueue: int
    wqueue: int
    uid: int
    inode: int
    info: bytes | None  # struct tcp_info, as long as this kernel makes it
    congestion: str | None
    skmem: tuple[int, ...] | None


class UnixSocket(NamedTuple):
    """One unix_diag_msg with its name, peer and queues."""

    type: int
    state: int
    inode: int
    cookie: int
    name: str | None  # a path, or "@name" for the abstract namespace; None when unbound
    peer_inode: int | None
    rqueue: int | None
    wqueue: int | None
    skmem: tuple[int, ...] | None
    uid: int | None  # None before Linux 5.3


# ---------------------------------------------------------------------------------------------
# The filter program (linux/inet_diag.h: struct inet_diag_bc_op and INET_DIAG_BC_*)
#
# Each operation is four bytes: a code, a jump taken when it holds ("yes") and one taken when it
# does not ("no"), both counted in bytes from the operation. Reaching the exact end of the
# program accepts the socket; jumping 4 bytes past it rejects. The kernel checks a program
# before it runs it (inet_diag_bc_audit): every "yes" must step forward along the program and
# every "no" must land where that walk lands. So the programs are built as ss builds them
# (ssfilter_bytecompile in misc/ss.c): a comparison is [op, yes=8, no=12][port]; "a and b" is a
# then b, with a's rejecting jumps stretched past b; "a or b" is a, an unconditional jump over
# b, then b, so that a's rejections fall into b.

BC_JMP = 1
BC_S_GE = 2
BC_S_LE = 3
BC_D_GE = 4
BC_D_LE = 5

Program = list[tuple[int, int, int]]  # (code, yes, no); a port travels in the "no" of a slot


def bc_compare(code: int, port: int) -> Program:
    return [(code, 8, 12), (0, 0, port)]


def bc_and(first: Program, second: Program) -> Program:
    length = 4 * len(first)
    patched = list(first)
    position = 0
    while position < len(first):
        code, yes, no = patched[position]
        remaining = length - 4 * position
        if no == remaining + 4:  # this operation rejects: reject past the second part too
            patched[position] = (code, yes, no + 4 * len(second))
        position += yes // 4
    return patched + second


def bc_or(first: Program, second: Program) -> Program:
    return [*first, (BC_JMP, 4, 4 * len(second) + 4), *second]


def bc_port_range(local: bool, low: int, high: int) -> Program:
    """The local (source) or remote (destination) port within [low, high]."""
    ge, le = (BC_S_GE, BC_S_LE) if local else (BC_D_GE, BC_D_LE)
    return bc_and(bc_compare(ge, low), bc_compare(le, high))


def bc_bytes(program: Program) -> bytes:
    return b"".join(struct.pack("=BBH", code, yes, no) for code, yes, no in program)


# ---------------------------------------------------------------------------------------------
# The transport


def _attribute(kind: int, payload: bytes) -> bytes:
    length = _RTATTR.size + len(payload)
    return _RTATTR.pack(length, kind) + payload + b"\0" * (-length % 4)


def _dump(request: bytes) -> Iterator[tuple[memoryview, int, int]]:
    """Send one dump request; yield (buffer, start, end) for each answer message's payload."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                       NETLINK_SOCK_DIAG) as sock:  # fmt: skip
        with contextlib.suppress(OSError):  # a big queue: the kernel fills it while we parse
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER)
        header = _NLMSGHDR.pack(_NLMSGHDR.size + len(request), SOCK_DIAG_BY_FAMILY,
                                NLM_F_REQUEST | NLM_F_DUMP, 1, 0)  # fmt: skip
        sock.sendall(header + request)
        buffer = bytearray(_RECV_BUFFER)
        view = memoryview(buffer)
        unpack_header = _NLMSGHDR.unpack_from
        while True:
            received = sock.recv_into(buffer)
            offset = 0
            while offset + 16 <= received:
                length, kind, _, _, _ = unpack_header(buffer, offset)
                if kind == NLMSG_DONE:
                    return
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", buffer, offset + 16)[0]
                    if code == 0:  # an acknowledgement, not an error
                        offset += (length + 3) & ~3
                        continue
                    raise SockDiagError(code, os.strerror(code))
                yield view, offset + 16, offset + length
                offset += (length + 3) & ~3
            if received == 0:
                raise SockDiagError(errno.EIO, "the sock_diag dump ended without NLMSG_DONE")


def _attributes(view: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(type, payload start, payload end) of each attribute in view[start:end]."""
    unpack = _RTATTR.unpack_from
    while start + 4 <= end:
        length, kind = unpack(view, start)
        if length < 4:
            return
        yield kind & 0x3FFF, start + 4, start + length  # without NLA_F_NESTED and friends
        start += (length + 3) & ~3


def dump_inet(
    family: int,
    protocol: int,
    *,
    states: int = ALL_STATES,
    info: bool = False,
    memory: bool = False,
    program: Program | None = None,
) -> Iterator[InetSocket]:
    """Every socket of ``family`` (AF_INET or AF_INET6) and ``protocol`` (IPPROTO_TCP or
    IPPROTO_UDP) in one of ``states`` (a bitmask of 1 << TCP state), with tcp_info and the
    congestion control algorithm when ``info``, skmem when ``memory``."""
    extensions = 0
    if info:
        extensions |= 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1)
    if memory:
        extensions |= 1 << (INET_DIAG_SKMEMINFO - 1)
    request = _INET_REQ.pack(family, protocol, extensions, states)
    if program:
        request += _attribute(INET_DIAG_REQ_BYTECODE, bc_bytes(program))
    address_length = 4 if family == socket.AF_INET else 16
    ntop = socket.inet_ntop
    unpack_msg = _INET_DIAG_MSG.unpack_from
    unpack_ports = _INET_PORTS.unpack_from
    names: dict[bytes, str] = {}  # address bytes -> text: a busy host repeats a few addresses
    algorithms: dict[bytes, str] = {}
    unpack_attribute = _RTATTR.unpack_from
    make = tuple.__new__
    for view, start, end in _dump(request):
        (msg_family, state, timer, retrans, src, dst, _, cookie_low, cookie_high,
         expires, rqueue, wqueue, uid, inode) = unpack_msg(view, start)  # fmt: skip
        sport, dport = unpack_ports(view, start + 4)
        tcp_info = congestion = skmem = None
        offset = start + _INET_DIAG_MSG.size
        while extensions and offset + 4 <= end:  # the attributes, inline: once per socket
            length, kind = unpack_attribute(view, offset)
            if length < 4:
                break
            if kind == INET_DIAG_INFO:
                tcp_info = bytes(view[offset + 4 : offset + length])
            elif kind == INET_DIAG_CONG:
                raw = bytes(view[offset + 4 : offset + length])
                congestion = algorithms.get(raw)
                if congestion is None:
                    name = raw.split(b"\0", 1)[0]
                    congestion = algorithms[raw] = name.decode("ascii", "replace")
            elif kind == INET_DIAG_SKMEMINFO:
                skmem = struct.unpack_from(f"={(length - 4) // 4}I", view, offset + 4)
            offset += (length + 3) & ~3
        local = names.get(src)
        if local is None:
            local = names[src] = ntop(msg_family, src[:address_length])
        remote = names.get(dst)
        if remote is None:
            remote = names[dst] = ntop(msg_family, dst[:address_length])
        yield make(InetSocket, (  # as in linux._inet_rows: without the Python-level __new__
            msg_family, state, timer, retrans, local, sport, remote, dport,
            cookie_high << 32 | cookie_low, expires, rqueue, wqueue, uid, inode,
            tcp_info, congestion, skmem,
        ))  # fmt: skip


def dump_unix(*, states: int = ALL_STATES, memory: bool = False) -> Iterator[UnixSocket]:
    """Every Unix domain socket in one of ``states``, with its name, peer and queues."""
    show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID
    if memory:
        show |= UDIAG_SHOW_MEMINFO
    request = _UNIX_REQ.pack(socket.AF_UNIX, 0, states, 0, show, 0xFFFFFFFF, 0xFFFFFFFF)
    unpack_msg = _UNIX_DIAG_MSG.unpack_from
    for view, start, end in _dump(request):
        _, kind, state, inode, cookie_low, cookie_high = unpack_msg(view, start)
        name = peer = rqueue = wqueue = skmem = uid = None
        for attribute, low, high in _attributes(view, start + _UNIX_DIAG_MSG.size, end):
            if attribute == UNIX_DIAG_NAME:
                raw = bytes(view[low:high])
                # An abstract name starts with a NUL byte; ss shows it as "@name".
                text = raw[1:] if raw[:1] == b"\0" else raw.split(b"\0", 1)[0]
                name = ("@" if raw[:1] == b"\0" else "") + os.fsdecode(text)
            elif attribute == UNIX_DIAG_PEER:
                peer = _U32.unpack_from(view, low)[0]
            elif attribute == UNIX_DIAG_RQLEN:
                rqueue, wqueue = _U32_PAIR.unpack_from(view, low)
            elif attribute == UNIX_DIAG_MEMINFO:
                skmem = struct.unpack_from(f"={(high - low) // 4}I", view, low)
            elif attribute == UNIX_DIAG_UID:
                uid = _U32.unpack_from(view, low)[0]
        yield UnixSocket(kind, state, inode, cookie_high << 32 | cookie_low, name, peer,
                         rqueue, wqueue, skmem, uid)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# struct tcp_info (linux/tcp.h), read by its length


class TcpInfoField(NamedTuple):
    """One field of struct tcp_info. (A NamedTuple: it is made at import, where a dataclass
    would add a millisecond to the start-up of every listing.)"""

    name: str
    offset: int
    format: str  # a struct format character: B, I or Q


def _tcp_info_fields() -> tuple[TcpInfoField, ...]:
    bytes_ = ["state", "ca_state", "retransmits", "probes", "backoff", "options", "wscale",
              "flags"]  # fmt: skip
    u32s = ["rto", "ato", "snd_mss", "rcv_mss", "unacked", "sacked", "lost", "retrans",
            "fackets", "last_data_sent", "last_ack_sent", "last_data_recv", "last_ack_recv",
            "pmtu", "rcv_ssthresh", "rtt", "rttvar", "snd_ssthresh", "snd_cwnd", "advmss",
            "reordering", "rcv_rtt", "rcv_space", "total_retrans"]  # fmt: skip
    rest = [("pacing_rate", "Q"), ("max_pacing_rate", "Q"), ("bytes_acked", "Q"),
            ("bytes_received", "Q"), ("segs_out", "I"), ("segs_in", "I"),
            ("notsent_bytes", "I"), ("min_rtt", "I"), ("data_segs_in", "I"),
            ("data_segs_out", "I"), ("delivery_rate", "Q"), ("busy_time", "Q"),
            ("rwnd_limited", "Q"), ("sndbuf_limited", "Q"), ("delivered", "I"),
            ("delivered_ce", "I"), ("bytes_sent", "Q"), ("bytes_retrans", "Q"),
            ("dsack_dups", "I"), ("reord_seen", "I"), ("rcv_ooopack", "I"), ("snd_wnd", "I"),
            ("rcv_wnd", "I")]  # fmt: skip
    fields = [TcpInfoField(name, i, "B") for i, name in enumerate(bytes_)]
    offset = len(bytes_)
    for name in u32s:
        fields.append(TcpInfoField(name, offset, "I"))
        offset += 4
    for name, kind in rest:
        fields.append(TcpInfoField(name, offset, kind))
        offset += struct.calcsize(kind)
    return tuple(fields)


TCP_INFO_FIELDS = _tcp_info_fields()
TCP_INFO_BASE_SIZE = 104  # up to tcpi_total_retrans: what every kernel since 2.6 sends
_BASE = [f for f in TCP_INFO_FIELDS if f.offset < TCP_INFO_BASE_SIZE]
_EXTENDED = [f for f in TCP_INFO_FIELDS if f.offset >= TCP_INFO_BASE_SIZE]
_TCP_INFO_BASE = struct.Struct("=" + "".join(f.format for f in _BASE))
_TCP_INFO_EXTENDED = struct.Struct("=" + "".join(f.format for f in _EXTENDED))
TCP_INFO_KNOWN_SIZE = TCP_INFO_BASE_SIZE + _TCP_INFO_EXTENDED.size  # 236: up to tcpi_rcv_wnd


def unpack_tcp_info(raw: bytes) -> tuple[tuple[int, ...], Sequence[int | None]]:
    """tcp_info's fields in TCP_INFO_FIELDS order: the first 104 bytes' fields, then the later
    ones, None for those beyond what this kernel sent."""
    base = _TCP_INFO_BASE.unpack_from(raw)
    if len(raw) >= TCP_INFO_KNOWN_SIZE:
        return base, _TCP_INFO_EXTENDED.unpack_from(raw, TCP_INFO_BASE_SIZE)
    padded = _TCP_INFO_EXTENDED.unpack_from(raw.ljust(TCP_INFO_KNOWN_SIZE, b"\0"),
                                            TCP_INFO_BASE_SIZE)  # fmt: skip
    extended = [value if f.offset + struct.calcsize(f.format) <= len(raw) else None
                for f, value in zip(_EXTENDED, padded, strict=True)]  # fmt: skip
    return base, extended
