"""A small DNS hierarchy for `netkit resolve --trace`: a root, a TLD and leaf zones, each NSD on
its own loopback address, all on one port.

    127.0.0.21  .               root; test. is delegated to ns1.test.
    127.0.0.22  test.           the TLD: delegations with glue, without glue, lame, upward
    127.0.0.23  example.test.   answers, a CNAME into far.test., a DNAME, a CNAME loop, hostile data
                lame.test.      (its other servers: 127.0.0.29 REFUSES, nothing listens on
                                127.0.0.30, and a socket on 127.0.0.31 takes queries and never
                                answers: the test must wait for its --timeout)
    127.0.0.24  other.test.     holds ns2.other.test., the glueless server of far.test.
                far.test.
    127.0.0.29  unrelated.      serves nothing on the way: REFUSED for lame.test.

up.test. is delegated to the root server: asked about it, the root refers back down to test.,
a referral that does not lead below up.test. (a delegation loop).
"""

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.resolve.nsd import running_nsd

ROOT, TLD, LEAF, OTHER, LAME, SILENT, MUTE = (
    "127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24", "127.0.0.29", "127.0.0.30",
    "127.0.0.31",
)  # fmt: skip

ROOT_ZONE = f"""\
$TTL 300
.            IN SOA  a.root.test. hostmaster.root.test. 1 3600 600 86400 300
.            IN NS   a.root.test.
test.        IN NS   ns1.test.
ns1.test.    IN A    {TLD}
a.root.test. IN A    {ROOT}
"""
TLD_ZONE = f"""\
$ORIGIN test.
$TTL 300
@            IN SOA  ns1 hostmaster 1 3600 600 86400 300
@            IN NS   ns1
ns1          IN A    {TLD}
a.root       IN A    {ROOT}
example      IN NS   ns.example
ns.example   IN A    {LEAF}
example      IN DS   12345 13 2 {"0123456789abcdef" * 4}
other        IN NS   ns1.other
ns1.other    IN A    {OTHER}
; far.test.'s server lives in other.test. and has no glue here: a nested trace finds it.
far          IN NS   ns2.other
lame         IN NS   bad.lame
lame         IN NS   silent.lame
lame         IN NS   good.lame
mute         IN NS   mute.mute
mute         IN NS   good.mute
mute.mute    IN A    {MUTE}
good.mute    IN A    {LEAF}
bad.lame     IN A    {LAME}
silent.lame  IN A    {SILENT}
good.lame    IN A    {LEAF}
up           IN NS   a.root
"""
EXAMPLE_ZONE = """\
$ORIGIN example.test.
$TTL 300
@            IN SOA  ns hostmaster 1 3600 600 86400 300
@            IN NS   ns
ns           IN A    127.0.0.23
www          IN A    192.0.2.1
www          IN A    192.0.2.11
alias        IN CNAME www.far.test.
old          IN DNAME far.test.
loop1        IN CNAME loop2
loop2        IN CNAME loop1
hostile      IN TXT  "[bold]x[/bold]" "\\027[31mred\\007"
evil\\027[31mname IN CNAME www
"""
LAME_ZONE = """\
$ORIGIN lame.test.
$TTL 300
@            IN SOA  good hostmaster 1 3600 600 86400 300
@            IN NS   bad
@            IN NS   silent
@            IN NS   good
bad          IN A    127.0.0.29
silent       IN A    127.0.0.30
good         IN A    127.0.0.23
www          IN A    192.0.2.3
"""
MUTE_ZONE = """\
$ORIGIN mute.test.
$TTL 300
@            IN SOA  good hostmaster 1 3600 600 86400 300
@            IN NS   mute
@            IN NS   good
mute         IN A    127.0.0.31
good         IN A    127.0.0.23
www          IN A    192.0.2.4
"""
OTHER_ZONE = f"""\
$ORIGIN other.test.
$TTL 300
@            IN SOA  ns1 hostmaster 1 3600 600 86400 300
@            IN NS   ns1
ns1          IN A    {OTHER}
ns2          IN A    {OTHER}
"""
FAR_ZONE = """\
$ORIGIN far.test.
$TTL 300
@            IN SOA  ns2.other.test. hostmaster 1 3600 600 86400 300
@            IN NS   ns2.other.test.
www          IN A    192.0.2.2
"""
UNRELATED_ZONE = """\
$ORIGIN unrelated.
$TTL 300
@            IN SOA  ns hostmaster 1 3600 600 86400 300
@            IN NS   ns
ns           IN A    127.0.0.29
"""
SERVERS = {
    ROOT: {".": ROOT_ZONE},
    TLD: {"test.": TLD_ZONE},
    LEAF: {"example.test.": EXAMPLE_ZONE, "lame.test.": LAME_ZONE, "mute.test.": MUTE_ZONE},
    OTHER: {"other.test.": OTHER_ZONE, "far.test.": FAR_ZONE},
    LAME: {"unrelated.": UNRELATED_ZONE},
}
HINTS = f"""\
; The root of the test hierarchy, in the root hints format (BIND's named.root).
.                        3600000      NS    a.root.test.
a.root.test.             3600000      A     {ROOT}
"""


@dataclass(frozen=True, slots=True)
class Hierarchy:
    port: int
    hints: Path  # the root hints file


def _free_everywhere(addresses: list[str]) -> int:
    """A port free for UDP and TCP on every one of addresses."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        if all(_free(address, port) for address in addresses):
            return port
    raise RuntimeError("no port free on every test address")


def _free(address: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                return False
    return True


@contextmanager
def running_hierarchy(nsd: str, directory: Path) -> Iterator[Hierarchy]:
    """Start the NSDs of the hierarchy on one free port; stop them all after."""
    port = _free_everywhere([*SERVERS, SILENT, MUTE])
    hints = directory / "root.hints"
    hints.write_text(HINTS)
    with ExitStack() as stack:
        mute = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        mute.bind((MUTE, port))
        for address, zones in SERVERS.items():
            place = directory / address
            place.mkdir()
            stack.enter_context(running_nsd(nsd, place, zones, address=address, port=port))
        yield Hierarchy(port, hints)
