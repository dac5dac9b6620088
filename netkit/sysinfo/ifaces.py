"""Network interfaces like `ip addr` and `ip -s link`, and their traffic rates over time."""

import ipaddress
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # psutil itself is imported inside the functions (start-up cost)
    from psutil._ntuples import snetio


@dataclass(frozen=True, slots=True)
class InterfaceAddress:
    """One IPv4 or IPv6 address on an interface, with its prefix like `ip addr` shows."""

    family: Literal["IPv4", "IPv6"]
    address: str
    prefixlen: int | None
    cidr: str  # "127.0.0.1/8", or the bare address when the netmask is unknown
    broadcast: str | None
    peer: str | None  # the other end of a point-to-point link
    scope: Literal["host", "link", "global"]


@dataclass(frozen=True, slots=True)
class Counters:
    """Totals since the interface came up, as the kernel counts them."""

    bytes_recv: int
    bytes_sent: int
    packets_recv: int
    packets_sent: int
    errors_in: int
    errors_out: int
    drops_in: int
    drops_out: int


@dataclass(frozen=True, slots=True)
class Interface:
    """One interface: link state, MTU, speed, MAC, addresses and counters."""

    name: str
    index: int | None
    up: bool
    flags: list[str]  # as the kernel reports them: up, broadcast, loopback, running, ...
    mtu: int | None
    speed_mbps: int | None  # None when the driver does not say (virtual links, loopback)
    duplex: Literal["full", "half"] | None
    mac: str | None
    addresses: list[InterfaceAddress]
    counters: Counters | None


@dataclass(frozen=True, slots=True)
class CounterSample:
    """Every interface's counters at one moment (time.monotonic seconds)."""

    taken_at: float
    counters: dict[str, Counters]


@dataclass(frozen=True, slots=True)
class InterfaceRates:
    """Traffic on one interface between two samples, per second, and its totals at the end."""

    name: str
    up: bool
    rx_bytes_per_s: float
    tx_bytes_per_s: float
    rx_packets_per_s: float
    tx_packets_per_s: float
    errors_per_s: float  # errors in and out together
    drops_per_s: float
    bytes_recv: int
    bytes_sent: int


def netmask_prefixlen(netmask: str | None) -> int | None:
    """255.255.255.0 -> 24, ffff:ffff:ffff:ffff:: -> 64; None for a missing or odd mask."""
    if not netmask:
        return None
    try:
        mask = ipaddress.ip_address(netmask)
    except ValueError:
        return None
    bits = int(mask)
    ones = bits.bit_count()
    width = mask.max_prefixlen
    contiguous = bits == ((1 << ones) - 1) << (width - ones)
    return ones if contiguous else None


def _scope(address: str) -> Literal["host", "link", "global"]:
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return "host"
    return "link" if ip.is_link_local else "global"


def _address(family: int, address: str, netmask: str | None, broadcast: str | None,
             peer: str | None) -> InterfaceAddress:  # fmt: skip
    bare = address.split("%", 1)[0]  # psutil appends the scope (fe80::1%eth0); ip addr does not
    prefixlen = netmask_prefixlen(netmask)
    return InterfaceAddress(
        family="IPv4" if family == socket.AF_INET else "IPv6",
        address=bare,
        prefixlen=prefixlen,
        cidr=bare if prefixlen is None else f"{bare}/{prefixlen}",
        broadcast=broadcast,
        peer=peer,
        scope=_scope(bare),
    )


def _counters(raw: "snetio") -> Counters:
    return Counters(
        raw.bytes_recv, raw.bytes_sent, raw.packets_recv, raw.packets_sent,
        raw.errin, raw.errout, raw.dropin, raw.dropout,
    )  # fmt: skip


def _interface_order() -> dict[str, int]:
    try:
        return {name: index for index, name in socket.if_nameindex()}
    except OSError:
        return {}


def list_interfaces(names: Iterable[str] = ()) -> list[Interface]:
    """The interfaces in kernel index order (as `ip addr` lists them); ``names`` narrows it."""
    import psutil

    addresses = psutil.net_if_addrs()
    stats = psutil.net_if_stats()
    counters = psutil.net_io_counters(pernic=True)
    indexes = _interface_order()
    wanted = set(names)
    interfaces: list[Interface] = []
    for name in sorted({*addresses, *stats}, key=lambda n: (indexes.get(n, 1 << 30), n)):
        if wanted and name not in wanted:
            continue
        stat = stats.get(name)
        mac = None
        inet: list[InterfaceAddress] = []
        for entry in addresses.get(name, []):
            if entry.family == psutil.AF_LINK:
                mac = entry.address
            elif entry.family in (socket.AF_INET, socket.AF_INET6):
                inet.append(
                    _address(entry.family, entry.address, entry.netmask, entry.broadcast,
                             entry.ptp)
                )  # fmt: skip
        duplex: Literal["full", "half"] | None = None
        if stat is not None and stat.duplex == psutil.NIC_DUPLEX_FULL:
            duplex = "full"
        elif stat is not None and stat.duplex == psutil.NIC_DUPLEX_HALF:
            duplex = "half"
        interfaces.append(
            Interface(
                name=name,
                index=indexes.get(name),
                up=bool(stat and stat.isup),
                flags=stat.flags.split(",") if stat and stat.flags else [],
                mtu=stat.mtu if stat else None,
                speed_mbps=stat.speed if stat and stat.speed > 0 else None,
                duplex=duplex,
                mac=mac,
                addresses=inet,
                counters=_counters(counters[name]) if name in counters else None,
            )
        )
    return interfaces


def sample_counters() -> CounterSample:
    """Every interface's counters now."""
    import psutil

    raw = psutil.net_io_counters(pernic=True)
    return CounterSample(time.monotonic(), {name: _counters(c) for name, c in raw.items()})


def _per_second(before: int, after: int, seconds: float) -> float:
    # A counter that went backwards was reset (interface re-created): count from zero.
    return round((after - before if after >= before else after) / seconds, 1)


def compute_rates(
    before: CounterSample, after: CounterSample, up: dict[str, bool] | None = None
) -> list[InterfaceRates]:
    """Per-second rates for each interface present in both samples, in ``after``'s order."""
    seconds = max(after.taken_at - before.taken_at, 1e-9)
    rates: list[InterfaceRates] = []
    for name, now in after.counters.items():
        then = before.counters.get(name)
        if then is None:
            continue
        rates.append(
            InterfaceRates(
                name=name,
                up=True if up is None else up.get(name, False),
                rx_bytes_per_s=_per_second(then.bytes_recv, now.bytes_recv, seconds),
                tx_bytes_per_s=_per_second(then.bytes_sent, now.bytes_sent, seconds),
                rx_packets_per_s=_per_second(then.packets_recv, now.packets_recv, seconds),
                tx_packets_per_s=_per_second(then.packets_sent, now.packets_sent, seconds),
                errors_per_s=_per_second(
                    then.errors_in + then.errors_out, now.errors_in + now.errors_out, seconds
                ),
                drops_per_s=_per_second(
                    then.drops_in + then.drops_out, now.drops_in + now.drops_out, seconds
                ),
                bytes_recv=now.bytes_recv,
                bytes_sent=now.bytes_sent,
            )
        )
    return rates


def watch_rates(
    interval: float, names: Iterable[str] = (), count: int | None = None
) -> Iterator[list[InterfaceRates]]:
    """Every ``interval`` seconds, the rates since the last round (``count`` rounds, or until
    the caller stops iterating). ``names`` narrows the interfaces."""
    import psutil

    wanted = set(names)
    order = _interface_order()
    before = sample_counters()
    rounds = 0
    while count is None or rounds < count:
        time.sleep(max(0.0, before.taken_at + interval - time.monotonic()))
        after = sample_counters()
        up = {name: stat.isup for name, stat in psutil.net_if_stats().items()}
        rates = compute_rates(before, after, up)
        rates.sort(key=lambda r: (order.get(r.name, 1 << 30), r.name))
        yield [r for r in rates if not wanted or r.name in wanted]
        before = after
        rounds += 1


HISTORY = 30  # rounds of rates kept for the sparklines (and for avg, min and max)


@dataclass(frozen=True, slots=True)
class Trend:
    """One direction of one interface over the watch: bytes per second in the last rounds,
    and the bytes counted since the watch started."""

    history: tuple[float, ...]  # oldest first, at most HISTORY rounds
    current: float
    average: float
    minimum: float
    maximum: float
    total_bytes: int


@dataclass(frozen=True, slots=True)
class InterfaceTrend:
    name: str
    up: bool
    rx: Trend
    tx: Trend


class _Direction:
    def __init__(self, counter: int) -> None:
        self.rates: deque[float] = deque(maxlen=HISTORY)
        self.last = counter
        self.total = 0

    def add(self, rate: float, counter: int) -> Trend:
        # A counter that went backwards was reset (interface re-created): count from zero.
        self.total += counter - self.last if counter >= self.last else counter
        self.last = counter
        self.rates.append(rate)
        rates = tuple(self.rates)
        return Trend(
            history=rates,
            current=rate,
            average=round(sum(rates) / len(rates), 1),
            minimum=min(rates),
            maximum=max(rates),
            total_bytes=self.total,
        )


class RateHistory:
    """`ifaces --watch` over time, as nload and bmon show it: each round of rates in, each
    interface's recent history and totals since the first round out."""

    def __init__(self, interval: float) -> None:
        self.interval = interval  # seconds per round: the first round's bytes count too
        self.directions: dict[str, tuple[_Direction, _Direction]] = {}

    def add(self, rates: Iterable[InterfaceRates]) -> list[InterfaceTrend]:
        trends = []
        for r in rates:
            if r.name not in self.directions:
                # The first round's rates already cover one interval: count its bytes too.
                rx_start = max(0, r.bytes_recv - round(r.rx_bytes_per_s * self.interval))
                tx_start = max(0, r.bytes_sent - round(r.tx_bytes_per_s * self.interval))
                self.directions[r.name] = (_Direction(rx_start), _Direction(tx_start))
            rx, tx = self.directions[r.name]
            trends.append(
                InterfaceTrend(
                    name=r.name,
                    up=r.up,
                    rx=rx.add(r.rx_bytes_per_s, r.bytes_recv),
                    tx=tx.add(r.tx_bytes_per_s, r.bytes_sent),
                )
            )
        return trends
