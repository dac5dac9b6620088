"""netkit.conv.subnets against Python's ipaddress: split, range, merge, exclude and plan."""

import ipaddress
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netkit.conv import ConversionError
from netkit.conv.subnets import (
    address_range,
    contains,
    merge,
    parse_network,
    plan,
    prefix_for_count,
    prefix_for_hosts,
    split,
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(version: int) -> st.SearchStrategy[IPNetwork]:
    bits = 32 if version == 4 else 128
    kind = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    return st.builds(
        lambda value, length: kind((value, length), strict=False),
        st.integers(0, (1 << bits) - 1),
        st.integers(0, bits),
    )


any_network = st.one_of(_networks(4), _networks(6))


def _texts(blocks: Iterable[object]) -> list[str]:
    """Each block's network as ipaddress writes it. netkit writes addresses as inet_ntop does,
    which differs for some IPv6 (glibc: ::128.0.0.0, ipaddress: ::8000:0); the values agree."""
    return [str(ipaddress.ip_network(getattr(block, "network", block))) for block in blocks]


# --- split ------------------------------------------------------------------------------------


@settings(deadline=None)  # two shared cores: a slow moment is not a failure
@given(any_network, st.integers(0, 8))
def test_split_is_ipaddress_subnets(network: IPNetwork, extra: int) -> None:
    extra = min(extra, network.max_prefixlen - network.prefixlen)
    parsed = parse_network(str(network))
    new_length = network.prefixlen + extra
    expected = [str(s) for s in network.subnets(prefixlen_diff=extra)]
    assert _texts(split(parsed, new_length)) == expected


@given(any_network, st.integers(1, 300))
def test_count_gives_the_fewest_equal_subnets(network: IPNetwork, count: int) -> None:
    parsed = parse_network(str(network))
    if (count - 1).bit_length() > network.max_prefixlen - network.prefixlen:
        with pytest.raises(ConversionError):
            prefix_for_count(parsed, count)
        return
    length = prefix_for_count(parsed, count)
    assert 2 ** (length - network.prefixlen) >= count
    assert length == network.prefixlen or 2 ** (length - 1 - network.prefixlen) < count


@pytest.mark.parametrize(
    ("network", "hosts", "length"),
    [
        ("10.0.0.0/22", 50, 26),
        ("10.0.0.0/22", 62, 26),
        ("10.0.0.0/22", 63, 25),
        ("10.0.0.0/22", 1, 32),
        ("10.0.0.0/22", 2, 31),  # RFC 3021: both ends of a /31 are hosts
        ("10.0.0.0/22", 3, 29),
        ("2001:db8::/48", 100, 121),  # 128 addresses less the subnet-router anycast
        ("2001:db8::/48", 127, 121),
        ("2001:db8::/48", 128, 120),
    ],
)
def test_hosts_gives_the_smallest_subnet_that_holds_them(
    network: str, hosts: int, length: int
) -> None:
    assert prefix_for_hosts(parse_network(network), hosts) == length


def test_split_edge_cases() -> None:
    assert _texts(split(parse_network("0.0.0.0/0"), 1)) == ["0.0.0.0/1", "128.0.0.0/1"]
    assert _texts(split(parse_network("10.0.0.1"), 32)) == ["10.0.0.1/32"]
    assert _texts(split(parse_network("::1/128"), 128)) == ["::1/128"]
    assert _texts(split(parse_network("::/0"), 0)) == ["::/0"]
    assert parse_network("10.1.2.3/8") == parse_network("10.0.0.0/8")  # host bits cleared
    assert next(split(parse_network("10.0.0.0/8"), 32)).network == "10.0.0.0/32"  # streams


# --- a variable-length plan ---------------------------------------------------------------------


@settings(deadline=None)  # two shared cores: a slow moment is not a failure
@given(
    st.sampled_from(["10.0.0.0/24", "192.168.0.0/20", "2001:db8::/116"]),
    st.lists(st.integers(1, 300), min_size=2, max_size=8),
)
def test_a_plan_tiles_the_network(network_text: str, hosts: list[int]) -> None:
    network = ipaddress.ip_network(network_text)
    try:
        entries = plan(parse_network(network_text), hosts)
    except ConversionError:
        # It did not fit: one request is bigger than the network, or all add up to more.
        parent = parse_network(network_text)
        biggest = parse_network(network_text).host_bits
        capacity = network.num_addresses - (2 if network.version == 4 and biggest > 1 else 1)
        if max(hosts) > capacity:
            return
        needed = sum(2 ** (network.max_prefixlen - prefix_for_hosts(parent, h)) for h in hosts)
        assert needed > network.num_addresses
        return
    subnets = [ipaddress.ip_network(e.subnet.network) for e in entries if e.subnet]
    # Disjoint, in address order, covering the network exactly.
    assert sum(s.num_addresses for s in subnets) == network.num_addresses
    assert list(ipaddress.collapse_addresses(subnets)) == [network]
    assert subnets == sorted(subnets)
    # Every request got a subnet of the smallest size that holds it.
    allocated = sorted(e.requested_hosts for e in entries if e.requested_hosts is not None)
    assert allocated == sorted(hosts)
    for entry in entries:
        assert entry.subnet is not None
        if entry.requested_hosts is not None:
            assert entry.subnet.host_count >= entry.requested_hosts
    # What is free is minimal: collapsing it changes nothing.
    free = [ipaddress.ip_network(e.subnet.network) for e in entries if e.requested_hosts is None]
    assert len(list(ipaddress.collapse_addresses(free))) == len(free)


def test_the_issue_plan() -> None:
    entries = plan(parse_network("10.0.0.0/24"), [100, 50, 20, 2])
    rows = [(e.requested_hosts, e.subnet and e.subnet.network) for e in entries]
    assert rows == [
        (100, "10.0.0.0/25"),
        (50, "10.0.0.128/26"),
        (20, "10.0.0.192/27"),
        (2, "10.0.0.224/31"),
        (None, "10.0.0.226/31"),
        (None, "10.0.0.228/30"),
        (None, "10.0.0.232/29"),
        (None, "10.0.0.240/28"),
    ]


def test_a_plan_that_does_not_fit_says_so() -> None:
    with pytest.raises(ConversionError, match="no room"):
        plan(parse_network("10.0.0.0/24"), [200, 100])


# --- range ------------------------------------------------------------------------------------


@settings(deadline=None)  # two shared cores: a slow moment is not a failure
@given(st.data(), st.sampled_from([4, 6]))
def test_range_is_summarize_address_range(data: st.DataObject, version: int) -> None:
    bits = 32 if version == 4 else 128
    first = data.draw(st.integers(0, (1 << bits) - 1))
    # Near ranges as well as wide ones: a short span has a ragged edge at both ends.
    last = data.draw(
        st.one_of(st.integers(first, (1 << bits) - 1), st.integers(first, first + 600))
    )
    last = min(last, (1 << bits) - 1)
    kind = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    a, b = kind(first), kind(last)
    expected = [str(n) for n in ipaddress.summarize_address_range(a, b)]
    assert _texts(address_range(str(a), str(b))) == expected


@pytest.mark.parametrize(
    ("first", "last", "blocks"),
    [
        ("0.0.0.0", "255.255.255.255", ["0.0.0.0/0"]),
        ("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["::/0"]),
        ("10.0.0.7", "10.0.0.7", ["10.0.0.7/32"]),
        ("::1", "::1", ["::1/128"]),
        ("10.0.0.5", "10.0.0.200", [
            "10.0.0.5/32", "10.0.0.6/31", "10.0.0.8/29", "10.0.0.16/28", "10.0.0.32/27",
            "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/29", "10.0.0.200/32",
        ]),
    ],
)  # fmt: skip
def test_range_edge_cases(first: str, last: str, blocks: list[str]) -> None:
    assert _texts(address_range(first, last)) == blocks


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("10.0.0.9", "10.0.0.1", "comes after"),
        ("10.0.0.1", "::1", "same family"),
        ("10.0.0.0/24", "10.0.1.0", "is a network"),
        ("10.0.0", "10.0.0.1", "not a valid"),
    ],
)
def test_range_refuses(first: str, last: str, message: str) -> None:
    with pytest.raises(ConversionError, match=message):
        address_range(first, last)


# --- merge and exclude ------------------------------------------------------------------------

mixed_lists = st.lists(st.one_of(_networks(4), _networks(6)), max_size=12)


def _near_networks(version: int) -> st.SearchStrategy[IPNetwork]:
    """Networks inside one /20 (or /116), so that they overlap and touch often."""
    base = 0x0A000000 if version == 4 else 0x20010DB8 << 96
    bits = 32 if version == 4 else 128
    kind = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    return st.builds(
        lambda offset, length: kind((base + offset, length), strict=False),
        st.integers(0, 4095),
        st.integers(bits - 12, bits),
    )


near_lists = st.lists(st.one_of(_near_networks(4), _near_networks(6)), max_size=30)


def _collapsed(networks: Iterable[IPNetwork]) -> list[str]:
    v4 = [n for n in networks if n.version == 4]
    v6 = [n for n in networks if n.version == 6]
    return [str(n) for n in ipaddress.collapse_addresses(v4)] + [
        str(n) for n in ipaddress.collapse_addresses(v6)
    ]


@settings(deadline=None)  # two shared cores: a slow moment is not a failure
@given(st.one_of(mixed_lists, near_lists))
def test_merge_is_collapse_addresses(networks: list[IPNetwork]) -> None:
    assert _texts(merge(str(n) for n in networks)) == _collapsed(networks)


def _excluded(networks: list[IPNetwork], holes: list[IPNetwork]) -> list[IPNetwork]:
    """ipaddress's answer: collapse, then take each hole out with address_exclude."""
    kept = [
        n
        for version in (4, 6)
        for n in ipaddress.collapse_addresses(x for x in networks if x.version == version)
    ]
    for hole in holes:
        after: list[IPNetwork] = []
        for n in kept:
            if n.version != hole.version or not n.overlaps(hole):
                after.append(n)
            elif hole.supernet_of(n):  # type: ignore[arg-type]  # same version checked above
                continue
            else:
                after.extend(n.address_exclude(hole))  # type: ignore[arg-type]  # same version
        kept = after
    return kept


@settings(deadline=None)  # two shared cores: a slow moment is not a failure
@given(near_lists, st.lists(st.one_of(_near_networks(4), _near_networks(6)), max_size=6))
def test_exclude_is_address_exclude(networks: list[IPNetwork], holes: list[IPNetwork]) -> None:
    expected = _collapsed(_excluded(networks, holes))
    assert _texts(merge((str(n) for n in networks), (str(h) for h in holes))) == expected


def test_merge_edge_cases() -> None:
    assert _texts(merge([])) == []
    assert _texts(merge(["10.0.0.0/24"], ["10.0.0.0/8"])) == []  # all excluded
    assert _texts(merge(["0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"])) == [
        "0.0.0.0/0",
        "::/0",
    ]
    assert _texts(merge(["10.0.0.1", "10.0.0.0", "10.0.0.2/31"])) == ["10.0.0.0/30"]
    assert _texts(merge(["10.0.0.0/24", "10.0.0.77"])) == ["10.0.0.0/24"]  # overlap
    assert _texts(merge(["::/0"], ["::1"]))[-1] == "8000::/1"
    assert len(merge(["::/0"], ["::1"])) == 128
    with pytest.raises(ConversionError, match="'nonsense'"):
        merge(["10.0.0.0/8", "nonsense"])


# --- contains ---------------------------------------------------------------------------------


@given(any_network, st.one_of(_networks(4), _networks(6)))
def test_contains_is_subnet_of(network: IPNetwork, inner: IPNetwork) -> None:
    expected = inner.version == network.version and inner.subnet_of(network)  # type: ignore[arg-type]  # same version checked first
    result = contains(parse_network(str(network)), str(inner))
    assert result.contained is expected and result.error is None


def test_contains_reports_an_unreadable_address() -> None:
    result = contains(parse_network("10.0.0.0/8"), "10.0.0")
    assert result.contained is None and result.error is not None
