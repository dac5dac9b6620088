"""Iterative resolution from the root, step by step: `netkit resolve --trace`, dig +trace explained.

A resolver starts from the root hints and asks, without recursion (RD=0), one server of the
closest zone it knows. The reply is either the authoritative answer (AA=1: the records, a
CNAME or DNAME to follow, NXDOMAIN or NODATA) or a referral to a zone below (the child's NS
set in the authority section, with glue addresses in the additional section for the servers
named inside the zone that was asked: RFC 1034 section 4.3.2, RFC 9471). Anything else comes
from a lame server, one that the parent names but that does not serve the zone (REFUSED, no
AA and no referral, a referral that does not lead down), and the next server of the set is
asked instead.

The root servers are the built-in hints, a hints file, or those a server names when asked
". NS" with recursion (dig +trace @SERVER): that question, and the address of a root server
it names without one, are steps of the trace too.

A CNAME or DNAME target is traced again from the root (the target may live in any zone, and
a walk from the root shows where). A referral without usable glue makes the tracer look up
the server's address with a nested trace of its own. Every walk is bounded: referrals only
go down (so a walk ends within the name's labels), chains and nesting are limited, and the
whole trace has a budget of steps and seconds.

The tracer never prints: it yields events (a trace starts, a step is done, a trace ends) for
the CLI to render as they come, and the last event is the top trace with every step in it.
"""

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import dns.name

from netkit.resolve.engine import QueryEngine
from netkit.resolve.inflight import Exchange, RetryPolicy, Server
from netkit.resolve.names import host_name, reverse_name
from netkit.resolve.wire import (
    Record,
    Reply,
    build_query,
    name_to_wire,
    spelled_as_presented,
    type_value,
)

# What a step found. The first six end a walk or move it on; lame and failed make the tracer
# ask the next server of the same set.
# "roots" is the step before the walk with @SERVER: the root servers (or an address of one) as
# SERVER said, asked with recursion as dig +trace @SERVER asks.
Outcome = Literal[
    "referral", "answer", "cname", "dname", "nxdomain", "nodata", "lame", "failed", "roots"
]
Status = Literal["answer", "NXDOMAIN", "NODATA", "failed"]

# The root servers (https://www.iana.org/domains/root/servers, named.root of 2024): used when
# no --hints file is given.
ROOT_SERVERS = (
    ("a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"),
    ("b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"),
    ("c.root-servers.net.", "192.33.4.12", "2001:500:2::c"),
    ("d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"),
    ("e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"),
    ("f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"),
    ("g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"),
    ("h.root-servers.net.", "198.97.190.53", "2001:500:1::53"),
    ("i.root-servers.net.", "192.36.148.17", "2001:7fe::53"),
    ("j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"),
    ("k.root-servers.net.", "193.0.14.129", "2001:7fd::1"),
    ("l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"),
    ("m.root-servers.net.", "202.12.27.33", "2001:dc3::35"),
)

# A CNAME/DNAME chain longer than this is given up on, as BIND gives up after 16 restarts.
MAX_CHAIN = 16


@dataclass(frozen=True, slots=True)
class NameServer:
    """A server of a zone: its name and the addresses known for it (glue or hints)."""

    name: str
    addresses: tuple[str, ...] = ()


def root_hints() -> tuple[NameServer, ...]:
    return tuple(NameServer(name, (v4, v6)) for name, v4, v6 in ROOT_SERVERS)


def parse_hints(text: str) -> tuple[NameServer, ...]:
    """The root servers of a root hints file (BIND's named.root, Unbound's root.hints): the NS
    records of '.' and the A/AAAA records of their names. ValueError when it has none."""
    import dns.exception
    import dns.rdatatype
    import dns.zone

    try:
        zone = dns.zone.from_text(text, origin=dns.name.root, relativize=False, check_origin=False)
    except (dns.exception.DNSException, ValueError) as error:
        raise ValueError(f"not a root hints file: {error}") from None
    ns_set = zone.get_rdataset(dns.name.root, dns.rdatatype.NS)
    if ns_set is None:
        raise ValueError("no NS records for '.' in the root hints")
    servers = []
    for ns in ns_set:
        target = ns.target
        addresses = [
            rdata.address
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
            for rdata in zone.get_rdataset(target, rdtype) or ()
        ]
        servers.append(NameServer(target.to_text(), tuple(addresses)))
    if not any(server.addresses for server in servers):
        raise ValueError("no addresses (A/AAAA) for the root servers in the root hints")
    return tuple(servers)


@dataclass(frozen=True, slots=True)
class TraceSettings:
    """How to ask each server, and the bounds of the whole trace."""

    port: int = 53
    tcp: bool = False
    timeout: float = 2.0
    tries: int = 1  # per server address, before the next one is asked
    family: Literal["4", "6"] | None = None  # -4/-6: the addresses of servers that are used
    dnssec: bool = False
    max_nesting: int = 4  # nested traces (for glueless servers) within nested traces
    max_steps: int = 100  # queries in all, nested traces included
    max_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class Referral:
    """A delegation to a child zone: its servers, their glue and (with --dnssec) its DS set."""

    zone: str
    servers: list[str]
    glue: list[Record]
    # --dnssec: the DS records ([] when there are none); None without --dnssec, or when the
    # parent's server would not say.
    ds: list[Record] | None


@dataclass(frozen=True, slots=True)
class TraceStart:
    """A trace begins: the top one, or a nested one for a glueless server's address."""

    depth: int
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One query to one server and what its reply means, in the field names --json shows."""

    depth: int  # 0 for the top trace, 1 for a nested one, ...
    zone: str  # the zone whose server was asked
    qname: str
    type: str
    server: str  # the server's name (NS target)
    address: str
    port: int
    transport: str
    rtt_ms: float | None
    rcode: str | None  # None when no reply came
    flags: tuple[str, ...]
    outcome: Outcome
    referral: Referral | None = None
    answers: list[Record] = field(default_factory=list)  # records of the answer that count
    authority: list[Record] = field(default_factory=list)  # the SOA of NXDOMAIN and NODATA
    target: str | None = None  # where a CNAME or DNAME leads: the name traced next
    error: str | None = None  # why the reply was of no use (lame, failed)
    # Traces that found the addresses of this referral's servers that came without glue.
    nested: list["Trace"] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Trace:
    """A whole trace: the name asked, how it ended, the final records, and every step."""

    depth: int
    name: str
    type: str
    status: Status
    answers: list[Record]  # the chain of CNAME/DNAME records, then the records asked for
    error: str | None
    steps: list[TraceStep]


Event = TraceStart | TraceStep | Trace


class TraceError(Exception):
    """A walk that cannot go on (every server of a zone lame, a CNAME loop, ...)."""


class TraceBudgetError(TraceError):
    """The trace's budget (steps, seconds, nesting) is spent: every level stops."""


def trace_name(name: str, *, reverse: bool = False) -> str:
    """The absolute query name of what the user typed (IDNA A-labels; PTR name with -x)."""
    if reverse:
        return reverse_name(name)
    ascii_name = host_name(name).ascii
    return ascii_name if ascii_name.endswith(".") else ascii_name + "."


def trace(
    qname: str,
    rdtype: str,
    settings: TraceSettings,
    hints: tuple[NameServer, ...],
    *,
    roots_from: Server | None = None,
) -> Iterator[Event]:
    """Trace qname (absolute) from the root hints, or from the root servers that the server
    roots_from names (dig +trace @SERVER); the last event is the top Trace."""
    tracer = _Tracer(settings, hints, roots_from)
    yield from tracer.run(qname, rdtype, 0)


@cache
def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def _folded(name: str) -> str:
    """A name's canonical text: names that are the same name have the same one."""
    return str(_name(name).to_text()).lower()


def _same(a: str, b: str) -> bool:
    return bool(_name(a) == _name(b))


def _below(child: str, parent: str, *, strictly: bool = False) -> bool:
    """Whether child is parent or a name under it (strictly: under it only)."""
    inside = bool(_name(child).is_subdomain(_name(parent)))
    return inside and not (strictly and _same(child, parent))


class _Tracer:
    """The walk's state: the budget spent, the addresses found so far, the names being looked
    up by nested traces (a server needed to find its own address is a loop)."""

    def __init__(
        self, settings: TraceSettings, hints: tuple[NameServer, ...], roots_from: Server | None
    ) -> None:
        self.settings = settings
        self.hints = hints
        self.roots_from = roots_from
        self.steps_taken = 0
        self.deadline = time.monotonic() + settings.max_seconds
        self.addresses: dict[str, list[str]] = {}
        self.looking_up: set[str] = set()
        self.spent: TraceBudgetError | None = None  # set when the budget ran out in a nested trace

    def run(self, qname: str, rdtype: str, depth: int) -> Generator[Event, None, Trace]:
        yield TraceStart(depth, qname, rdtype)
        steps: list[TraceStep] = []
        aborted: TraceBudgetError | None = None
        try:
            if depth == 0 and self.roots_from is not None:
                self.hints = yield from self._roots(self.roots_from, steps)
            status, answers = yield from self._walk(qname, rdtype, depth, steps)
            error = None
        except TraceError as failure:
            status, answers, error = "failed", [], str(failure)
            if isinstance(failure, TraceBudgetError):
                aborted = failure
        result = Trace(depth, qname, rdtype, status, answers, error, steps)
        yield result
        if aborted is not None and depth > 0:
            self.spent = aborted  # the budget is the whole trace's: the levels above stop too
        return result

    def _roots(
        self, server: Server, steps: list[TraceStep]
    ) -> Generator[Event, None, tuple[NameServer, ...]]:
        """The root servers as server says (". NS", asked with recursion), with the addresses
        its additional section gives; when it gives none that can be used, the addresses of
        the first root servers asked of it in turn until one has one."""
        step, additional = self._ask_recursively(server, ".", "NS")
        names = [r.data for r in step.answers if r.type == "NS" and _same(r.name, ".")]
        if names:
            named = {_folded(name) for name in names}
            glue = [record for record in additional if _folded(record.name) in named]
            step = _replace(step, referral=Referral(".", names, glue, None), answers=[])
        elif step.outcome == "roots":
            step = _replace(step, outcome="failed", error="the reply names no root servers")
        steps.append(step)
        yield step
        if step.referral is None:
            raise TraceError(f"no root servers from {server[0]}#{server[1]}: {step.error}")
        addresses: dict[str, list[str]] = {}
        for record in step.referral.glue:
            addresses.setdefault(_folded(record.name), []).append(record.data)
        roots = [NameServer(name, tuple(addresses.get(_folded(name), ()))) for name in names]
        for index, root in enumerate(roots):
            if any(self._usable(known.addresses) for known in roots):
                break
            for rdtype in self._address_types():
                lookup, _ = self._ask_recursively(server, root.name, rdtype)
                steps.append(lookup)
                yield lookup
                found = [record.data for record in lookup.answers if record.type == rdtype]
                if found:
                    roots[index] = NameServer(root.name, tuple(found))
                    break
        return tuple(roots)

    def _ask_recursively(
        self, server: Server, qname: str, rdtype: str
    ) -> tuple[TraceStep, list[Record]]:
        """A "roots" step: one query with recursion (RD=1) to server, and the A and AAAA
        records of its reply's additional section."""
        self._spend()
        address, port = server
        exchange = _exchange(address, qname, rdtype, self.settings, port=port, recurse=True)
        reply = exchange.reply
        step = _step(exchange, 0, ".", (qname, rdtype), address)
        if reply is None:
            return step, []
        if reply.rcode != "NOERROR":
            return _replace(step, error=f"the server answered {reply.rcode}"), []
        addresses = [record for record in reply.additional if record.type in ("A", "AAAA")]
        return _replace(step, outcome="roots", answers=reply.answer), addresses

    def _walk(
        self, qname: str, rdtype: str, depth: int, steps: list[TraceStep]
    ) -> Generator[Event, None, tuple[Status, list[Record]]]:
        """From the root to the authority of qname, again from the root for each CNAME or
        DNAME target, until the records asked for, NXDOMAIN or NODATA."""
        chain: list[Record] = []
        names = [qname]
        target = qname
        while True:
            step = yield from self._descend(target, rdtype, depth, steps)
            if step.outcome == "answer":
                return "answer", chain + step.answers
            if step.outcome == "nxdomain":
                return "NXDOMAIN", chain
            if step.outcome == "nodata":
                return "NODATA", chain
            assert step.target is not None  # a CNAME or DNAME step names where it leads
            chain += step.answers
            if any(_same(step.target, name) for name in names):
                loop = " -> ".join([*names, step.target])
                raise TraceError(f"{step.outcome.upper()} loop: {loop}")
            if len(names) > MAX_CHAIN:
                raise TraceError(f"more than {MAX_CHAIN} CNAME/DNAME records in a chain")
            names.append(step.target)
            target = step.target

    def _descend(
        self, qname: str, rdtype: str, depth: int, steps: list[TraceStep]
    ) -> Generator[Event, None, TraceStep]:
        """Follow referrals from the root down to the zone that answers for qname.

        Each referral is to a zone strictly below the one asked (anything else is lame), so
        the walk ends within the labels of qname."""
        zone, servers, referred_by = ".", self.hints, None
        while True:
            step = yield from self._ask_zone(
                zone, servers, (qname, rdtype), depth, steps, referred_by
            )
            if step.referral is None:
                return step
            referral = step.referral
            glue: dict[str, list[str]] = {}
            for record in referral.glue:
                glue.setdefault(_name(record.name).to_text(), []).append(record.data)
            zone, referred_by = referral.zone, step
            servers = tuple(
                NameServer(name, tuple(glue.get(_name(name).to_text(), ())))
                for name in referral.servers
            )

    def _address_types(self) -> list[str]:
        """The types a server's address is asked as: A, then AAAA; one of them with -4/-6."""
        family = self.settings.family
        return ["A"] if family == "4" else ["AAAA"] if family == "6" else ["A", "AAAA"]

    def _usable(self, addresses: tuple[str, ...] | list[str]) -> list[str]:
        family = self.settings.family
        if family is None:
            return list(addresses)
        return [address for address in addresses if (":" in address) == (family == "6")]

    def _ask_zone(
        self,
        zone: str,
        servers: tuple[NameServer, ...],
        question: tuple[str, str],
        depth: int,
        steps: list[TraceStep],
        referred_by: TraceStep | None,
    ) -> Generator[Event, None, TraceStep]:
        """Ask the servers of zone in turn until one gives a reply of use; its step.

        Servers with addresses (glue, hints) come first; the others are looked up with nested
        traces, one at a time and only when every server before them failed."""
        problems: list[str] = []
        asked: set[str] = set()  # two names of one server are asked once
        known = [server for server in servers if self._usable(server.addresses)]
        glueless = [server for server in servers if not self._usable(server.addresses)]
        for server in known + glueless:
            addresses = self._usable(server.addresses)
            if not addresses:
                addresses = yield from self._look_up(server.name, depth, referred_by, problems)
            for address in addresses:
                if address in asked:
                    continue
                asked.add(address)
                step = self._ask(zone, server.name, address, question, depth)
                steps.append(step)
                yield step
                if step.outcome not in ("lame", "failed"):
                    return step
                problems.append(f"{server.name} ({address}): {step.error}")
        if not servers:
            raise TraceError(f"no servers for {zone}")
        last = f"; the last: {problems[-1]}" if problems else ""
        raise TraceError(f"no server of {zone} gave a usable reply{last}")

    def _look_up(
        self, name: str, depth: int, referred_by: TraceStep | None, problems: list[str]
    ) -> Generator[Event, None, list[str]]:
        """The addresses of a server that came without glue, by nested traces (A, then AAAA
        when there is no A; one family with -4/-6), noted under the referral that named it."""
        key = _name(name).to_text()
        if key in self.addresses:
            return self.addresses[key]
        if referred_by is None:
            problems.append(f"{name}: no address is known for this root server")
            return []
        if key in self.looking_up:
            problems.append(f"{name}: finding its address needs its own address (glue missing)")
            return []
        if depth + 1 > self.settings.max_nesting:
            raise TraceBudgetError(f"nested traces deeper than {self.settings.max_nesting}")
        found: list[str] = []
        self.looking_up.add(key)
        try:
            for rdtype in self._address_types():
                nested = yield from self.run(name, rdtype, depth + 1)
                referred_by.nested.append(nested)
                if self.spent is not None:
                    raise self.spent
                found = [record.data for record in nested.answers if record.type == rdtype]
                if found:
                    break
        finally:
            self.looking_up.discard(key)
        if not found:
            problems.append(f"{name}: no address found for it")
        self.addresses[key] = found
        return found

    def _spend(self) -> None:
        if self.steps_taken >= self.settings.max_steps:
            raise TraceBudgetError(f"gave up after {self.settings.max_steps} queries (the limit)")
        if time.monotonic() > self.deadline:
            raise TraceBudgetError(f"gave up after {self.settings.max_seconds:g} s (the limit)")
        self.steps_taken += 1

    def _ask(
        self, zone: str, server: str, address: str, question: tuple[str, str], depth: int
    ) -> TraceStep:
        self._spend()
        qname, rdtype = question
        settings = self.settings
        exchange = _exchange(address, qname, rdtype, settings)
        step = _step(exchange, depth, zone, question, server)
        if exchange.reply is None:
            return step
        step = _classify(step, exchange.reply, dnssec=settings.dnssec)
        referral = step.referral
        if referral is not None and referral.ds == [] and not _denial(exchange.reply):
            step = _replace(step, referral=self._ask_ds(referral, address))
        return step

    def _ask_ds(self, referral: Referral, address: str) -> Referral:
        """The child's DS set asked of the parent's server itself: a referral from a signed
        zone carries it (or an NSEC/NSEC3 proof that there is none), one from an unsigned zone
        need not (NSD leaves it out), yet the parent may hold one. None when it will not say."""
        self._spend()
        exchange = _exchange(address, referral.zone, "DS", self.settings)
        reply = exchange.reply
        if reply is None or reply.rcode != "NOERROR" or "aa" not in reply.flags:
            return _replace_referral(referral, ds=None)
        ds = [r for r in reply.answer if r.type == "DS" and _same(r.name, referral.zone)]
        return _replace_referral(referral, ds=ds)


def _step(
    exchange: Exchange, depth: int, zone: str, question: tuple[str, str], server: str
) -> TraceStep:
    """The step of one exchange with a server of zone (named server), "failed" until its
    reply is classified."""
    reply = exchange.reply
    address, port = exchange.server
    return TraceStep(
        depth=depth,
        zone=zone,
        qname=question[0],
        type=question[1],
        server=server,
        address=address,
        port=port,
        transport=exchange.transport,
        rtt_ms=round(exchange.elapsed * 1000, 3) if reply else None,
        rcode=reply.rcode if reply else None,
        flags=reply.flags if reply else (),
        outcome="failed",
        error=exchange.error,
    )


def _exchange(
    address: str,
    qname: str,
    rdtype: str,
    settings: TraceSettings,
    *,
    port: int | None = None,
    recurse: bool = False,
) -> Exchange:
    """One query to one server, non-recursive unless said (UDP, TCP on truncation, or TCP with
    --tcp), on the trace's port unless another is given."""
    port = settings.port if port is None else port
    engine = QueryEngine(
        RetryPolicy(((address, port),), settings.timeout, settings.tries),
        window=1,
        tcp=settings.tcp,
    )
    message = build_query(
        name_to_wire(qname), type_value(rdtype), recurse=recurse, dnssec=settings.dnssec
    )
    spelled = qname if spelled_as_presented(qname) else None
    try:
        [exchange] = list(engine.stream([(message, spelled)]))
    except OSError as error:  # the kernel refused at once: no route (IPv6 on an IPv4 host), ...
        transport = "tcp" if settings.tcp else "udp"
        reason = error.strerror or str(error)
        return Exchange(None, (address, port), transport, 0.0, 1, f"{address}#{port}: {reason}")
    assert exchange is not None  # an item with a message has an exchange
    return exchange


_RCODE_MEANING = {
    "REFUSED": "refused the query (REFUSED): it does not serve the zone",
    "SERVFAIL": "failed (SERVFAIL): it may have the zone but cannot serve it",
    "NOTIMP": "does not implement the query (NOTIMP)",
    "FORMERR": "could not parse the query (FORMERR)",
}


def _replace(step: TraceStep, **changes: object) -> TraceStep:
    import dataclasses

    return dataclasses.replace(step, **changes)  # type: ignore[arg-type]  # the fields' own types


def _replace_referral(referral: Referral, *, ds: list[Record] | None) -> Referral:
    return Referral(referral.zone, referral.servers, referral.glue, ds)


def _denial(reply: Reply) -> bool:
    """Whether a referral proves that the child has no DS (NSEC or NSEC3, RFC 4035 3.1.4)."""
    return any(record.type in ("NSEC", "NSEC3") for record in reply.authority)


def _classify(step: TraceStep, reply: Reply, *, dnssec: bool) -> TraceStep:
    """What a reply means for the walk: an authoritative reply, a referral down, or lame."""
    if reply.rcode not in ("NOERROR", "NXDOMAIN"):
        meaning = _RCODE_MEANING.get(reply.rcode, f"answered {reply.rcode}")
        return _replace(step, outcome="lame", error=f"the server {meaning}")
    if "aa" in reply.flags:
        return _authoritative(step, reply)
    ns_records = [record for record in reply.authority if record.type == "NS"]
    if not ns_records:
        if reply.answer:
            why = "an answer without authority (AA=0): not a server of the zone"
        elif reply.rcode == "NXDOMAIN":
            why = "NXDOMAIN without authority (AA=0)"
        else:
            why = "neither an authoritative answer (AA=0) nor a referral: a lame server"
        return _replace(step, outcome="lame", error=why)
    child = ns_records[0].name
    if any(not _same(record.name, child) for record in ns_records):
        return _replace(step, outcome="lame", error="a referral to several zones at once")
    if not _below(child, step.zone, strictly=True) or not _below(step.qname, child):
        where = "back" if _same(step.zone, child) else "up" if _below(step.zone, child) else "off"
        return _replace(
            step,
            outcome="lame",
            error=f"delegation loop: referred {where} to {child}, which is not below "
            f"{step.zone} on the way to {step.qname}",
        )
    servers = [record.data for record in ns_records]
    # Glue: addresses of the named servers, and only of names inside the zone that was asked
    # (anything else in the additional section is not that server's to vouch for).
    glue = [
        record
        for record in reply.additional
        if record.type in ("A", "AAAA")
        and any(_same(record.name, server) for server in servers)
        and _below(record.name, step.zone)
    ]
    ds = [r for r in reply.authority if r.type == "DS" and _same(r.name, child)] if dnssec else None
    return _replace(
        step, outcome="referral", referral=Referral(child, servers, glue, ds), error=None
    )


def _authoritative(step: TraceStep, reply: Reply) -> TraceStep:
    """An AA reply: the records asked for, a CNAME or DNAME to follow, NXDOMAIN or NODATA."""
    qname, rdtype = step.qname, step.type
    owned = [record for record in reply.answer if _same(record.name, qname)]
    matching = [r for r in owned if rdtype in (r.type, "ANY")]
    if matching:
        return _replace(step, outcome="answer", answers=matching)
    redirected = _redirection(step, reply.answer, owned)
    if redirected is not None:
        return redirected
    soa = [record for record in reply.authority if record.type == "SOA"]
    if reply.rcode == "NXDOMAIN":
        return _replace(step, outcome="nxdomain", authority=soa)
    if reply.answer:
        others = ", ".join(sorted({record.name for record in reply.answer}))
        return _replace(step, outcome="lame", error=f"an answer for other names: {others}")
    return _replace(step, outcome="nodata", authority=soa)


def _redirection(step: TraceStep, answer: list[Record], owned: list[Record]) -> TraceStep | None:
    """The step as a DNAME (RFC 6672) or CNAME to follow, if the answer has one for qname."""
    for record in answer:
        if record.type == "DNAME" and _below(step.qname, record.name, strictly=True):
            target = _dname_target(step.qname, record)
            if target is None:
                return _replace(step, outcome="lame", error="DNAME makes a name too long")
            return _replace(step, outcome="dname", answers=[record], target=target)
    cnames = [record for record in owned if record.type == "CNAME"]
    if cnames:
        return _replace(step, outcome="cname", answers=cnames[:1], target=cnames[0].data)
    return None


def _dname_target(qname: str, dname: Record) -> str | None:
    """qname with the DNAME's owner replaced by its target (RFC 6672 section 2.2)."""
    prefix = _name(qname).relativize(_name(dname.name))
    try:
        return str(prefix.concatenate(_name(dname.data)).to_text())
    except dns.name.NameTooLong:
        return None
