"""--allow/--deny: which peers may connect, decided once per connection (or datagram)."""

import ipaddress
from dataclasses import dataclass

from netkit.listen.config import Network


def parse_network(text: str) -> Network:
    """A CIDR or a bare address (a /32 or /128); host bits set are tolerated, as in iptables."""
    return ipaddress.ip_network(text.strip(), strict=False)


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Deny wins over allow; with any --allow given, everything else is denied."""

    allow: tuple[Network, ...] = ()
    deny: tuple[Network, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.allow or self.deny)

    def refusal(self, host: str) -> str | None:
        """Why ``host`` is refused, or None when it may connect."""
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return None  # not an IP peer (Unix sockets): the access list does not apply
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:10.0.0.1 on a dual-stack socket is 10.0.0.1
        for network in self.deny:
            if address.version == network.version and address in network:
                return f"denied by --deny {network}"
        if self.allow and not any(
            address.version == network.version and address in network for network in self.allow
        ):
            return "not in any --allow network"
        return None
