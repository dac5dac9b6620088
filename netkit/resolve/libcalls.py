"""The C library calls of resolve --legacy and --modern, made through one object so that
--explain can narrate them (netkit.sockcalls does the same for sockets).

``ResolverCalls`` calls the socket module directly. ``NarratedResolverCalls`` makes the same call
and narrates the C calls CPython makes for it, with their arguments and results:

- socket.gethostbyname_ex(name) is getaddrinfo(name, NULL, {ai_family=AF_INET}) first (CPython's
  setipaddr() checks the name; a numeric IPv4 address is parsed with inet_pton() instead), then
  gethostbyname_r(), the thread-safe gethostbyname(), whose struct hostent becomes the result;
- socket.gethostbyaddr(address) is gethostbyaddr_r() of the parsed address;
- socket.getaddrinfo() is one getaddrinfo(), its list of struct addrinfo the result;
- socket.getnameinfo() is getaddrinfo(address, port, {AI_NUMERICHOST}) to parse the address,
  then getnameinfo().

When the first of two calls fails, CPython raises before the second: the narration ends there
too. These are library calls, not system calls: strace cannot see them (ltrace could).

The CLI picks the calls once with ``use()``; the lookups in netkit.resolve.system ask ``active()``.
"""

import ipaddress
import socket
from typing import Any

from netkit.sockcalls import Narrator, sockaddr

# getaddrinfo's EAI_* codes by number, so an error names the constant a C programmer knows.
EAI_NAMES = {
    getattr(socket, name): name
    for name in (
        "EAI_NONAME",
        "EAI_AGAIN",
        "EAI_FAIL",
        "EAI_FAMILY",
        "EAI_SERVICE",
        "EAI_SOCKTYPE",
        "EAI_NODATA",
        "EAI_ADDRFAMILY",
        "EAI_MEMORY",
        "EAI_SYSTEM",
    )
    if hasattr(socket, name)
}
_H_ERRNO = {1: "HOST_NOT_FOUND", 2: "TRY_AGAIN", 3: "NO_RECOVERY", 4: "NO_DATA"}
_FAMILIES: dict[int, str] = {
    socket.AF_INET: "AF_INET",
    socket.AF_INET6: "AF_INET6",
    socket.AF_UNSPEC: "AF_UNSPEC",
}
_TYPES: dict[int, str] = {socket.SOCK_STREAM: "SOCK_STREAM", socket.SOCK_DGRAM: "SOCK_DGRAM",
          socket.SOCK_RAW: "SOCK_RAW", 0: "0"}  # fmt: skip
_PROTOCOLS = {0: "0", socket.IPPROTO_TCP: "IPPROTO_TCP", socket.IPPROTO_UDP: "IPPROTO_UDP"}
_AI_FLAGS = (("AI_PASSIVE", socket.AI_PASSIVE), ("AI_CANONNAME", socket.AI_CANONNAME),
             ("AI_NUMERICHOST", socket.AI_NUMERICHOST), ("AI_ADDRCONFIG", socket.AI_ADDRCONFIG),
             ("AI_NUMERICSERV", socket.AI_NUMERICSERV))  # fmt: skip
_NI_FLAGS = (("NI_NAMEREQD", socket.NI_NAMEREQD), ("NI_DGRAM", socket.NI_DGRAM),
             ("NI_NUMERICHOST", socket.NI_NUMERICHOST))  # fmt: skip


class ResolverCalls:
    """The calls, made directly."""

    def gethostbyname_ex(self, name: str) -> tuple[str, list[str], list[str]]:
        return socket.gethostbyname_ex(name)

    def gethostbyaddr(self, address: str) -> tuple[str, list[str], list[str]]:
        return socket.gethostbyaddr(address)

    def getaddrinfo(  # getaddrinfo's own arguments
        self, host: str, port: str | None, family: int, kind: int, proto: int, flags: int
    ) -> list[Any]:
        return socket.getaddrinfo(host, port, family, kind, proto, flags)

    def getnameinfo(self, address: tuple[Any, ...], flags: int) -> tuple[str, str]:
        return socket.getnameinfo(address, flags)


_active: ResolverCalls = ResolverCalls()


def active() -> ResolverCalls:
    """The calls the system resolver lookups make (narrated under --explain)."""
    return _active


def use(calls: ResolverCalls) -> None:
    global _active  # one choice per process, made by the CLI before any lookup
    _active = calls


def _string(value: str | None) -> str:
    if value is None:
        return "NULL"
    from netkit.showc.cstring import c_string

    return c_string(value)


def _flags(value: int, names: tuple[tuple[str, int], ...]) -> str:
    return "|".join(name for name, bit in names if value & bit) or "0"


def _hints(family: int, kind: int, proto: int, flags: int) -> str:
    parts = [f"ai_flags={_flags(flags, _AI_FLAGS)}"] if flags else []
    parts.append(f"ai_family={_FAMILIES.get(family, str(family))}")
    parts += [f"ai_socktype={_TYPES.get(kind, str(kind))}"] if kind else []
    parts += [f"ai_protocol={_PROTOCOLS.get(proto, str(proto))}"] if proto else []
    return "{" + ", ".join(parts) + "}"


def _addrinfo(info: Any) -> str:
    family, kind, proto, canonical, address = info
    shown = [f"ai_family={_FAMILIES.get(family, str(family))}",
             f"ai_socktype={_TYPES.get(kind, str(kind))}",
             f"ai_protocol={_PROTOCOLS.get(proto, str(proto))}",
             f"ai_addr={sockaddr(address, family)[0]}"]  # fmt: skip
    if canonical:
        shown.append(f"ai_canonname={_string(canonical)}")
    return "{" + ", ".join(shown) + "}"


def _hostent(canonical: str, aliases: list[str], addresses: list[str]) -> str:
    alias_list = ", ".join(_string(alias) for alias in aliases)
    return (f"{{h_name={_string(canonical)}, h_aliases=[{alias_list}], h_addrtype=AF_INET, "
            f"h_addr_list=[{', '.join(addresses)}]}}")  # fmt: skip


def _is_numeric(name: str, version: int | None = None) -> bool:
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return version is None or address.version == version


class NarratedResolverCalls(ResolverCalls):
    """The same calls, narrated to ``narrator``."""

    def __init__(self, narrator: Narrator) -> None:
        self.narrator = narrator

    def _lookup_with_check(
        self, call: str, name: str, run: Any
    ) -> tuple[str, list[str], list[str]]:
        """gethostbyname_ex and gethostbyaddr: CPython's address check, then the call."""
        check = (_string(name), "NULL", "{ai_family=AF_INET}", "&res")
        numeric = _is_numeric(name, 4) if call == "gethostbyname_r" else _is_numeric(name)
        try:
            canonical, aliases, addresses = run(name)
        except socket.gaierror as error:
            if not numeric:
                self._failed("getaddrinfo", check, error, eai=True)
            raise
        except socket.herror as error:
            if not numeric and call == "gethostbyname_r":
                self.narrator.record("getaddrinfo", check, 0, meaning="the name checks out")
            self._failed(call, (_string(name), "&ret"), error, eai=False)
            raise
        if not numeric and call == "gethostbyname_r":
            self.narrator.record("getaddrinfo", check, 0, meaning="the name checks out")
        hostent = _hostent(canonical, aliases, addresses)
        count = f"{len(addresses)} address" + ("es" if len(addresses) != 1 else "")
        self.narrator.record(call, (_string(name), hostent), 0, meaning=count)
        return canonical, aliases, addresses

    def _failed(self, call: str, args: tuple[str, ...], error: OSError, *, eai: bool) -> None:
        code = error.errno if isinstance(error.errno, int) else None
        if eai:
            name = EAI_NAMES.get(code or 0, str(code))
            self.narrator.record(call, args, code, meaning=error.strerror, code_name=name)
        else:  # the return value is not seen: Python reports h_errno only
            name = _H_ERRNO.get(code or 0, str(code))
            meaning = f"*result = NULL: {error.strerror}"
            self.narrator.record(call, args, None, meaning=meaning, code_name=name)

    def gethostbyname_ex(self, name: str) -> tuple[str, list[str], list[str]]:
        return self._lookup_with_check("gethostbyname_r", name, socket.gethostbyname_ex)

    def gethostbyaddr(self, address: str) -> tuple[str, list[str], list[str]]:
        return self._lookup_with_check("gethostbyaddr_r", address, socket.gethostbyaddr)

    def getaddrinfo(  # getaddrinfo's own arguments
        self, host: str, port: str | None, family: int, kind: int, proto: int, flags: int
    ) -> list[Any]:
        args = (_string(host), _string(port), _hints(family, kind, proto, flags))
        try:
            infos = super().getaddrinfo(host, port, family, kind, proto, flags)
        except socket.gaierror as error:
            self._failed("getaddrinfo", (*args, "&res"), error, eai=True)
            raise
        listed = "[" + ", ".join(_addrinfo(info) for info in infos) + "]"
        count = f"{len(infos)} struct addrinfo" + ("s" if len(infos) != 1 else "")
        self.narrator.record("getaddrinfo", (*args, listed), 0, meaning=count)
        return infos

    def getnameinfo(self, address: tuple[Any, ...], flags: int) -> tuple[str, str]:
        host, port = str(address[0]), str(address[1])
        check = (_string(host), _string(port),
                 "{ai_flags=AI_NUMERICHOST, ai_family=AF_UNSPEC, ai_socktype=SOCK_DGRAM}",
                 "&res")  # fmt: skip
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        shown = sockaddr(address, family)[0]
        args = (shown, "&host", "&serv", _flags(flags, _NI_FLAGS))
        try:
            name, service = socket.getnameinfo(address, flags)
        except socket.gaierror as error:
            self.narrator.record("getaddrinfo", check, 0, meaning="the address parses")
            self._failed("getnameinfo", args, error, eai=True)
            raise
        self.narrator.record("getaddrinfo", check, 0, meaning="the address parses")
        result = (shown, _string(name), _string(service), _flags(flags, _NI_FLAGS))
        self.narrator.record("getnameinfo", result, 0)
        return name, service
