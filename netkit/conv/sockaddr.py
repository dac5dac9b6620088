"""The bytes of a ``struct sockaddr_in``, ``sockaddr_in6`` or ``sockaddr_un``, as the kernel
reads them from bind(2) and connect(2), and the other way round.

Two layouts exist (the fields after the first two bytes are the same in both):
- Linux: ``sa_family_t`` is a 16-bit integer in host byte order at offset 0;
- the BSDs and macOS (4.3BSD-Reno onwards): a one-byte ``sin_len`` holding the structure's
  length, then a one-byte family.
The port, the IPv4 address, the IPv6 address and ``sin6_flowinfo`` are in network byte order
(RFC 3493 section 3.3: flowinfo is "in network byte order"); the family and ``sin6_scope_id``
are plain integers, in host byte order. ``sin_zero`` is padding that must be zero.

For ``sockaddr_un`` the length passed to bind(2) says where the path ends. unix(7) gives it for a
path as ``offsetof(struct sockaddr_un, sun_path) + strlen(sun_path) + 1`` (the terminating NUL
included) and for Linux's abstract namespace (``sun_path[0]`` NUL, then a name that is not
NUL-terminated) as ``sizeof(sa_family_t) + 1 + strlen(name)``.
"""

import _socket
import os
import struct
import sys
from dataclasses import dataclass
from typing import Literal

from netkit.conv.addresses import parse_network_text
from netkit.conv.byteorder import ConversionError, parse_unsigned

Endianness = Literal["host", "network"]


@dataclass(frozen=True, slots=True)
class Layout:
    """How this kernel lays out socket addresses."""

    name: str
    has_len: bool  # a leading sin_len / sin6_len / sun_len byte (the BSDs)
    af_inet: int
    af_inet6: int
    af_unix: int
    sun_path_size: int
    abstract_namespace: bool  # Linux's sun_path[0] == NUL names

    @property
    def family_type(self) -> str:
        return "sa_family_t (uint8_t)" if self.has_len else "sa_family_t (uint16_t)"


LINUX = Layout("Linux", has_len=False, af_inet=2, af_inet6=10, af_unix=1, sun_path_size=108,
               abstract_namespace=True)  # fmt: skip


def platform_layout() -> Layout:
    """The layout of the kernel netkit runs on, with its own family numbers."""
    system: str = sys.platform  # a plain string: mypy would narrow sys.platform to this host's
    if system.startswith("linux"):
        return LINUX
    return Layout(
        "BSD (sin_len)",
        has_len=True,
        af_inet=_socket.AF_INET,
        af_inet6=_socket.AF_INET6,
        af_unix=_socket.AF_UNIX,
        sun_path_size=104,
        abstract_namespace=False,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SockaddrField:
    """One field of the structure (or its padding) and the bytes it holds."""

    name: str | None = None
    c_type: str | None = None
    offset: int | None = None
    size: int | None = None
    byte_order: Endianness | None = None  # None for bytes that have no order (paths, padding)
    value: str | None = None  # what the bytes mean, e.g. "AF_INET (2)", "8080"
    bytes: str | None = None  # hex, a space between bytes
    padding: bool | None = None  # bytes that carry nothing and must be zero


@dataclass(frozen=True, slots=True, kw_only=True)
class SockaddrResult:
    """A whole socket address structure, field by field, and what the calls take."""

    input: str
    layout: str | None = None  # "Linux" or "BSD (sin_len)"
    struct: str | None = None  # "sockaddr_in", "sockaddr_in6" or "sockaddr_un"
    family: str | None = None  # AF_INET, AF_INET6 or AF_UNIX
    size: int | None = None  # sizeof(struct ...)
    socklen: int | None = None  # the socklen_t that bind(2) and connect(2) take
    hex: str | None = None  # the whole structure (sizeof bytes), no separators
    fields: tuple[SockaddrField, ...] | None = None
    error: str | None = None


class _Builder:
    """Appends fields and their bytes; offsets follow from what came before."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.data = bytearray()
        self.fields: list[SockaddrField] = []

    def add(
        self,
        name: str,
        c_type: str,
        raw: bytes,
        value: str,
        order: Endianness | None = None,
        *,
        padding: bool = False,
    ) -> None:
        self.fields.append(
            SockaddrField(
                name=name,
                c_type=c_type,
                offset=len(self.data),
                size=len(raw),
                byte_order=order,
                value=value,
                bytes=raw.hex(" "),
                padding=padding,
            )
        )
        self.data += raw

    def head(self, prefix: str, family_name: str, family: int, size: int) -> None:
        """The length byte (BSD) and the family, in host byte order."""
        if self.layout.has_len:
            self.add(f"{prefix}_len", "uint8_t", bytes([size]), str(size))
            self.add(f"{prefix}_family", self.layout.family_type, bytes([family]),
                     f"{family_name} ({family})")  # fmt: skip
        else:
            self.add(f"{prefix}_family", self.layout.family_type, struct.pack("=H", family),
                     f"{family_name} ({family})", "host")  # fmt: skip

    def result(self, text: str, struct_name: str, family: str, socklen: int) -> SockaddrResult:
        return SockaddrResult(
            input=text,
            layout=self.layout.name,
            struct=struct_name,
            family=family,
            size=len(self.data),
            socklen=socklen,
            hex=self.data.hex(),
            fields=tuple(self.fields),
        )


def sockaddr_in(text: str, address: bytes, port: int, layout: Layout) -> SockaddrResult:
    build = _Builder(layout)
    build.head("sin", "AF_INET", layout.af_inet, 16)
    build.add("sin_port", "in_port_t (uint16_t)", struct.pack("!H", port), str(port), "network")
    build.add("sin_addr", "struct in_addr", address,
              _socket.inet_ntop(_socket.AF_INET, address), "network")  # fmt: skip
    build.add("sin_zero", "unsigned char[8]", bytes(8), "padding, zero", padding=True)
    return build.result(text, "sockaddr_in", "AF_INET", 16)


def sockaddr_in6(
    text: str, address: bytes, port: int, *, flowinfo: int, scope_id: int, layout: Layout
) -> SockaddrResult:
    build = _Builder(layout)
    build.head("sin6", "AF_INET6", layout.af_inet6, 28)
    build.add("sin6_port", "in_port_t (uint16_t)", struct.pack("!H", port), str(port), "network")
    build.add("sin6_flowinfo", "uint32_t", struct.pack("!I", flowinfo), hex(flowinfo), "network")
    build.add("sin6_addr", "struct in6_addr", address,
              _socket.inet_ntop(_socket.AF_INET6, address), "network")  # fmt: skip
    build.add("sin6_scope_id", "uint32_t", struct.pack("=I", scope_id), str(scope_id), "host")
    return build.result(text, "sockaddr_in6", "AF_INET6", 28)


def sockaddr_un(text: str, path: bytes, abstract: bool, layout: Layout) -> SockaddrResult:
    """A path, or (Linux) an abstract name: ``path`` without the leading NUL."""
    size = 2 + layout.sun_path_size
    room = layout.sun_path_size - 1  # the NUL that ends a path, or that starts an abstract name
    if abstract and not layout.abstract_namespace:
        raise ConversionError(f"{layout.name} has no abstract namespace: {text!r}")
    if len(path) > room:
        raise ConversionError(f"{text!r} is {len(path)} bytes; sun_path holds {room} and a NUL")
    if not path and not abstract:
        raise ConversionError("an empty path names no socket")
    if b"\0" in path and not abstract:  # an abstract name may hold NULs: its length ends it
        raise ConversionError(f"{text!r} holds a NUL byte")
    build = _Builder(layout)
    shown = os.fsdecode(path)
    if abstract:
        socklen = 2 + 1 + len(path)  # unix(7): no terminating NUL
        build.head("sun", "AF_UNIX", layout.af_unix, socklen)
        build.add("sun_path[0]", "char", b"\0", "NUL: an abstract name follows")
        build.add(f"sun_path[1..{len(path)}]", f"char[{len(path)}]", path, "@" + shown)
    else:
        socklen = 2 + len(path) + 1  # unix(7): offsetof(sun_path) + strlen + 1
        # SUN_LEN() on the BSDs leaves the NUL out of sun_len; the kernel accepts either.
        build.head("sun", "AF_UNIX", layout.af_unix, socklen - 1 if layout.has_len else socklen)
        build.add(f"sun_path[0..{len(path)}]", f"char[{len(path) + 1}]", path + b"\0",
                  shown + " (NUL-terminated)")  # fmt: skip
    rest = size - len(build.data)
    if rest:
        build.add("rest of sun_path", f"char[{rest}]", bytes(rest), "unused, zero", padding=True)
    return build.result(text, "sockaddr_un", "AF_UNIX", socklen)


def _scope(text: str | None) -> int:
    """A scope id as a number or an interface name (if_nametoindex(3))."""
    if text is None:
        return 0
    if text.isascii() and text.isdecimal():
        return parse_unsigned(text, 32)
    try:
        return int(_socket.if_nametoindex(text))
    except OSError:
        raise ConversionError(f"no interface named {text!r} for the scope id") from None


def encode(
    text: str,
    port: str | None = None,
    *,
    flowinfo: str | None = None,
    scope_id: str | None = None,
    layout: Layout | None = None,
) -> SockaddrResult:
    """The structure for an IPv4 or IPv6 address and port, a Unix path (it has a '/') or an
    abstract name (@name). Refused inputs raise ConversionError."""
    kit = layout or platform_layout()
    if "/" in text and _is_address(text.partition("/")[0]):
        raise ConversionError(f"{text!r} is a network; for a Unix socket path write ./{text}")
    if text.startswith("@") or "/" in text:
        if port is not None or flowinfo is not None or scope_id is not None:
            raise ConversionError("a Unix socket address has no port, flowinfo or scope id")
        abstract = text.startswith("@")
        return sockaddr_un(text, os.fsencode(text[1:] if abstract else text), abstract, kit)
    address, _, zone = text.partition("%")
    try:
        family, value, prefix = parse_network_text(address)
    except ConversionError as error:
        raise ConversionError(f"{error} (a Unix socket path needs a '/': ./name)") from None
    if prefix is not None:
        raise ConversionError(f"{text!r} is a network; a socket address is one address")
    number = 0 if port is None else parse_unsigned(port, 16)
    if family == "IPv4":
        if flowinfo is not None or scope_id is not None or zone:
            raise ConversionError("flowinfo and the scope id are IPv6 fields")
        return sockaddr_in(text, value.to_bytes(4, "big"), number, kit)
    if zone and scope_id is not None:
        raise ConversionError(f"{text!r} names its scope already: drop --scope-id")
    return sockaddr_in6(
        text,
        value.to_bytes(16, "big"),
        number,
        flowinfo=0 if flowinfo is None else parse_unsigned(flowinfo, 32),
        scope_id=_scope(zone or scope_id),
        layout=kit,
    )


def _is_address(text: str) -> bool:
    try:
        parse_network_text(text)
    except ConversionError:
        return False
    return True


def parse_hex(text: str) -> bytes:
    """Bytes written as hex: ``02001f90...``, with spaces, colons or ``\\x`` escapes."""
    digits = text.strip().lower().replace("\\x", "").removeprefix("0x")
    for separator in (" ", ":", "-", "\t", "\n"):
        digits = digits.replace(separator, "")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise ConversionError(f"{text!r} is not hex bytes") from None


def decode(text: str, *, layout: Layout | None = None) -> SockaddrResult:
    """The structure given as hex (as a capture or a debugger shows it), read field by field.
    Its length is taken as the socklen_t: a sockaddr_un may stop where its name ends."""
    kit = layout or platform_layout()
    data = parse_hex(text)
    if len(data) < 2:
        raise ConversionError(f"{text!r} is {len(data)} bytes; the family alone takes 2")
    family = data[1] if kit.has_len else struct.unpack("=H", data[:2])[0]
    if family == kit.af_inet:
        _need(data, 16, "sockaddr_in")
        port = struct.unpack("!H", data[2:4])[0]
        return sockaddr_in(text, data[4:8], port, kit)
    if family == kit.af_inet6:
        _need(data, 28, "sockaddr_in6")
        port, flowinfo = struct.unpack("!HI", data[2:8])
        scope_id = struct.unpack("=I", data[24:28])[0]
        return sockaddr_in6(
            text, data[8:24], port, flowinfo=flowinfo, scope_id=scope_id, layout=kit
        )
    if family == kit.af_unix:
        path = data[2 : 2 + kit.sun_path_size]
        if kit.abstract_namespace and path[:1] == b"\0" and len(path) > 1:
            # The name is every byte up to the length given: NULs in it are part of it.
            name = path[1:].rstrip(b"\0") if len(data) == 2 + kit.sun_path_size else path[1:]
            return sockaddr_un(text, name, True, kit)
        return sockaddr_un(text, path.split(b"\0", 1)[0], False, kit)
    raise ConversionError(
        f"family {family} (bytes {data[:2].hex(' ')}) is not AF_INET ({kit.af_inet}), AF_INET6 "
        f"({kit.af_inet6}) or AF_UNIX ({kit.af_unix}) in the {kit.name} layout"
    )


def _need(data: bytes, size: int, name: str) -> None:
    if len(data) < size:
        raise ConversionError(f"{len(data)} bytes is too short for a {name} ({size} bytes)")
