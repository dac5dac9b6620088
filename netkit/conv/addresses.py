"""Address conversion (inet_pton/inet_ntop), what kind an address is, and CIDR maths.

Pure functions: each takes one user input and returns a frozen result with ``error`` set instead
of raising, so a batch can report every input in order.
"""

# The C extension behind socket.py: the C library's own inet_pton/inet_ntop, without socket.py's
# enum set-up, which would add milliseconds to every `netkit conv` start.
import _socket
from dataclasses import dataclass
from typing import Literal

from netkit.conv.byteorder import ConversionError, parse_unsigned

IPV4_BITS = 32
IPV6_BITS = 128

Family = Literal["IPv4", "IPv6"]
InputForm = Literal["text", "int", "packed"]


@dataclass(frozen=True, slots=True)
class CidrInfo:
    """ipcalc-style facts about the network an address/prefix names."""

    prefix_length: int
    network: str  # network address with prefix, e.g. 10.0.0.0/8
    netmask: str
    wildcard: str  # the inverted mask (Cisco ACL style), also called host mask
    broadcast: str | None  # None for IPv6, /31 and /32 (RFC 3021)
    first_host: str
    last_host: str
    host_count: int  # usable host addresses
    address_count: int  # every address in the network


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressResult:
    """Everything inet_pton/inet_ntop and friends say about one address.

    An input that does not parse keeps only itself and the error; every fact is None.
    """

    input: str
    parsed_as: InputForm | None = None
    family: Family | None = None
    canonical: str | None = None  # as inet_ntop writes it (RFC 5952 for IPv6)
    expanded: str | None = None  # IPv6 with every group in four digits; IPv4 as canonical
    scope_id: str | None = None  # the %zone of a link-local IPv6 address
    packed: str | None = None  # the address bytes in network order, hex
    integer: int | None = None
    integer_hex: str | None = None
    binary: str | None = None
    reverse_pointer: str | None = None  # the PTR name under in-addr.arpa or ip6.arpa
    kind: str | None = None
    kind_reference: str | None = None  # the RFC that sets the range aside
    embedded_ipv4: str | None = None  # for IPv4-mapped, -compatible, NAT64 and 6to4 addresses
    cidr: CidrInfo | None = None
    error: str | None = None


# (first address, prefix length, kind, reference): the most specific range first.
_IPV4_RANGES: tuple[tuple[str, int, str, str], ...] = (
    ("0.0.0.0", 32, "unspecified", "RFC 1122"),
    ("0.0.0.0", 8, "reserved", "RFC 1122 'this network'"),
    ("127.0.0.0", 8, "loopback", "RFC 1122"),
    ("10.0.0.0", 8, "private", "RFC 1918"),
    ("172.16.0.0", 12, "private", "RFC 1918"),
    ("192.168.0.0", 16, "private", "RFC 1918"),
    ("100.64.0.0", 10, "shared", "RFC 6598 carrier-grade NAT"),
    ("169.254.0.0", 16, "link-local", "RFC 3927"),
    ("192.0.0.0", 24, "reserved", "RFC 6890 IETF protocol assignments"),
    ("192.0.2.0", 24, "documentation", "RFC 5737 TEST-NET-1"),
    ("198.51.100.0", 24, "documentation", "RFC 5737 TEST-NET-2"),
    ("203.0.113.0", 24, "documentation", "RFC 5737 TEST-NET-3"),
    ("198.18.0.0", 15, "benchmarking", "RFC 2544"),
    ("224.0.0.0", 4, "multicast", "RFC 5771"),
    ("255.255.255.255", 32, "broadcast", "RFC 919 limited broadcast"),
    ("240.0.0.0", 4, "reserved", "RFC 1112 class E"),
)
_IPV6_RANGES: tuple[tuple[str, int, str, str], ...] = (
    ("::", 128, "unspecified", "RFC 4291"),
    ("::1", 128, "loopback", "RFC 4291"),
    ("::ffff:0:0", 96, "ipv4-mapped", "RFC 4291"),
    ("::", 96, "ipv4-compatible", "RFC 4291, deprecated"),
    ("64:ff9b::", 96, "nat64", "RFC 6052"),
    ("100::", 64, "discard", "RFC 6666"),
    ("2001:db8::", 32, "documentation", "RFC 3849"),
    ("3fff::", 20, "documentation", "RFC 9637"),
    ("2001::", 32, "teredo", "RFC 4380"),
    ("2002::", 16, "6to4", "RFC 3056"),
    ("fc00::", 7, "private", "RFC 4193 unique local"),
    ("fe80::", 10, "link-local", "RFC 4291"),
    ("fec0::", 10, "reserved", "RFC 3879 site-local, deprecated"),
    ("ff00::", 8, "multicast", "RFC 4291"),
    ("2000::", 3, "global", "RFC 4291 global unicast"),
)
_EMBEDS_IPV4 = {"ipv4-mapped", "ipv4-compatible", "nat64"}


def _to_int(family: Family, text: str) -> int:
    af = _socket.AF_INET if family == "IPv4" else _socket.AF_INET6
    return int.from_bytes(_socket.inet_pton(af, text), "big")


def _compile(
    ranges: tuple[tuple[str, int, str, str], ...], family: Family, bits: int
) -> tuple[tuple[int, int, str, str], ...]:
    return tuple(
        (_to_int(family, start), bits - length, kind, reference)
        for start, length, kind, reference in ranges
    )


_RANGES: dict[Family, tuple[tuple[int, int, str, str], ...]] = {
    "IPv4": _compile(_IPV4_RANGES, "IPv4", IPV4_BITS),
    "IPv6": _compile(_IPV6_RANGES, "IPv6", IPV6_BITS),
}


def classify(family: Family, value: int) -> tuple[str, str]:
    """What kind of address ``value`` is, and the RFC that says so."""
    for start, host_bits, kind, reference in _RANGES[family]:
        if value >> host_bits == start >> host_bits:
            return kind, reference
    if family == "IPv4":
        return "global", "RFC 791"
    return "reserved", "RFC 4291 unassigned"


def address_bits(family: Family) -> int:
    return IPV4_BITS if family == "IPv4" else IPV6_BITS


_bits = address_bits


def usable_hosts(family: Family, host_bits: int) -> int:
    """The host addresses of a network with ``host_bits`` host bits.

    A /32 (/128) is one host and a /31 (/127) a point-to-point pair whose two ends are both
    hosts (RFC 3021, RFC 6164). Otherwise IPv4 loses the network and broadcast addresses and
    IPv6 the all-zeros subnet-router anycast address (RFC 4291 section 2.6.1).
    """
    addresses = 1 << host_bits
    if host_bits <= 1:
        return addresses
    return addresses - 2 if family == "IPv4" else addresses - 1


def int_to_text(family: Family, value: int) -> str:
    """inet_ntop of an address held as an integer."""
    af = _socket.AF_INET if family == "IPv4" else _socket.AF_INET6
    return str(_socket.inet_ntop(af, value.to_bytes(_bits(family) // 8, "big")))


def _embedded_ipv4(family: Family, value: int, kind: str) -> str | None:
    if family != "IPv6":
        return None
    if kind in _EMBEDS_IPV4:
        return int_to_text("IPv4", value & 0xFFFFFFFF)
    if kind == "6to4":  # 2002:AABB:CCDD::/48 carries the IPv4 address in bits 16..47
        return int_to_text("IPv4", (value >> 80) & 0xFFFFFFFF)
    return None


def _binary(family: Family, value: int) -> str:
    if family == "IPv4":
        return ".".join(f"{byte:08b}" for byte in value.to_bytes(4, "big"))
    return ":".join(f"{(value >> shift) & 0xFFFF:016b}" for shift in range(112, -1, -16))


def _reverse_pointer(family: Family, value: int) -> str:
    if family == "IPv4":
        return ".".join(str(byte) for byte in reversed(value.to_bytes(4, "big"))) + ".in-addr.arpa"
    return ".".join(reversed(f"{value:032x}")) + ".ip6.arpa"


def _expanded(family: Family, value: int) -> str:
    if family == "IPv4":
        return int_to_text(family, value)
    return ":".join(f"{(value >> shift) & 0xFFFF:04x}" for shift in range(112, -1, -16))


def cidr_info(family: Family, value: int, prefix_length: int) -> CidrInfo:
    """Network facts for ``value/prefix_length``; /31 and /127 follow RFC 3021 and RFC 6164."""
    bits = _bits(family)
    host_bits = bits - prefix_length
    hostmask = (1 << host_bits) - 1
    netmask = ((1 << bits) - 1) ^ hostmask
    network = value & netmask
    last = network | hostmask
    address_count = 1 << host_bits
    broadcast: int | None = None
    if host_bits <= 1:  # a single host, or a point-to-point pair where both ends are hosts
        first_host, last_host = network, last
    elif family == "IPv4":
        first_host, last_host = network + 1, last - 1
        broadcast = last
    else:  # IPv6 has no broadcast; the all-zeros address is the subnet-router anycast (RFC 4291)
        first_host, last_host = network + 1, last
    return CidrInfo(
        prefix_length=prefix_length,
        network=f"{int_to_text(family, network)}/{prefix_length}",
        netmask=int_to_text(family, netmask),
        wildcard=int_to_text(family, hostmask),
        broadcast=None if broadcast is None else int_to_text(family, broadcast),
        first_host=int_to_text(family, first_host),
        last_host=int_to_text(family, last_host),
        host_count=usable_hosts(family, host_bits),
        address_count=address_count,
    )


def _parse_prefix(family: Family, text: str) -> int:
    bits = _bits(family)
    if text.isascii() and text.isdecimal() and len(text) <= 3:
        length = int(text)
        if length <= bits:
            return length
        raise ConversionError(f"prefix length /{text} is out of range for {family} (0..{bits})")
    if family == "IPv4":  # ipcalc also takes a dotted netmask: 10.0.0.1/255.0.0.0
        try:
            mask = _to_int("IPv4", text)
        except (OSError, ValueError):
            pass
        else:
            inverted = mask ^ 0xFFFFFFFF
            if inverted & (inverted + 1) == 0:  # the ones are contiguous from the top
                return IPV4_BITS - inverted.bit_length()
            raise ConversionError(f"netmask {text} is not contiguous")
    raise ConversionError(f"prefix {text!r} is not a prefix length (0..{bits})")


def _parse_text(text: str) -> tuple[Family, int, str | None]:
    """inet_pton with the family guessed as getaddrinfo does; an IPv6 %scope is split off."""
    if ":" in text:
        address, _, scope = text.partition("%")
        if "%" in text and (not scope or not scope.isprintable() or " " in scope):
            raise ConversionError(f"{text!r} has an empty or invalid scope id")
        try:
            return "IPv6", _to_int("IPv6", address), scope or None
        except (OSError, ValueError):
            _refuse_port(text)
            raise ConversionError(f"{text!r} is not a valid IPv6 address") from None
    try:
        return "IPv4", _to_int("IPv4", text), None
    except (OSError, ValueError):
        hint = " (for an integer use --from int)" if text.strip().isdecimal() else ""
        raise ConversionError(f"{text!r} is not a valid IPv4 or IPv6 address{hint}") from None


def _refuse_port(text: str) -> None:
    """127.0.0.1:80 and [::1]:53 are an address and a port: say so, rather than that they are
    not valid IPv6 addresses."""
    host, colon, port = text.rpartition(":")
    if not (colon and port.isdecimal() and host):
        return
    address = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if address == host and ":" in host:  # ::1:80 is itself an IPv6 address, or not one
        return
    try:
        _to_int("IPv6" if ":" in address else "IPv4", address)
    except (OSError, ValueError):
        return
    raise ConversionError(
        f"{text!r} is an address and a port: a port is not part of an address "
        f"(give {address} alone)"
    )


def parse_network_text(text: str) -> tuple[Family, int, int | None]:
    """An address as inet_pton reads it, with an optional /prefix (or IPv4 /netmask): the
    family, the address as an integer and the prefix length (None without one). A scope id
    (fe80::1%eth0) names an interface, not part of a network, so it is refused."""
    address_text, slash, prefix_text = text.partition("/")
    family, value, scope = _parse_text(address_text)
    if scope is not None:
        raise ConversionError(f"{text!r}: a scope id has no place in a network")
    try:
        prefix = _parse_prefix(family, prefix_text) if slash else None
    except ConversionError as error:
        raise ConversionError(f"{text!r}: {error}") from None
    return family, value, prefix


def _parse_packed(text: str) -> tuple[Family, int]:
    digits = text.strip().lower().removeprefix("0x")
    for separator in (" ", ":", "-"):
        digits = digits.replace(separator, "")
    try:
        packed = bytes.fromhex(digits)
    except ValueError:
        raise ConversionError(f"{text!r} is not hex bytes") from None
    if len(packed) == 4:
        return "IPv4", int.from_bytes(packed, "big")
    if len(packed) == 16:
        return "IPv6", int.from_bytes(packed, "big")
    raise ConversionError(f"{text!r} is {len(packed)} bytes; an address packs into 4 or 16")


def _parse_integer(text: str, family: Family | None) -> tuple[Family, int]:
    value = parse_unsigned(text, IPV4_BITS if family == "IPv4" else IPV6_BITS)
    if family is None:
        family = "IPv4" if value < 1 << IPV4_BITS else "IPv6"
    return family, value


def analyze_address(
    text: str, *, parse_as: InputForm = "text", family: Family | None = None
) -> AddressResult:
    """Parse one address (with an optional /prefix) and describe it.

    ``parse_as`` "text" accepts exactly what inet_pton accepts; "int" takes an integer literal and
    "packed" hex bytes in network order (IPv4 unless it needs more than 32 bits, or ``family``).
    """
    address_text, slash, prefix_text = text.partition("/")
    try:
        scope: str | None = None
        if parse_as == "text":
            parsed_family, value, scope = _parse_text(address_text)
        elif parse_as == "int":
            parsed_family, value = _parse_integer(address_text, family)
        else:
            parsed_family, value = _parse_packed(address_text)
        if family is not None and parsed_family != family:
            raise ConversionError(f"{text!r} is an {parsed_family} address, not {family}")
        cidr = (
            cidr_info(parsed_family, value, _parse_prefix(parsed_family, prefix_text))
            if slash
            else None
        )
    except ConversionError as error:
        message = str(error)
        if slash and repr(text) not in message:  # the message names a part: say of what
            message = f"{text!r}: {message}"
        return AddressResult(input=text, error=message)
    kind, reference = classify(parsed_family, value)
    return AddressResult(
        input=text,
        parsed_as=parse_as,
        family=parsed_family,
        canonical=int_to_text(parsed_family, value),
        expanded=_expanded(parsed_family, value),
        scope_id=scope,
        packed=f"{value:0{_bits(parsed_family) // 4}x}",
        integer=value,
        integer_hex=hex(value),
        binary=_binary(parsed_family, value),
        reverse_pointer=_reverse_pointer(parsed_family, value),
        kind=kind,
        kind_reference=reference,
        embedded_ipv4=_embedded_ipv4(parsed_family, value, kind),
        cidr=cidr,
    )
