"""The system resolver: gethostbyname and gethostbyaddr (legacy), getaddrinfo and getnameinfo."""

import socket
from dataclasses import dataclass, field
from typing import Literal

from netkit.resolve.libcalls import EAI_NAMES, active
from netkit.resolve.names import InvalidNameError, host_name, parse_address

SockType = Literal["stream", "dgram", "raw", "any"]

SOCKTYPES: dict[str, int] = {
    "stream": socket.SOCK_STREAM,
    "dgram": socket.SOCK_DGRAM,
    "raw": socket.SOCK_RAW,
    "any": 0,
}
_SOCKTYPE_NAMES = {value: name for name, value in SOCKTYPES.items() if value}
# /etc/protocols names for what getaddrinfo hands back; Python has no getprotobynumber.
_PROTOCOL_NAMES = {0: "ip", 6: "tcp", 17: "udp", 33: "dccp", 132: "sctp", 136: "udplite"}
_FAMILY_NAMES: dict[int, str] = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}


@dataclass(frozen=True, slots=True)
class LegacyResult:
    """gethostbyname_ex / gethostbyaddr: the hostent fields, IPv4 only."""

    name: str  # as given
    ascii_name: str  # what the resolver was asked (IDNA 2008 A-labels, or the address)
    canonical: str | None
    aliases: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AddressInfo:
    """One struct addrinfo."""

    family: str  # "IPv4" / "IPv6"
    socktype: str  # "stream" / "dgram" / "raw"
    protocol: str  # "tcp" / "udp" / ... (a number when unnamed)
    address: str
    port: int
    flowinfo: int | None = None  # IPv6 only
    scope_id: int | None = None  # IPv6 only


@dataclass(frozen=True, slots=True)
class ModernResult:
    """getaddrinfo (forward) or getnameinfo (reverse, -x)."""

    name: str
    ascii_name: str
    canonical: str | None
    results: list[AddressInfo] = field(default_factory=list)
    service: str | None = None  # getnameinfo's service name for the port (-x --service)
    error: str | None = None


def _gai_message(name: str, error: socket.gaierror | socket.herror) -> str:
    code = error.errno if isinstance(error.errno, int) else None
    detail = error.strerror or str(error)
    constant = EAI_NAMES.get(code) if isinstance(error, socket.gaierror) and code else None
    return f"{name}: {detail}" + (f" ({constant})" if constant else "")


def legacy_lookup(text: str, *, reverse: bool = False) -> LegacyResult:
    """gethostbyname_ex(name), or gethostbyaddr(address) with reverse."""
    try:
        if reverse:
            asked = str(parse_address(text))
            canonical, aliases, addresses = active().gethostbyaddr(asked)
        else:
            name = host_name(text)
            asked = name.ascii
            canonical, aliases, addresses = active().gethostbyname_ex(asked)
    except InvalidNameError as error:
        return LegacyResult(text, text, None, error=str(error))
    except (socket.gaierror, socket.herror) as error:
        return LegacyResult(text, asked, None, error=_gai_message(text, error))
    except UnicodeError as error:  # the stdlib's idna codec on a name we let through
        return LegacyResult(text, text, None, error=f"{text}: {error}")
    return LegacyResult(text, asked, canonical, list(aliases), list(addresses))


def _address_info(
    family: int, socktype: int, proto: int, sockaddr: tuple[object, ...]
) -> AddressInfo:
    return AddressInfo(
        family=_FAMILY_NAMES.get(family, str(family)),
        socktype=_SOCKTYPE_NAMES.get(socktype, str(socktype)),
        protocol=_PROTOCOL_NAMES.get(proto, str(proto)),
        address=str(sockaddr[0]),
        port=int(str(sockaddr[1])),
        flowinfo=int(str(sockaddr[2])) if len(sockaddr) == 4 else None,
        scope_id=int(str(sockaddr[3])) if len(sockaddr) == 4 else None,
    )


def modern_lookup(
    text: str,
    *,
    family: int = socket.AF_UNSPEC,
    service: str | None = None,
    socktype: SockType = "stream",
    addrconfig: bool = False,
) -> ModernResult:
    """getaddrinfo(name, service, hints): the forward lookup of --modern."""
    try:
        name = host_name(text)
    except InvalidNameError as error:
        return ModernResult(text, text, None, error=str(error))
    flags = socket.AI_CANONNAME | (socket.AI_ADDRCONFIG if addrconfig else 0)
    try:
        infos = active().getaddrinfo(name.ascii, service, family, SOCKTYPES[socktype], 0, flags)
    except socket.gaierror as error:
        return ModernResult(text, name.ascii, None, error=_gai_message(text, error))
    except UnicodeError as error:
        return ModernResult(text, name.ascii, None, error=f"{text}: {error}")
    canonical = next((str(info[3]) for info in infos if info[3]), None)
    results = [_address_info(f, t, p, a) for f, t, p, _c, a in infos]
    return ModernResult(text, name.ascii, canonical, results)


def modern_reverse_lookup(
    text: str, *, service: str | None = None, socktype: SockType = "stream"
) -> ModernResult:
    """getnameinfo((address, port)): the reverse lookup of --modern (-x)."""
    try:
        address = parse_address(text)
    except InvalidNameError as error:
        return ModernResult(text, text, None, error=str(error))
    port = 0
    if service is not None:
        port = int(service) if service.isdigit() else socket.getservbyname(service)
    # NI_NAMEREQD: an address without a name is an error, not its own text echoed back.
    flags = socket.NI_NAMEREQD | (socket.NI_DGRAM if socktype == "dgram" else 0)
    scoped = text.strip() if "%" in text else str(address)
    sockaddr = (scoped, port) if address.version == 4 else (scoped, port, 0, 0)
    try:
        host, service_name = active().getnameinfo(sockaddr, flags)
    except socket.gaierror as error:
        return ModernResult(text, str(address), None, error=_gai_message(text, error))
    return ModernResult(
        text, str(address), host, service=service_name if service is not None else None
    )


def check_service(service: str, socktype: SockType) -> None:
    """Raise LookupError when a service name is not in /etc/services for the socket type."""
    if service.isdigit():
        if int(service) > 65535:
            raise LookupError(f"port {service} is out of range (0-65535)")
        return
    protocols = {"stream": ["tcp"], "dgram": ["udp"]}.get(socktype, ["tcp", "udp"])
    for protocol in protocols:
        try:
            socket.getservbyname(service, protocol)
            return
        except OSError:
            continue
    where = "/".join(protocols)
    raise LookupError(f"unknown service '{service}' (not in /etc/services for {where})")


HOSTS_FILE = "/etc/hosts"


def names_in_hosts_file(names: list[str], path: str | None = None) -> list[str]:
    """Those of names that hosts(5) lists (any case, a final dot ignored): the system
    resolver answers them from the file, before or instead of DNS."""
    wanted = {name.lower().removesuffix("."): name for name in names}
    found: list[str] = []
    try:
        with open(path or HOSTS_FILE, encoding="utf-8", errors="replace") as file:
            for line in file:
                for listed in line.split("#", 1)[0].split()[1:]:
                    name = wanted.pop(listed.lower().removesuffix("."), None)
                    if name is not None:
                        found.append(name)
    except OSError:
        return []
    return found
