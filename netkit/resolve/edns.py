"""EDNS options (RFC 6891 section 6.1.2): the ones a query asks for, and those of a reply decoded.

A query's options are built here from what the user asked (--nsid, --subnet, --cookie,
--padding, --ednsopt) into octets that wire.build_query places in the OPT record. A reply's
options are decoded into EdnsOption records: the code, its name, the octets in hex, and a
decoded form for the options netkit knows, shown the way dig shows them.

Pure functions and plain data, no dnspython: the batch engine decodes a reply's OPT record with
them, and a reply without options never comes here.
"""

import struct
from dataclasses import dataclass, field

# IANA "DNS EDNS0 Option Codes (OPT)", with the names dig prints.
NSID = 3  # RFC 5001
CLIENT_SUBNET = 8  # RFC 7871
COOKIE = 10  # RFC 7873
PADDING = 12  # RFC 7830
EDE = 15  # RFC 8914
OPTION_NAMES = {
    1: "LLQ",
    2: "UL",
    3: "NSID",
    5: "DAU",
    6: "DHU",
    7: "N3U",
    8: "CLIENT-SUBNET",
    9: "EXPIRE",
    10: "COOKIE",
    11: "TCP-KEEPALIVE",
    12: "PADDING",
    13: "CHAIN",
    14: "KEY-TAG",
    15: "EDE",
    16: "CLIENT-TAG",
    17: "SERVER-TAG",
    18: "REPORT-CHANNEL",
    19: "ZONEVERSION",
}
_OPTION_CODES = {name: code for code, name in OPTION_NAMES.items()} | {"ECS": CLIENT_SUBNET}

# RFC 8914 section 4 and the IANA "Extended DNS Error Codes" registry.
EDE_NAMES = {
    0: "Other",
    1: "Unsupported DNSKEY Algorithm",
    2: "Unsupported DS Digest Type",
    3: "Stale Answer",
    4: "Forged Answer",
    5: "DNSSEC Indeterminate",
    6: "DNSSEC Bogus",
    7: "Signature Expired",
    8: "Signature Not Yet Valid",
    9: "DNSKEY Missing",
    10: "RRSIGs Missing",
    11: "No Zone Key Bit Set",
    12: "NSEC Missing",
    13: "Cached Error",
    14: "Not Ready",
    15: "Blocked",
    16: "Censored",
    17: "Filtered",
    18: "Prohibited",
    19: "Stale NXDOMAIN Answer",
    20: "Not Authoritative",
    21: "Not Supported",
    22: "No Reachable Authority",
    23: "Network Error",
    24: "Invalid Data",
    25: "Signature Expired before Valid",
    26: "Too Early",
    27: "Unsupported NSEC3 Iterations Value",
    28: "Unable to conform to policy",
    29: "Synthesized",
    30: "Invalid Query Type",
}

# Queries are padded to a multiple of this (RFC 8467 section 4.1, the block-length strategy
# it recommends for queries; 468 is the block it recommends for responses, the server's choice).
PADDING_BLOCK = 128
COOKIE_CLIENT_LENGTH = 8  # RFC 7873 section 4
_OPTION_HEADER = struct.Struct("!HH")


@dataclass(frozen=True, slots=True)
class QueryEdns:
    """The OPT record a query carries: its UDP payload size and options, and padding."""

    payload: int = 1232  # the DNS Flag Day 2020 size: no IP fragmentation on any sane path
    options: tuple[tuple[int, bytes], ...] = ()  # (code, data), in the order sent
    padding: bool = False  # pad the query to a multiple of PADDING_BLOCK octets (RFC 7830)


DEFAULT_EDNS = QueryEdns()


@dataclass(frozen=True, slots=True)
class EdnsOption:
    """One option of a reply's OPT record, in the field names `--json` documents."""

    code: int
    name: str  # "NSID", "COOKIE", ...; "OPT65001" for a code netkit has no name for
    hex: str  # the option's data, exactly, in lower-case hex
    text: str | None  # the decoded form dig would show, or None when not decoded
    decoded: dict[str, object] | None = field(default=None)  # the decoded fields, by option


def option_code(text: str) -> int:
    """An option code from a number (0-65535) or a name (NSID, ECS, COOKIE, ...)."""
    known = _OPTION_CODES.get(text.upper())
    if known is not None:
        return known
    if text.isdigit() and int(text) <= 0xFFFF:
        return int(text)
    raise ValueError(f"'{text}' is not an EDNS option code (0-65535) or name")


def hex_octets(text: str) -> bytes:
    """Octets written in hex (spaces and colons allowed between them)."""
    digits = "".join(text.replace(":", " ").split())
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise ValueError(f"'{text}' is not hex octets") from None


def parse_ednsopt(text: str) -> tuple[int, bytes]:
    """--ednsopt CODE[:HEX], as dig's +ednsopt=CODE[:VALUE]."""
    code, _, value = text.partition(":")
    return option_code(code), hex_octets(value)


def client_subnet(text: str) -> bytes:
    """The data of an ECS option (RFC 7871 section 6) for 'ADDRESS[/PREFIX]': the family, the
    source prefix length, a scope of 0, and the address cut to the prefix's octets."""
    import ipaddress

    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"'{text}' is not an address or network") from None
    family = 1 if network.version == 4 else 2
    prefix = network.prefixlen
    address = network.network_address.packed[: (prefix + 7) // 8]
    return struct.pack("!HBB", family, prefix, 0) + address


def client_cookie(text: str | None) -> bytes:
    """The data of a COOKIE option: a random client cookie, or the one given (8 octets, or 16
    to 40 with a server cookie from an earlier reply, RFC 7873 section 4)."""
    if not text:
        import secrets

        return secrets.token_bytes(COOKIE_CLIENT_LENGTH)
    octets = hex_octets(text)
    if len(octets) != COOKIE_CLIENT_LENGTH and not 16 <= len(octets) <= 40:
        raise ValueError(
            f"'{text}' is not a cookie: 8 octets in hex, or 16 to 40 with the server's"
        )
    return octets


def options_wire(edns: QueryEdns, message_length: int) -> bytes:
    """The RDATA of the query's OPT record. message_length is the whole query's length without
    it (header, question, OPT's fixed part): the padding fills up to the next block."""
    data = b"".join(_OPTION_HEADER.pack(code, len(value)) + value for code, value in edns.options)
    if edns.padding:
        unpadded = message_length + len(data) + _OPTION_HEADER.size
        data += _OPTION_HEADER.pack(PADDING, -unpadded % PADDING_BLOCK)
        data += b"\x00" * (-unpadded % PADDING_BLOCK)
    return data


def decode_options(data: bytes) -> tuple[EdnsOption, ...]:
    """The options of an OPT record's RDATA; a cut-short last option is kept as it came."""
    options = []
    offset = 0
    while offset < len(data):
        if offset + 4 > len(data):
            options.append(_option(-1, data[offset:]))
            break
        code, length = _OPTION_HEADER.unpack_from(data, offset)
        value = data[offset + 4 : offset + 4 + length]
        options.append(_option(code, value))
        offset += 4 + length
    return tuple(options)


def _option(code: int, value: bytes) -> EdnsOption:
    if code < 0:
        return EdnsOption(code, "TRUNCATED", value.hex(), "option header cut short")
    name = OPTION_NAMES.get(code, f"OPT{code}")
    decoder = _DECODERS.get(code)
    if decoder is not None:
        try:
            text, decoded = decoder(value)
        except (ValueError, IndexError, struct.error):
            return EdnsOption(code, name, value.hex(), f"malformed ({len(value)} octets)")
        return EdnsOption(code, name, value.hex(), text, decoded)
    return EdnsOption(code, name, value.hex(), None)


Decoded = tuple[str, dict[str, object]]


def _nsid(value: bytes) -> Decoded:
    # dig shows the octets in hex and, in quotes, as text ('.' for what is not printable).
    text = value.decode("utf-8", errors="surrogateescape")
    spaced = " ".join(f"{octet:02x}" for octet in value)
    shown = "".join(c if c.isprintable() and c.isascii() else "." for c in text)
    return f'{spaced} ("{shown}")', {"text": text}


def _subnet(value: bytes) -> Decoded:
    import ipaddress

    family, source, scope = struct.unpack_from("!HBB", value)
    address = value[4:]
    if family == 1:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(
            address.ljust(4, b"\x00")[:4]
        )
    elif family == 2:
        ip = ipaddress.IPv6Address(address.ljust(16, b"\x00")[:16])
    else:
        raise ValueError(f"address family {family}")
    fields = {"family": family, "address": str(ip), "source_prefix": source, "scope_prefix": scope}
    return f"{ip}/{source}/{scope}", fields


def _cookie(value: bytes) -> Decoded:
    client, server = value[:COOKIE_CLIENT_LENGTH], value[COOKIE_CLIENT_LENGTH:]
    if len(client) != COOKIE_CLIENT_LENGTH:
        raise ValueError("client cookie cut short")
    text = client.hex() + (f" {server.hex()}" if server else "")
    return text, {"client": client.hex(), "server": server.hex() or None}


def _padding(value: bytes) -> Decoded:
    return f"({len(value)} octets)", {"length": len(value)}


def _ede(value: bytes) -> Decoded:
    (info,) = struct.unpack_from("!H", value)
    name = EDE_NAMES.get(info, "Unassigned")
    extra = value[2:].decode("utf-8", errors="surrogateescape").rstrip("\x00")  # RFC 8914 section 2
    text = f"{info} ({name})" + (f": ({extra})" if extra else "")
    return text, {"info_code": info, "info_name": name, "extra_text": extra or None}


_DECODERS = {NSID: _nsid, CLIENT_SUBNET: _subnet, COOKIE: _cookie, PADDING: _padding, EDE: _ede}
