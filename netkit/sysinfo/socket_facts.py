"""What the kernel knows about a socket beyond its addresses: its timer, memory and tcp_info.

Names follow ss (ss(8): ``-o``, ``-m``, ``-i``) so that a reader of ``ss -tiepmo`` finds the same
numbers; a unit the field name does not carry is said beside it. The kernel counts times in
microseconds (rtt, rttvar, min_rtt, rcv_rtt, rto, ato) or milliseconds (the last_* ages) and
rates in bytes per second; here, as in ss, times are milliseconds and rates bits per second.
"""

from dataclasses import dataclass

from netkit.sysinfo.sockdiag import unpack_tcp_info

# idiag_timer (net/ipv4/inet_diag.c), named as ss names them.
TIMER_NAMES = ("off", "on", "keepalive", "timewait", "persist")
_INFINITE_SSTHRESH = 0xFFFF  # ss hides ssthresh at or above this (TCP_INFINITE_SSTHRESH)
_UNLIMITED_RATE = 0xFFFFFFFFFFFFFFFF  # ~0ULL: no pacing limit


@dataclass(frozen=True, slots=True)
class Timer:
    """ss -o's ``timer:(name,expires,retransmits)``."""

    name: str  # on (retransmission), keepalive, timewait, persist (zero window probe)
    expires_ms: int
    retransmits: int


@dataclass(frozen=True, slots=True)
class SocketMemory:
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


@dataclass(frozen=True, slots=True)
class TcpInfo:
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
        f = unpack_tcp_info(raw)
        rtt_us = _int(f["rtt"])
        cwnd, mss = _int(f["snd_cwnd"]), _int(f["snd_mss"])
        ssthresh = f["snd_ssthresh"]
        flags = f["flags"]
        return cls(
            congestion=congestion,
            snd_wscale=_int(f["wscale"]) & 0xF,
            rcv_wscale=_int(f["wscale"]) >> 4,
            rto_ms=_int(f["rto"]) / 1000,
            backoff=_int(f["backoff"]),
            rtt_ms=rtt_us / 1000,
            rttvar_ms=_int(f["rttvar"]) / 1000,
            ato_ms=_int(f["ato"]) / 1000,
            mss=mss,
            pmtu=_int(f["pmtu"]),
            rcvmss=_int(f["rcv_mss"]),
            advmss=_int(f["advmss"]),
            cwnd=cwnd,
            ssthresh=ssthresh if ssthresh is not None and ssthresh < _INFINITE_SSTHRESH else None,
            bytes_sent=f["bytes_sent"],
            bytes_retrans=f["bytes_retrans"],
            bytes_acked=f["bytes_acked"],
            bytes_received=f["bytes_received"],
            segs_out=f["segs_out"],
            segs_in=f["segs_in"],
            data_segs_out=f["data_segs_out"],
            data_segs_in=f["data_segs_in"],
            send_bps=cwnd * mss * 8 * 1_000_000 / rtt_us if rtt_us and cwnd else None,
            last_send_ms=_int(f["last_data_sent"]),
            last_recv_ms=_int(f["last_data_recv"]),
            last_ack_ms=_int(f["last_ack_recv"]),
            pacing_rate_bps=_rate(f["pacing_rate"]),
            delivery_rate_bps=_rate(f["delivery_rate"]),
            delivered=f["delivered"],
            app_limited=None if flags is None or f["delivery_rate"] is None else bool(flags & 1),
            busy_ms=None if f["busy_time"] is None else f["busy_time"] // 1000,
            unacked=_int(f["unacked"]),
            retrans=_int(f["retrans"]),
            retrans_total=_int(f["total_retrans"]),
            lost=_int(f["lost"]),
            sacked=_int(f["sacked"]),
            reordering=_int(f["reordering"]),
            rcv_rtt_ms=_int(f["rcv_rtt"]) / 1000,
            rcv_space=_int(f["rcv_space"]),
            rcv_ssthresh=_int(f["rcv_ssthresh"]),
            notsent=f["notsent_bytes"],
            min_rtt_ms=None if f["min_rtt"] is None else f["min_rtt"] / 1000,
            snd_wnd=f["snd_wnd"],
            rcv_wnd=f["rcv_wnd"],
        )


def _int(value: int | None) -> int:
    """A field every tcp_info has had since Linux 2.6 (the first 104 bytes)."""
    return 0 if value is None else value


def _rate(bytes_per_second: int | None) -> int | None:
    if bytes_per_second is None or bytes_per_second in (0, _UNLIMITED_RATE):
        return None
    return bytes_per_second * 8
