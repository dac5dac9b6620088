"""Subnet planning: split a network, cover a range with CIDR blocks, aggregate a list.

Everything is integer arithmetic on addresses (a network is its first address and a prefix
length), written out here rather than through ``ipaddress``, which the tests use as the judge.
Outputs that can be long are generators, so a /8 split into /32s streams in flat memory.

The one algorithm under range, merge and the free space of a plan: the minimal CIDR blocks of
an address interval [first, last] are found greedily from the left, each block as large as both
the alignment of its start and the addresses left allow (the same greedy walk as
``ipaddress.summarize_address_range``; it is minimal because every block must start aligned).
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from netkit.conv.addresses import (
    CidrInfo,
    Family,
    address_bits,
    cidr_info,
    int_to_text,
    parse_network_text,
    usable_hosts,
)
from netkit.conv.byteorder import ConversionError, parse_unsigned

FAMILIES: tuple[Family, ...] = ("IPv4", "IPv6")


@dataclass(frozen=True, slots=True)
class Network:
    """A network as its first address and prefix length (host bits of the input cleared)."""

    family: Family
    value: int
    prefix_length: int

    @property
    def host_bits(self) -> int:
        return address_bits(self.family) - self.prefix_length

    @property
    def last(self) -> int:
        return self.value | ((1 << self.host_bits) - 1)

    def __str__(self) -> str:
        return f"{int_to_text(self.family, self.value)}/{self.prefix_length}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CidrBlock:
    """One block of a range or of an aggregated list: where it starts and ends."""

    network: str | None = None  # e.g. 10.0.0.4/30
    family: Family | None = None
    first_address: str | None = None
    last_address: str | None = None
    address_count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanEntry:
    """A subnet of a variable-length plan: allocated for a number of hosts, or left free."""

    requested_hosts: int | None = None  # None for free space
    subnet: CidrInfo | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainsResult:
    """Whether one address (or network) lies inside the network asked about."""

    input: str
    network: str | None = None
    contained: bool | None = None  # None when the input did not parse
    error: str | None = None


def parse_network(text: str) -> Network:
    """A network as text; an address alone is a /32 or /128. Host bits are cleared, as ipcalc
    shows 10.1.2.3/8 as the network 10.0.0.0/8."""
    family, value, prefix = parse_network_text(text.strip())
    bits = address_bits(family)
    prefix = bits if prefix is None else prefix
    host_mask = (1 << (bits - prefix)) - 1
    return Network(family, value & ~host_mask, prefix)


# ---------------------------------------------------------------------------------------------
# Equal subnets


def parse_prefix_length(network: Network, text: str) -> int:
    """The new prefix of a split, written /24 or 24: at least the network's own, at most the
    family's bits."""
    digits = text.strip().removeprefix("/")
    bits = address_bits(network.family)
    if not (digits.isascii() and digits.isdecimal()) or int(digits) > bits:
        raise ConversionError(f"{text!r} is not a prefix length for {network.family} (/0../{bits})")
    length = int(digits)
    if length < network.prefix_length:
        raise ConversionError(f"/{length} is larger than {network} itself")
    return length


def prefix_for_count(network: Network, count: int) -> int:
    """The longest prefix that still gives at least ``count`` subnets."""
    if count < 1:
        raise ConversionError("the count of subnets must be at least 1")
    extra_bits = (count - 1).bit_length()
    if extra_bits > network.host_bits:
        raise ConversionError(f"{network} has at most {1 << network.host_bits} subnets")
    return network.prefix_length + extra_bits


def prefix_for_hosts(network: Network, hosts: int) -> int:
    """The prefix of the smallest subnet that holds ``hosts`` host addresses."""
    if hosts < 1:
        raise ConversionError("a subnet is for at least 1 host")
    for host_bits in range(network.host_bits + 1):
        if usable_hosts(network.family, host_bits) >= hosts:
            return address_bits(network.family) - host_bits
    biggest = usable_hosts(network.family, network.host_bits)
    raise ConversionError(f"{network} holds at most {biggest} hosts, not {hosts}")


def equal_prefix(
    network: Network,
    *,
    prefix: str | None = None,
    count: int | None = None,
    hosts: int | None = None,
) -> int:
    """The prefix length of an equal split, asked for in one of three ways: the prefix itself
    (/24), the fewest subnets (``count``), or the hosts each must hold."""
    if hosts is not None:
        return prefix_for_hosts(network, hosts)
    if count is not None:
        return prefix_for_count(network, count)
    return parse_prefix_length(network, str(prefix))


def subnet_count(network: Network, prefix_length: int) -> int:
    return 1 << (prefix_length - network.prefix_length)


def split(network: Network, prefix_length: int) -> Iterator[CidrInfo]:
    """The subnets of ``network`` with ``prefix_length``, in address order (a generator: a /8
    has 16,777,216 /32s)."""
    step = 1 << (address_bits(network.family) - prefix_length)
    for value in range(network.value, network.last + 1, step):
        yield cidr_info(network.family, value, prefix_length)


# ---------------------------------------------------------------------------------------------
# A variable-length plan


def parse_host_counts(text: str) -> list[int]:
    """--hosts 100,50,20,2: the hosts each subnet must hold."""
    counts = [parse_unsigned(part, 128) for part in text.split(",")]
    if any(count < 1 for count in counts):
        raise ConversionError("a subnet is for at least 1 host")
    return counts


def plan(network: Network, host_counts: Sequence[int]) -> list[PlanEntry]:
    """Allocate a subnet for each host count, the largest first, each at the lowest free address
    that fits; then what is left free, as minimal blocks. Sorted by address.

    Largest first keeps every later block aligned inside the space the earlier ones left, so
    the plan wastes only the rounding of each count up to a power of two.
    """
    bits = address_bits(network.family)
    free: list[tuple[int, int]] = [(network.value, network.prefix_length)]
    entries: list[tuple[int, PlanEntry]] = []
    for hosts in sorted(host_counts, reverse=True):
        length = prefix_for_hosts(network, hosts)
        fitting = [block for block in free if block[1] <= length]
        if not fitting:
            needed = sum(1 << (bits - prefix_for_hosts(network, n)) for n in host_counts)
            raise ConversionError(
                f"{network} has no room left for a /{length} ({hosts} hosts): the plan needs "
                f"{needed} addresses of {1 << network.host_bits}"
            )
        start, block_length = min(fitting)
        free.remove((start, block_length))
        block_last = start + (1 << (bits - block_length)) - 1
        free += cidr_blocks(network.family, start + (1 << (bits - length)), block_last)
        subnet = cidr_info(network.family, start, length)
        entries.append((start, PlanEntry(requested_hosts=hosts, subnet=subnet)))
    left = merge_intervals((start, start + (1 << (bits - length)) - 1) for start, length in free)
    entries += [
        (start, PlanEntry(subnet=cidr_info(network.family, start, length)))
        for first, last in left
        for start, length in cidr_blocks(network.family, first, last)
    ]
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]


# ---------------------------------------------------------------------------------------------
# Ranges and aggregation


def cidr_blocks(family: Family, first: int, last: int) -> list[tuple[int, int]]:
    """The minimal (start, prefix length) blocks that cover exactly [first, last]."""
    bits = address_bits(family)
    blocks = []
    while first <= last:
        aligned = (first & -first).bit_length() - 1 if first else bits
        fits = (last - first + 1).bit_length() - 1
        host_bits = min(aligned, fits)
        blocks.append((first, bits - host_bits))
        first += 1 << host_bits
    return blocks


def _block(family: Family, start: int, length: int) -> CidrBlock:
    host_bits = address_bits(family) - length
    return CidrBlock(
        network=f"{int_to_text(family, start)}/{length}",
        family=family,
        first_address=int_to_text(family, start),
        last_address=int_to_text(family, start + (1 << host_bits) - 1),
        address_count=1 << host_bits,
    )


def address_range(first_text: str, last_text: str) -> list[CidrBlock]:
    """The minimal CIDR blocks covering exactly the addresses from ``first_text`` to
    ``last_text`` (at most two per bit of the address, so a list)."""
    first, last = parse_network(first_text), parse_network(last_text)
    for text, parsed in ((first_text, first), (last_text, last)):
        if parsed.host_bits:
            raise ConversionError(f"{text!r} is a network; a range goes from address to address")
    if first.family != last.family:
        raise ConversionError(f"{first_text} and {last_text} are not of the same family")
    if first.value > last.value:
        raise ConversionError(f"{first_text} comes after {last_text}")
    return [
        _block(first.family, start, length)
        for start, length in cidr_blocks(first.family, first.value, last.value)
    ]


def parse_range_line(line: str) -> tuple[str, str]:
    """A range from a line of input: ``FIRST LAST`` or ``FIRST-LAST``."""
    parts = line.replace("-", " ").split()
    if len(parts) != 2:
        raise ConversionError(f"{line!r} is not a range (FIRST LAST, or FIRST-LAST)")
    return parts[0], parts[1]


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, with overlapping and adjacent intervals joined."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _subtract(
    intervals: list[tuple[int, int]], holes: list[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """``intervals`` without ``holes``; both sorted and merged."""
    index = 0
    for first, last in intervals:
        while index < len(holes) and holes[index][1] < first:
            index += 1
        position, hole = first, index
        while hole < len(holes) and holes[hole][0] <= last:
            if holes[hole][0] > position:
                yield position, holes[hole][0] - 1
            position = max(position, holes[hole][1] + 1)
            hole += 1
        if position <= last:
            yield position, last


def merge(networks: Iterable[str], exclude: Iterable[str] = ()) -> list[CidrBlock]:
    """The minimal CIDR blocks covering every network and address given, less the excluded
    ones: IPv4 first, then IPv6, each in address order. An input that does not parse raises,
    naming it: an aggregate with a silently missing line would be wrong. Every input is read
    before the first block is known, so this is a list (no longer than the input)."""
    spans: dict[Family, list[tuple[int, int]]] = {"IPv4": [], "IPv6": []}
    holes: dict[Family, list[tuple[int, int]]] = {"IPv4": [], "IPv6": []}
    for target, texts in ((spans, networks), (holes, exclude)):
        for text in texts:
            network = parse_network(text)
            target[network.family].append((network.value, network.last))
    return [
        _block(family, start, length)
        for family in FAMILIES
        for first, last in _subtract(merge_intervals(spans[family]), merge_intervals(holes[family]))
        for start, length in cidr_blocks(family, first, last)
    ]


def contains(network: Network, text: str) -> ContainsResult:
    """Whether the address or network ``text`` lies wholly inside ``network``; an address of the
    other family never does."""
    try:
        inner = parse_network(text)
    except ConversionError as error:
        return ContainsResult(input=text, network=str(network), error=str(error))
    inside = (
        inner.family == network.family
        and network.value <= inner.value
        and inner.last <= network.last
    )
    return ContainsResult(input=text, network=str(network), contained=inside)
