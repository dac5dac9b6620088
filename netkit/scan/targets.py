"""What a scan covers: port lists and ranges, hosts and CIDR blocks, and the size limit.

Kept apart from the engine so that `netkit connect -z HOST 20-30` can recognise a port list
without loading it.
"""

import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from netkit.errors import NetkitError, NetkitUsageError

TARGET_LIMIT = 65536  # host-port pairs scanned without --force
_PORTS = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


@dataclass(frozen=True, slots=True)
class Host:
    """A host to scan: the name as given (or the CIDR block it came from) and one address."""

    name: str
    address: str
    family: int


def looks_like_port_list(text: str) -> bool:
    """22,80 or 8000-8100: more than one port (connect -z then scans)."""
    return bool(_PORTS.match(text)) and ("," in text or "-" in text)


def parse_ports(text: str) -> tuple[int, ...]:
    """22,80,443,8000-8100 as sorted, distinct ports."""
    if not _PORTS.match(text.replace(" ", "")):
        raise NetkitUsageError(f"{text!r} is not a list of ports and ranges like 22,80,8000-8100")
    ports: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 65535:
            raise NetkitUsageError(f"{part} is not a port or range within 1-65535")
        ports.update(range(first, last + 1))
    return tuple(sorted(ports))


def resolve_hosts(specs: Sequence[str], family: int) -> list[Host]:
    """Names, addresses and CIDR blocks (10.0.0.0/30) as the hosts to scan, in order."""
    hosts: list[Host] = []
    for spec in specs:
        if "/" in spec:
            import ipaddress

            try:
                network = ipaddress.ip_network(spec, strict=False)
            except ValueError:
                raise NetkitUsageError(f"{spec!r} is not a CIDR block") from None
            kind = socket.AF_INET6 if network.version == 6 else socket.AF_INET
            if family not in (socket.AF_UNSPEC, kind):
                raise NetkitUsageError(f"{spec} is not of the address family asked for")
            if network.num_addresses > TARGET_LIMIT * 16:
                raise NetkitUsageError(f"{spec} has {network.num_addresses} addresses: too many")
            hosts += [Host(spec, str(address), kind) for address in network.hosts()]
            continue
        if spec.isdigit():  # nmap's `HOST 22 80`: getaddrinfo would scan 0.0.0.22
            raise NetkitUsageError(
                f"{spec!r} is a number, not a host: give the ports as one argument after the "
                "hosts, e.g. 22,80"
            )
        name = spec[1:-1] if spec.startswith("[") and spec.endswith("]") else spec
        try:
            infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise NetkitError(f"cannot resolve {spec}: {error.strerror}") from None
        except UnicodeError:
            raise NetkitError(f"cannot resolve {spec}: not a valid host name") from None
        kind, _, _, _, address = infos[0]
        hosts.append(Host(spec, str(address[0]), kind))
    return hosts


def check_size(hosts: Sequence[Host], ports: Sequence[int], force: bool) -> None:
    count = len(hosts) * len(ports)
    if count > TARGET_LIMIT and not force:
        raise NetkitUsageError(
            f"{count} host-port pairs is more than {TARGET_LIMIT}: narrow the scan, or --force"
        )
