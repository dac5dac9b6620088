"""Byte order: htons/ntohs and htonl/ntohl on this host, and the C-style unsigned literals
the commands read.

A pure function: it takes one user input and returns a frozen result with ``error`` set instead
of raising, so a batch can report every input in order.
"""

# The C extension behind socket.py: the C library's own htons/htonl, without socket.py's enum
# set-up, which would add milliseconds to every `netkit conv` start.
import _socket
import sys
from dataclasses import dataclass
from typing import Literal

HOST_BYTE_ORDER = f"{sys.byteorder}-endian"


class ConversionError(ValueError):
    """An input that cannot be converted; the message names what was wrong."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ByteOrderResult:
    """One htons/ntohs (16 bits) or htonl/ntohl (32 bits) conversion on this host.

    A failed conversion keeps what the command knows (input, bits, function, byteorder) and
    leaves the converted values None.
    """

    input: str
    bits: int
    function: str  # the C call this stands for: htons, ntohs, htonl or ntohl
    host: int | None = None  # the value in host byte order
    network: int | None = None  # what htons/htonl returns: the network-order bytes as an int
    host_hex: str | None = None
    network_hex: str | None = None
    wire: str | None = None  # the bytes as they travel on the wire, in hex
    byteorder: str = HOST_BYTE_ORDER  # this host's byte order: "little-endian" or "big-endian"
    ipv4: str | None = None  # for 32 bits: the dotted quad the host value stands for
    error: str | None = None


def parse_unsigned(text: str, bits: int) -> int:
    """Parse a C-style unsigned literal (decimal, 0x, 0o or 0b) that must fit in ``bits``."""
    literal = text.strip().lower()
    if not literal or not literal.isascii():
        raise ConversionError(f"{text!r} is not a number")
    if literal[0] in "+-":
        raise ConversionError(f"{text!r} is not an unsigned number")
    if "_" in literal:  # int() takes 1_000; C and the usage text do not
        raise ConversionError(f"{text!r} is not a number (no '_' separators)")
    if literal[0] == "0" and literal[1:2].isdecimal() and literal.strip("0"):
        # C would read 010 as octal 8, Python refuses it: say which one to write.
        raise ConversionError(
            f"{text!r} has a leading zero: write {literal.lstrip('0')} for decimal, or use 0o "
            "for octal"
        )
    try:
        value = int(literal, 0)
    except ValueError:
        raise ConversionError(
            f"{text!r} is not a number (use decimal, 0x hex, 0o octal or 0b binary)"
        ) from None
    if value >= 1 << bits:
        raise ConversionError(f"{text!r} is out of range for {bits} bits (0..{(1 << bits) - 1})")
    return value


def convert_byte_order(
    text: str, bits: Literal[16, 32], *, to_host: bool = False
) -> ByteOrderResult:
    """htons/htonl of ``text``, or ntohs/ntohl when ``to_host`` (the input is in network order)."""
    swap = _socket.htons if bits == 16 else _socket.htonl
    name = ("ntoh" if to_host else "hton") + ("s" if bits == 16 else "l")
    try:
        value = parse_unsigned(text, bits)
    except ConversionError as error:
        return ByteOrderResult(input=text, bits=bits, function=name, error=str(error))
    # The swap is its own inverse, so ntoh is the same call read the other way round.
    host, network = (swap(value), value) if to_host else (value, swap(value))
    return ByteOrderResult(
        input=text,
        bits=bits,
        function=name,
        host=host,
        network=network,
        host_hex=hex(host),
        network_hex=hex(network),
        wire=host.to_bytes(bits // 8, "big").hex(" "),
        ipv4=_socket.inet_ntop(_socket.AF_INET, host.to_bytes(4, "big")) if bits == 32 else None,
    )
