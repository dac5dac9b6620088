"""What the kernel knows about a socket beyond its addresses: its timer, memory and tcp_info.

Names follow ss (ss(8): ``-o``, ``-m``, ``-i``) so that a reader of ``ss -tiepmo`` finds the same
numbers; a unit the field name does not carry is said beside it. The kernel counts times in
microseconds (rtt, rttvar, min_rtt, rcv_rtt, rto, ato) or milliseconds (the last_* ages) and
rates in bytes per second; here, as in ss, times are milliseconds and rates bits per second.

They are NamedTuples, like ``Connection`` and for the same reason: one is made per socket, and a
frozen dataclass of TcpInfo's 45 fields costs ten times as much to build.
"""

from typing import NamedTuple

from netkit.sysinfo.sockdiag import unpack_tcp_info

# idiag_timer (net/ipv4/inet_diag.c), named as ss names them.
TIMER_NAMES = ("off", "on", "keepalive", "timewait", "persist")
_INFINITE_SSTHRESH = 0xFFFF  # ss hides ssthresh at or above this (TCP_INFINITE_SSTHRESH)
_UNLIMITED_RATE = 0xFFFFFFFFFFFFFFFF  # ~0ULL: no pacing limit


class Timer(NamedTuple):
    """ss -o's ``timer:(name,expires,retransmits)``."""

    name: str  # on (retransmission), keepalive, timewait, persist (zero window probe)
    expires_ms: int
    retransmits: int


class SocketMemory(NamedTuple):
    """ss -m's ``skmem:(r,rb,t,tb,f,w,o,bl,d)``, in bytes (drops: packets)."""

    rmem_alloc: int  # r: receive queue memory
    rcvbuf: int  # rb: receive buffer limit
    wmem_alloc: int  # t: transmit queue memory
    sndbuf: int  # tb: send buffer limit
    fwd_alloc: int  # f: memory reserved but not yet used
    wmem_queued: int  # w: memory of queued data not yet sent
    optmem: int  # o: option memory (socket filters, multicast lists)
    backlog: int  # bl: the backlog queue
    drops: int | None  # d: packets dropped before reaching the socket (Linux 4.0)

    @classmethod
    def from_skmem(cls, values: tuple[int, ...]) -> "SocketMemory":
        padded = (*values[:9], *(None,) * (9 - min(len(values), 9)))
        return cls(*padded)  # type: ignore[arg-type]  # the first eight are always sent


def timer_of(code: int, expires_ms: int, retransmits: int) -> Timer | None:
    if code == 0:
        return None
    name = TIMER_NAMES[code] if code < len(TIMER_NAMES) else "unknown"
    return Timer(name, expires_ms, retransmits)


class TcpInfo(NamedTuple):
    """ss -i's fields from struct tcp_info and INET_DIAG_CONG; None where this kernel's
    tcp_info is too short to have the field (or, for rates and ssthresh, when ss hides it)."""

    congestion: str | None  # the congestion control algorithm: cubic, bbr, reno...
    snd_wscale: int  # ss's wscale:snd,rcv
    rcv_wscale: int
    rto_ms: float
    backoff: int
    rtt_ms: float  # smoothed round-trip time
    rttvar_ms: float
    ato_ms: float  # delayed-ack timeout
    mss: int
    pmtu: int
    rcvmss: int
    advmss: int
    cwnd: int  # segments
    ssthresh: int | None  # segments; None while infinite (slow start never left)
    bytes_sent: int | None
    bytes_retrans: int | None
    bytes_acked: int | None
    bytes_received: int | None
    segs_out: int | None
    segs_in: int | None
    data_segs_out: int | None
    data_segs_in: int | None
    send_bps: float | None  # cwnd * mss * 8 / rtt: what the window allows, as ss's "send"
    last_send_ms: int  # ss's lastsnd: time since the last data was sent
    last_recv_ms: int  # lastrcv
    last_ack_ms: int  # lastack
    pacing_rate_bps: int | None
    delivery_rate_bps: int | None
    delivered: int | None  # segments
    app_limited: bool | None
    busy_ms: int | None
    unacked: int  # segments sent and not yet acknowledged
    retrans: int  # segments being retransmitted now (ss's retrans:current/total)
    retrans_total: int
    lost: int
    sacked: int
    reordering: int
    rcv_rtt_ms: float
    rcv_space: int
    rcv_ssthresh: int
    notsent: int | None  # bytes written and not yet sent
    min_rtt_ms: float | None
    snd_wnd: int | None
    rcv_wnd: int | None

    @classmethod
    def from_kernel(cls, raw: bytes, congestion: str | None) -> "TcpInfo":
        base, extended = unpack_tcp_info(raw)
        (_, _, _, _, backoff, _, wscale, flags, rto, ato, mss, rcvmss, unacked, sacked, lost,
         retrans, _, last_send, _, last_recv, last_ack, pmtu, rcv_ssthresh, rtt, rttvar,
         ssthresh, cwnd, advmss, reordering, rcv_rtt, rcv_space, retrans_total) = base  # fmt: skip
        (pacing_rate, _, bytes_acked, bytes_received, segs_out, segs_in, notsent, min_rtt,
         data_segs_in, data_segs_out, delivery_rate, busy_time, _, _, delivered, _, bytes_sent,
         bytes_retrans, _, _, _, snd_wnd, rcv_wnd) = extended  # fmt: skip
        # tuple.__new__ rather than cls(...): the NamedTuple's __new__ is a Python function,
        # a microsecond of 45 arguments per connection. The values are in field order.
        return tuple.__new__(cls, (
            congestion, wscale & 0xF, wscale >> 4, rto / 1000, backoff,
            rtt / 1000, rttvar / 1000, ato / 1000, mss, pmtu, rcvmss, advmss, cwnd,
            ssthresh if ssthresh < _INFINITE_SSTHRESH else None,
            bytes_sent, bytes_retrans, bytes_acked, bytes_received,
            segs_out, segs_in, data_segs_out, data_segs_in,
            cwnd * mss * 8_000_000 / rtt if rtt and cwnd else None,
            last_send, last_recv, last_ack, _rate(pacing_rate), _rate(delivery_rate), delivered,
            None if delivery_rate is None else bool(flags & 1),
            None if busy_time is None else busy_time // 1000,
            unacked, retrans, retrans_total, lost, sacked, reordering,
            rcv_rtt / 1000, rcv_space, rcv_ssthresh, notsent,
            None if min_rtt is None else min_rtt / 1000, snd_wnd, rcv_wnd,
        ))  # fmt: skip


def _rate(bytes_per_second: int | None) -> int | None:
    if bytes_per_second is None or bytes_per_second in (0, _UNLIMITED_RATE):
        return None
    return bytes_per_second * 8
