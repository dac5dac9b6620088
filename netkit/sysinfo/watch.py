"""`netkit conns --watch`: what each TCP connection moved in the last interval, like a small
iftop for sockets.

Each round reads the connections with tcp_info (Linux) and compares every connection with
itself one interval earlier, matched by the kernel's socket cookie (unique while the socket
lives, unlike its addresses, which a new connection may reuse). The byte counts are tcp_info's
bytes_acked (sent and acknowledged) and bytes_received; retransmissions are its total_retrans.
Each connection also carries its recent throughput, a value per round, for a sparkline.
"""

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from netkit.sysinfo.connection import Connection, ConnectionFilter


@dataclass(frozen=True, slots=True)
class ConnectionActivity:
    """One connection over one interval."""

    proto: str
    state: str | None
    local: str | None
    remote: str | None
    pid: int | None
    process: str | None
    cookie: int | None
    sent_bytes: int  # bytes acknowledged by the peer during the interval
    received_bytes: int  # bytes received during the interval
    retransmits: int  # segments retransmitted during the interval
    sent_bytes_per_s: float
    received_bytes_per_s: float
    rtt_ms: float
    cwnd: int
    bytes_acked: int  # totals since the connection began
    bytes_received: int
    retrans_total: int
    new: bool  # opened during the interval: its deltas count from its start
    # Bytes a second both ways in the last rounds (oldest first, at most HISTORY), for the
    # live view's sparkline; not in --json, whose lines already carry each round's rates.
    history: tuple[float, ...] = ()


HISTORY = 16  # rounds of throughput kept per connection


@dataclass(frozen=True, slots=True)
class WatchRound:
    taken_at: float  # time.time() of the sample
    interval: float  # seconds since the previous sample
    connections: list[ConnectionActivity]  # busiest first


def _activity(
    now: Connection, then: Connection | None, seconds: float, history: deque[float]
) -> ConnectionActivity:
    info = now.info
    assert info is not None
    before = then.info if then is not None else None
    acked, received = info.bytes_acked or 0, info.bytes_received or 0
    sent = acked - ((before.bytes_acked or 0) if before else 0)
    got = received - ((before.bytes_received or 0) if before else 0)
    retransmits = info.retrans_total - (before.retrans_total if before else 0)
    history.append(round((sent + got) / seconds, 1))
    return ConnectionActivity(
        proto=now.proto if now.family != "IPv6" else f"{now.proto}6",
        state=now.state,
        local=now.local,
        remote=now.remote,
        pid=now.pid,
        process=now.process,
        cookie=now.cookie,
        sent_bytes=sent,
        received_bytes=got,
        retransmits=retransmits,
        sent_bytes_per_s=round(sent / seconds, 1),
        received_bytes_per_s=round(got / seconds, 1),
        rtt_ms=info.rtt_ms,
        cwnd=info.cwnd,
        bytes_acked=acked,
        bytes_received=received,
        retrans_total=info.retrans_total,
        new=before is None,
        history=tuple(history),
    )


def compare_rounds(
    before: dict[int, Connection],
    after: list[Connection],
    seconds: float,
    histories: dict[int, deque[float]] | None = None,
) -> list[ConnectionActivity]:
    """Each connection of ``after`` against itself in ``before``, busiest first.

    ``histories`` (cookie -> recent throughput) is updated in place: each connection's rate
    is added, and the connections that have gone are forgotten.
    """
    seconds = max(seconds, 1e-9)
    kept = {} if histories is None else histories
    current: dict[int, deque[float]] = {}
    active = []
    for c in after:
        if c.info is None or c.state == "LISTEN":  # a listener moves no bytes itself
            continue
        cookie = c.cookie or 0
        history = current[cookie] = kept.get(cookie) or deque(maxlen=HISTORY)
        active.append(_activity(c, before.get(cookie), seconds, history))
    kept.clear()
    kept.update(current)
    active.sort(key=lambda a: (-(a.sent_bytes + a.received_bytes), -a.retransmits, a.local or ""))
    return active


def watch_connections(
    wanted: ConnectionFilter,
    interval: float,
    count: int | None = None,
    *,
    read: Callable[[ConnectionFilter], list[Connection]] | None = None,
) -> Iterator[WatchRound]:
    """Every ``interval`` seconds, each TCP connection's activity since the last round
    (``count`` rounds, or until the caller stops iterating)."""
    from netkit.sysinfo.conns import list_connections

    def sample(wanted: ConnectionFilter) -> list[Connection]:
        return list_connections(wanted, info=True).connections

    reader = read or sample
    started = time.monotonic()
    before = {c.cookie or 0: c for c in reader(wanted)}
    histories: dict[int, deque[float]] = {}
    rounds = 0
    while count is None or rounds < count:
        time.sleep(max(0.0, started + interval - time.monotonic()))
        now = time.monotonic()
        after = reader(wanted)
        yield WatchRound(round(time.time(), 3), round(now - started, 3),
                         compare_rounds(before, after, now - started, histories))  # fmt: skip
        before = {c.cookie or 0: c for c in after}
        started = now
        rounds += 1
