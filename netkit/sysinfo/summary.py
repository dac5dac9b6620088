"""`netkit conns -s`: the totals `ss -s` prints, and a count of TCP sockets per state (Linux).

ss reads its summary from the kernel's counters, not from the socket tables: /proc/net/sockstat
and sockstat6 (sockets in use per protocol, orphans, TIME_WAIT, allocated) and the CurrEstab
counter of /proc/net/snmp. The same files and the same arithmetic (print_summary in
misc/ss.c) give the same numbers here. The count per TCP state comes from one sock_diag dump.
"""

import socket
from collections import Counter
from dataclasses import dataclass

from netkit.errors import NetkitError


@dataclass(frozen=True, slots=True)
class TransportCount:
    """One line of ss -s's table: sockets in use, over IPv4 and IPv6."""

    transport: str  # RAW, UDP, TCP, INET (the three together) or FRAG (reassembly queues)
    total: int
    ipv4: int
    ipv6: int


@dataclass(frozen=True, slots=True)
class SocketSummary:
    total: int  # every socket of the host ("Total:")
    tcp_total: int  # ss's "TCP:" figure: allocated, TIME_WAIT and pending connections
    tcp_established: int  # the CurrEstab counter: ESTABLISHED and CLOSE_WAIT
    tcp_closed: int  # allocated but not in the tables: closed, not yet freed
    tcp_orphaned: int  # closed by their process, still sending or waiting for a FIN
    tcp_timewait: int
    transports: list[TransportCount]
    tcp_states: dict[str, int]  # state -> count, from the socket tables


def _counters(path: str) -> dict[str, dict[str, int]]:
    """A /proc/net/sockstat file: {"TCP": {"inuse": 7, ...}, ...}."""
    counters: dict[str, dict[str, int]] = {}
    try:
        with open(path) as file:
            for line in file:
                name, _, rest = line.partition(":")
                words = rest.split()
                counters[name] = {k: int(v) for k, v in zip(words[::2], words[1::2], strict=False)}
    except FileNotFoundError:  # no IPv6 in this kernel
        pass
    return counters


def _current_established(path: str) -> int:
    """Tcp: CurrEstab from /proc/net/snmp (a header line, then a line of values)."""
    with open(path) as file:
        tcp = [line.split()[1:] for line in file if line.startswith("Tcp:")]
    if len(tcp) < 2:
        return 0
    return int(dict(zip(tcp[0], tcp[1], strict=False)).get("CurrEstab", 0))


def tcp_state_counts() -> dict[str, int]:
    from netkit.sysinfo import sockdiag
    from netkit.sysinfo.linux import state_name

    counts: Counter[str] = Counter()
    for family in (socket.AF_INET, socket.AF_INET6):
        counts.update(state_name(s.state) for s in sockdiag.dump_inet(family, socket.IPPROTO_TCP))
    return dict(sorted(counts.items()))


def socket_summary(proc_net: str = "/proc/net") -> SocketSummary:
    """The summary of this host's (this network namespace's) sockets, as ss -s computes it."""
    try:
        v4 = _counters(f"{proc_net}/sockstat")
        v6 = _counters(f"{proc_net}/sockstat6")
        established = _current_established(f"{proc_net}/snmp")
        states = tcp_state_counts()
    except OSError as error:
        raise NetkitError(f"cannot read the socket counters: {error}") from error

    def inuse(table: dict[str, dict[str, int]], name: str) -> int:
        return table.get(name, {}).get("inuse", 0)

    tcp = v4.get("TCP", {})
    timewait, allocated = tcp.get("tw", 0), tcp.get("alloc", 0)
    tcp4, tcp6 = inuse(v4, "TCP"), inuse(v6, "TCP6")
    raw = TransportCount("RAW", inuse(v4, "RAW") + inuse(v6, "RAW6"), inuse(v4, "RAW"),
                         inuse(v6, "RAW6"))  # fmt: skip
    udp = TransportCount("UDP", inuse(v4, "UDP") + inuse(v6, "UDP6"), inuse(v4, "UDP"),
                         inuse(v6, "UDP6"))  # fmt: skip
    tcp_line = TransportCount("TCP", tcp4 + tcp6, tcp4, tcp6)
    inet = TransportCount(
        "INET",
        raw.total + udp.total + tcp_line.total,
        raw.ipv4 + udp.ipv4 + tcp_line.ipv4,
        raw.ipv6 + udp.ipv6 + tcp_line.ipv6,
    )
    frag = TransportCount("FRAG", inuse(v4, "FRAG") + inuse(v6, "FRAG6"), inuse(v4, "FRAG"),
                          inuse(v6, "FRAG6"))  # fmt: skip
    return SocketSummary(
        total=v4.get("sockets", {}).get("used", 0),
        tcp_total=allocated + timewait,  # ss adds SYN_RECV from slabinfo, unreadable today
        tcp_established=established,
        tcp_closed=allocated - (tcp4 + tcp6 - timewait),
        tcp_orphaned=tcp.get("orphan", 0),
        tcp_timewait=timewait,
        transports=[raw, udp, tcp_line, inet, frag],
        tcp_states=states,
    )
