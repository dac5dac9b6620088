"""netkit.conv: byte order, inet_pton/inet_ntop agreement, classification and CIDR maths."""

import dataclasses
import ipaddress
import socket
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netkit.conv import analyze_address, cidr_info, convert_byte_order, parse_unsigned

LITTLE = sys.byteorder == "little"


# --- byte order -------------------------------------------------------------------------------


def test_port_matches_the_reference_line() -> None:
    result = convert_byte_order("8080", 16)
    assert (result.host_hex, result.wire, result.function) == ("0x1f90", "1f 90", "htons")
    assert result.network == socket.htons(8080)
    if LITTLE:
        assert result.network_hex == "0x901f"


def test_long_matches_the_reference_line_and_names_the_address() -> None:
    result = convert_byte_order("0x7f000001", 32)
    assert result.host == 0x7F000001
    assert result.ipv4 == "127.0.0.1"
    assert result.wire == "7f 00 00 01"
    if LITTLE:
        assert result.network_hex == "0x100007f"


def test_ntoh_reads_the_value_as_network_order() -> None:
    result = convert_byte_order("0x901f", 16, to_host=True)
    assert result.function == "ntohs"
    assert result.host == socket.ntohs(0x901F)
    assert result.network == 0x901F


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8080", 8080),
        ("0x1f90", 8080),
        ("0X1F90", 8080),
        ("0o17620", 8080),
        ("0b1", 1),
        ("0", 0),
        ("00", 0),
    ],
)
def test_unsigned_literals(text: str, value: int) -> None:
    assert parse_unsigned(text, 16) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("65536", "out of range"),
        ("-1", "not an unsigned number"),
        ("+1", "not an unsigned number"),
        ("0x", "not a number"),
        ("08080", "leading zero"),
        ("010", "write 10 for decimal, or use 0o for octal"),
        ("1_000", "no '_' separators"),
        ("0x1_f", "no '_' separators"),
        ("port", "not a number"),
        ("", "not a number"),
        ("١٢", "not a number"),  # non-ASCII digits that int() would accept
    ],
)
def test_bad_values_are_errors_not_exceptions(text: str, message: str) -> None:
    result = convert_byte_order(text, 16)
    assert result.error is not None and message in result.error
    assert result.host is None and result.network is None


@given(st.integers(0, 0xFFFF))
def test_htons_agrees_with_the_c_library(value: int) -> None:
    result = convert_byte_order(str(value), 16)
    assert result.network == socket.htons(value)
    assert bytes.fromhex(result.wire or "") == value.to_bytes(2, "big")


@given(st.integers(0, 0xFFFFFFFF))
def test_htonl_round_trips(value: int) -> None:
    there = convert_byte_order(hex(value), 32)
    back = convert_byte_order(str(there.network), 32, to_host=True)
    assert there.network == socket.htonl(value)
    assert back.host == value


# --- addresses --------------------------------------------------------------------------------


def test_inet_conv_reference_example() -> None:
    result = analyze_address("192.168.1.1")
    assert (result.family, result.canonical, result.integer_hex) == (
        "IPv4",
        "192.168.1.1",
        "0xc0a80101",
    )
    assert result.packed == "c0a80101"
    assert result.binary == "11000000.10101000.00000001.00000001"
    assert result.reverse_pointer == "1.1.168.192.in-addr.arpa"
    assert result.kind == "private"
    assert result.error is None


def test_ipv6_forms() -> None:
    result = analyze_address("2001:DB8:0:0::1")
    assert result.canonical == "2001:db8::1"
    assert result.expanded == "2001:0db8:0000:0000:0000:0000:0000:0001"
    assert result.packed == "20010db8000000000000000000000001"
    assert result.reverse_pointer == ipaddress.ip_address("2001:db8::1").reverse_pointer
    assert result.kind == "documentation"


def test_scope_id_is_shown_separately() -> None:
    result = analyze_address("fe80::1%eth0")
    assert (result.canonical, result.scope_id, result.kind) == ("fe80::1", "eth0", "link-local")


@pytest.mark.parametrize(
    "text",
    [
        "01.2.3.4",
        "1.2.3",
        "1::2::3",
        "::ffff:1.2.3.256",
        "256.1.1.1",
        "1.2.3.4.5",
        "127.1",
        "0x7f000001",
        "2130706433",
        "",
        " 1.2.3.4",
        "1.2.3.4 ",
        "1.2.3.4%eth0",
        "fe80::1%",
        "12345::",
        ":::",
        "1.2.3.4\x00",
        "example.com",
    ],
)
def test_text_acceptance_is_exactly_inet_pton(text: str) -> None:
    result = analyze_address(text)
    assert result.error is not None
    assert result.family is None and result.canonical is None and result.packed is None


@pytest.mark.parametrize(
    ("text", "kind", "embedded"),
    [
        ("127.0.0.1", "loopback", None),
        ("10.1.2.3", "private", None),
        ("172.31.255.255", "private", None),
        ("172.32.0.0", "global", None),
        ("100.64.0.1", "shared", None),
        ("169.254.1.1", "link-local", None),
        ("224.0.0.1", "multicast", None),
        ("192.0.2.1", "documentation", None),
        ("198.51.100.7", "documentation", None),
        ("203.0.113.9", "documentation", None),
        ("240.0.0.1", "reserved", None),
        ("255.255.255.255", "broadcast", None),
        ("0.0.0.0", "unspecified", None),
        ("8.8.8.8", "global", None),
        ("::1", "loopback", None),
        ("::", "unspecified", None),
        ("::ffff:192.0.2.1", "ipv4-mapped", "192.0.2.1"),
        ("::192.0.2.1", "ipv4-compatible", "192.0.2.1"),
        ("64:ff9b::808:808", "nat64", "8.8.8.8"),
        ("2002:c000:0204::1", "6to4", "192.0.2.4"),
        ("fd00::1", "private", None),
        ("fe80::1", "link-local", None),
        ("ff02::1", "multicast", None),
        ("2606:4700::1111", "global", None),
    ],
)
def test_kinds(text: str, kind: str, embedded: str | None) -> None:
    result = analyze_address(text)
    assert (result.kind, result.embedded_ipv4) == (kind, embedded)


def test_mapped_address_is_written_as_inet_ntop_writes_it() -> None:
    assert analyze_address("0:0:0:0:0:ffff:c000:0201").canonical == "::ffff:192.0.2.1"


ipv4_values = st.integers(0, 2**32 - 1)
ipv6_values = st.integers(0, 2**128 - 1)


@given(ipv4_values)
def test_ipv4_text_packed_round_trip_agrees_with_socket(value: int) -> None:
    packed = value.to_bytes(4, "big")
    text = socket.inet_ntop(socket.AF_INET, packed)
    result = analyze_address(text)
    assert result.canonical == text
    assert bytes.fromhex(result.packed or "") == socket.inet_pton(socket.AF_INET, text)
    assert analyze_address(result.packed or "", parse_as="packed").canonical == text
    assert analyze_address(str(value), parse_as="int").canonical == text


@given(ipv6_values)
def test_ipv6_text_packed_round_trip_agrees_with_socket(value: int) -> None:
    packed = value.to_bytes(16, "big")
    text = socket.inet_ntop(socket.AF_INET6, packed)
    result = analyze_address(text)
    assert result.canonical == text
    assert bytes.fromhex(result.packed or "") == packed
    assert analyze_address(result.expanded or "").canonical == text
    assert analyze_address(result.packed or "", parse_as="packed").canonical == text
    assert analyze_address(hex(value), parse_as="int", family="IPv6").canonical == text
    assert result.reverse_pointer == ipaddress.IPv6Address(value).reverse_pointer


@given(st.text(max_size=20))
def test_any_text_is_accepted_exactly_when_inet_pton_accepts_it(text: str) -> None:
    def pton_accepts(family: socket.AddressFamily, candidate: str) -> bool:
        try:
            socket.inet_pton(family, candidate)
        except (OSError, ValueError):
            return False
        return True

    address = text.partition("%")[0] if ":" in text and "/" not in text else text
    expected = pton_accepts(socket.AF_INET, text) or pton_accepts(socket.AF_INET6, address)
    has_bad_scope = "%" in text and (text.endswith("%") or " " in text.partition("%")[2])
    if "/" in text or has_bad_scope or not text.partition("%")[2].isprintable():
        return  # prefixes and scope ids are covered by their own tests
    assert (analyze_address(text).error is None) == expected


# --- integers and packed bytes ----------------------------------------------------------------


def test_integer_back_to_text() -> None:
    assert analyze_address("3232235777", parse_as="int").canonical == "192.168.1.1"
    assert analyze_address("0xc0a80101", parse_as="int").canonical == "192.168.1.1"
    assert analyze_address("1", parse_as="int", family="IPv6").canonical == "::1"
    assert analyze_address(str(2**32), parse_as="int").family == "IPv6"


def test_packed_back_to_text() -> None:
    assert analyze_address("c0 a8 01 01", parse_as="packed").canonical == "192.168.1.1"
    assert analyze_address("0xC0A80101", parse_as="packed").canonical == "192.168.1.1"
    assert analyze_address("00" * 15 + "01", parse_as="packed").canonical == "::1"


@pytest.mark.parametrize(
    ("text", "parse_as", "family"),
    [
        ("c0a801", "packed", None),
        ("zz", "packed", None),
        (str(2**128), "int", None),
        (str(2**32), "int", "IPv4"),
        ("-5", "int", None),
        ("1_000", "int", None),
        ("0377", "int", None),
    ],
)
def test_bad_integers_and_packed(text: str, parse_as: str, family: str | None) -> None:
    result = analyze_address(text, parse_as=parse_as, family=family)  # type: ignore[arg-type]
    assert result.error is not None


# --- CIDR -------------------------------------------------------------------------------------


def test_ipcalc_style_facts() -> None:
    cidr = analyze_address("10.1.2.3/8").cidr
    assert cidr is not None
    assert (cidr.network, cidr.netmask, cidr.wildcard) == (
        "10.0.0.0/8",
        "255.0.0.0",
        "0.255.255.255",
    )
    assert (cidr.broadcast, cidr.first_host, cidr.last_host) == (
        "10.255.255.255",
        "10.0.0.1",
        "10.255.255.254",
    )
    assert cidr.host_count == 2**24 - 2


@pytest.mark.parametrize(
    ("text", "first", "last", "hosts", "broadcast"),
    [
        ("192.0.2.7/31", "192.0.2.6", "192.0.2.7", 2, None),  # RFC 3021
        ("192.0.2.7/32", "192.0.2.7", "192.0.2.7", 1, None),
        ("2001:db8::1/127", "2001:db8::", "2001:db8::1", 2, None),  # RFC 6164
        ("2001:db8::1/128", "2001:db8::1", "2001:db8::1", 1, None),
        ("2001:db8::/64", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", 2**64 - 1, None),
        ("0.0.0.0/0", "0.0.0.1", "255.255.255.254", 2**32 - 2, "255.255.255.255"),
    ],
)
def test_point_to_point_and_single_host_prefixes(
    text: str, first: str, last: str, hosts: int, broadcast: str | None
) -> None:
    cidr = analyze_address(text).cidr
    assert cidr is not None
    assert (cidr.first_host, cidr.last_host, cidr.host_count, cidr.broadcast) == (
        first,
        last,
        hosts,
        broadcast,
    )


def test_dotted_netmask() -> None:
    cidr = analyze_address("10.1.2.3/255.255.0.0").cidr
    assert cidr is not None and cidr.network == "10.1.0.0/16"


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1/33", "::1/129", "10.0.0.1/", "10.0.0.1/x", "10.0.0.1/255.0.255.0", "10.0.0.1/-1"],
)
def test_bad_prefixes(text: str) -> None:
    assert analyze_address(text).error is not None


@given(ipv4_values, st.integers(0, 32))
def test_cidr_agrees_with_ipaddress_v4(value: int, prefix: int) -> None:
    network = ipaddress.IPv4Network((value, prefix), strict=False)
    cidr = cidr_info("IPv4", value, prefix)
    assert cidr.network == str(network)
    assert cidr.netmask == str(network.netmask)
    assert cidr.wildcard == str(network.hostmask)
    assert cidr.address_count == network.num_addresses
    if prefix < 31:
        assert cidr.broadcast == str(network.broadcast_address)
        assert cidr.host_count == network.num_addresses - 2


@given(ipv6_values, st.integers(0, 128))
def test_cidr_agrees_with_ipaddress_v6(value: int, prefix: int) -> None:
    # Compared through inet_ntop, which netkit follows: glibc writes ::0.128.0.0 where the
    # ipaddress module writes ::80:0.
    network = ipaddress.IPv6Network((value, prefix), strict=False)
    cidr = cidr_info("IPv6", value, prefix)
    ntop = lambda address: socket.inet_ntop(socket.AF_INET6, address.packed)  # noqa: E731
    assert cidr.network == f"{ntop(network.network_address)}/{prefix}"
    assert cidr.netmask == ntop(network.netmask)
    assert cidr.address_count == network.num_addresses
    assert cidr.broadcast is None


# --- failed conversions -----------------------------------------------------------------------


def test_a_failed_byte_order_row_keeps_what_the_command_knows() -> None:
    # netkit-conv(1): an invalid port/long row keeps input, bits, function and byteorder.
    result = convert_byte_order("banana", 32, to_host=True)
    assert dataclasses.asdict(result) == {
        "input": "banana",
        "bits": 32,
        "function": "ntohl",
        "host": None,
        "network": None,
        "host_hex": None,
        "network_hex": None,
        "wire": None,
        "byteorder": f"{sys.byteorder}-endian",
        "ipv4": None,
        "error": "'banana' is not a number (use decimal, 0x hex, 0o octal or 0b binary)",
    }


def test_a_failed_address_row_keeps_only_its_input() -> None:
    result = analyze_address("1.2.3")
    fields = dataclasses.asdict(result)
    assert list(fields) == [
        "input", "parsed_as", "family", "canonical", "expanded", "scope_id", "packed", "integer",
        "integer_hex", "binary", "reverse_pointer", "kind", "kind_reference", "embedded_ipv4",
        "cidr", "error",
    ]  # fmt: skip
    assert fields["input"] == "1.2.3"
    assert fields["error"] == "'1.2.3' is not a valid IPv4 or IPv6 address"
    assert all(value is None for key, value in fields.items() if key not in ("input", "error"))
