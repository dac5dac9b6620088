"""Direct DNS queries, like dig: one or thousands, over UDP (TCP on truncation), TCP, DoT or DoH."""

import gc
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from netkit.resolve.edns import DEFAULT_EDNS, QueryEdns
from netkit.resolve.engine import Item, QueryEngine
from netkit.resolve.inflight import NO_REPLY, Exchange, RetryPolicy, Server, ServerChoice
from netkit.resolve.names import (
    InvalidNameError,
    ascii_form,
    host_name,
    reverse_name,
    unicode_form,
)
from netkit.resolve.search import SearchList, search_candidates
from netkit.resolve.wire import (
    TRANSFER_TYPES,
    Edns,
    Record,
    Reply,
    class_value,
    name_to_wire,
    query_maker,
    spelled_as_presented,
    type_value,
)

if TYPE_CHECKING:
    from netkit.resolve.tally import Outcome

Transport = Literal["udp", "tcp", "tls", "https"]
DEFAULT_PORTS = {"udp": 53, "tcp": 53, "tls": 853, "https": 443}
RESOLV_CONF = "/etc/resolv.conf"

_RCODE_MEANING = {
    "NXDOMAIN": "no such name",
    "SERVFAIL": "the server failed to answer",
    "REFUSED": "the server refused the query",
    "FORMERR": "the server could not parse the query",
    "NOTIMP": "the server does not implement this query",
}


# DnsQuestion, DnsResult and wire.Record are made once a query in a batch, so they are slotted
# dataclasses that are not frozen: a frozen dataclass's __init__ sets every field through
# object.__setattr__, which costs ten times a plain one (2.7 us against 0.25 us for DnsResult,
# measured; a bulk batch has about 8 us a query in all). Nothing changes them once made.
@dataclass(slots=True)
class DnsQuestion:
    """One query to make: a name (or an address with -x) and a record type."""

    name: str  # as the user gave it
    type: str  # "A", "MX", "TYPE65534"
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class DnsOptions:
    """How to ask: where, over what, how long to wait, how many at once."""

    servers: list[Server]  # (address, port); for DoH the address is the URL
    transport: Transport = "udp"
    timeout: float = 2.0
    tries: int = 3
    recurse: bool = True
    dnssec: bool = False
    concurrency: int = 64
    rate: float | None = None  # tries a second at most, retries included (--rate)
    answers_only: bool = False  # decode only what a batch table prints (see parse_reply)
    tls_ca: str | None = None  # DoT/DoH: verify the certificate chain against this CA file
    tls_hostname: str | None = None  # DoT: the name the certificate must be valid for (SNI)
    edns: QueryEdns | None = DEFAULT_EDNS  # the OPT record of each query; None: no EDNS
    checking_disabled: bool = False  # the CD bit (RFC 4035 section 3.2.2)
    authentic_data: bool = False  # the AD bit in a query (RFC 6840 section 5.7)
    search: SearchList | None = None  # --search: try each name with these domains (search.py)
    rdclass: str = "IN"  # the class of every question: IN, or CH/HS as dig NAME CH TXT asks


@dataclass(slots=True)  # not frozen: see DnsQuestion
class DnsResult:
    """One query and its reply, in the field names `--json` documents."""

    name: str  # as given
    qname: str  # what was asked, absolute, IDNA A-labels: "xn--bcher-kva.example."
    unicode_name: str | None  # the U-label form when qname has IDN labels
    type: str
    server: str | None  # the address (or DoH URL) that answered, or was asked last
    port: int | None
    transport: str
    rcode: str | None  # "NOERROR", "NXDOMAIN", ...; None when no reply came
    id: int | None = None
    flags: tuple[str, ...] = ()
    answers: list[Record] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)
    additional: list[Record] = field(default_factory=list)
    edns: Edns | None = None
    query_time_ms: float | None = None
    size: int | None = None
    error: str | None = None
    rdclass: str = "IN"  # the question's class


def system_servers(path: str = RESOLV_CONF) -> list[str]:
    """The nameserver lines of resolv.conf(5); its documented default when there are none."""
    servers = []
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = file.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            servers.append(fields[1])
    return servers or ["127.0.0.1"]


def split_server(text: str) -> tuple[str, int | None]:
    """A server argument's host and port (None when it names none): 'ADDR', 'ADDR#PORT'
    (dig), 'HOST:PORT', '[V6]:PORT', '[V6]#PORT' or a bare IPv6 address; ValueError if bad."""
    spec = text.removeprefix("@").strip()
    if "#" in spec:
        host, _, port_text = spec.partition("#")
        return host.removeprefix("[").removesuffix("]"), _port(port_text, text)
    if spec.startswith("[") and "]" in spec:
        host, _, rest = spec[1:].partition("]")
        if rest.startswith(":"):
            return host, _port(rest[1:], text)
        if rest:
            raise ValueError(f"bad server '{text}': write [ADDRESS]:PORT")
        return host, None
    if spec.count(":") == 1:  # HOST:PORT (an IPv6 address has two colons or more)
        host, _, port_text = spec.partition(":")
        return host, _port(port_text, text)
    return spec, None


def parse_server(text: str, default_port: int) -> Server:
    """A server argument (see split_server) or a host name, as (address, port)."""
    spec, port = split_server(text)
    port = default_port if port is None else port
    import ipaddress

    try:
        return str(ipaddress.ip_address(spec.split("%", 1)[0])) + _scope(spec), port
    except ValueError:
        pass
    if not spec:
        raise ValueError(f"'{text}' names no server")
    try:
        infos = socket.getaddrinfo(host_name(spec).ascii, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, InvalidNameError) as error:
        raise ValueError(f"server '{spec}' does not resolve: {error}") from None
    return str(infos[0][4][0]), port


def _scope(spec: str) -> str:
    return "%" + spec.split("%", 1)[1] if "%" in spec else ""


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad port in '{whole}'")
    return int(text)


def _qname(question: DnsQuestion) -> str:
    if question.reverse:
        return reverse_name(question.name)
    ascii_name = ascii_form(question.name)
    return ascii_name if ascii_name.endswith(".") else ascii_name + "."


def _prepared_name(question: DnsQuestion) -> tuple[str, bytes, bool]:
    """The name to ask (absolute, A-labels), its wire form, and whether it has one spelling.

    A name with escapes (\\.) or octets that need them has more than one spelling: the
    replies then spell it, as dig does."""
    qname = _qname(question)
    return qname, name_to_wire(qname), spelled_as_presented(qname)


def _status_error(reply: Reply, qname: str, qtype: str, server: Server) -> str | None:
    """Why a reply is not an answer (None when it is one), in one line."""
    if reply.rcode == "NOERROR":
        for record in reply.answer:  # a loop, not any(): asked for every reply of a batch
            if qtype in (record.type, "ANY"):
                return None
        referral = not reply.answer and "aa" not in reply.flags
        if referral and any(record.type == "NS" for record in reply.authority):
            return None  # a referral is the answer to a non-recursive query
    where = "{}#{}".format(*server)
    if reply.rcode != "NOERROR":
        meaning = _RCODE_MEANING.get(reply.rcode, "error")
        subject = qname if reply.rcode == "NXDOMAIN" else f"{qname} {qtype}"
        return f"{subject}: {meaning} ({reply.rcode}) from {where}"
    return f"{qname}: no {qtype} records (NODATA) from {where}"


def _result(
    question: DnsQuestion, qname: str, unicode_name: str | None, exchange: Exchange, rdclass: str
) -> DnsResult:
    """The result of a question asked as qname (unicode_name: its U-label form, if another)."""
    server, port = exchange.server
    reply = exchange.reply
    elapsed = round(exchange.elapsed * 1000, 3)
    # Positional, in DnsResult's field order: one a query in a batch.
    if reply is None:
        return DnsResult(
            question.name, qname, unicode_name, question.type, server, port, exchange.transport,
            None, None, (), [], [], [], None, elapsed, None, exchange.error, rdclass,
        )  # fmt: skip
    return DnsResult(
        question.name, qname, unicode_name, question.type, server, port, exchange.transport,
        reply.rcode, reply.id, reply.flags, reply.answer, reply.authority, reply.additional,
        reply.edns, elapsed, reply.size,
        _status_error(reply, qname, question.type, exchange.server), rdclass,
    )  # fmt: skip


def _unicode_name(qname: str) -> str | None:
    """qname's U-label form when it has IDN labels, else None (DnsResult.unicode_name)."""
    unicode_name = unicode_form(qname)
    return unicode_name if unicode_name != qname else None


def _invalid(question: DnsQuestion, error: str, options: DnsOptions) -> DnsResult:
    server, port = options.servers[0]
    return DnsResult(
        name=question.name,
        qname=question.name,
        unicode_name=None,
        type=question.type,
        server=server,
        port=port,
        transport=options.transport,
        rcode=None,
        error=error,
    )


def run_queries(questions: Iterable[DnsQuestion], options: DnsOptions) -> list[DnsResult]:
    """Ask every question; results keep the order of questions, failures included."""
    return list(stream_queries(questions, options))


def stream_queries(
    questions: Iterable[DnsQuestion], options: DnsOptions, *, choice: ServerChoice | None = None
) -> Iterator[DnsResult]:
    """Ask every question, taking them as there is room; yield the results in the order of
    questions, failures included, each as soon as every earlier one is out. ``choice``: which
    server each try goes to, kept by a caller that asks in several runs (see QueryEngine)."""
    if options.search is not None:
        yield from _searched(questions, options, options.search)
        return
    with _no_cycle_collection():
        yield from _stream_queries(questions, options, choice)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A batch makes tens of thousands of small acyclic objects; the cycle collector would
    only walk them again and again (a fifth of a 5,000-name batch). Refcounting frees them."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _searched(
    questions: Iterable[DnsQuestion], options: DnsOptions, search: SearchList
) -> Iterator[DnsResult]:
    """--search: each name is asked as each of its candidates in turn until a reply is not
    NXDOMAIN (like dig +search). A candidate waits for the one before it, so a name is asked
    at a time in a thread; several names are asked at once, and results keep input order.
    The result keeps the name as given; its qname says which candidate answered."""
    from netkit.resolve.pool import ordered_map

    alone = replace(options, search=None, concurrency=1)

    def ask(question: DnsQuestion) -> DnsResult:
        names = [question.name] if question.reverse else search_candidates(question.name, search)
        for candidate in names:
            [result] = run_queries([replace(question, name=candidate)], alone)
            if result.rcode != "NXDOMAIN":
                break
        return replace(result, name=question.name)

    workers = max(1, min(options.concurrency, 16))
    return ordered_map(ask, questions, workers=workers, ahead=4 * workers)


# AXFR and IXFR ask for a zone over TCP (resolve/xfr.py), not a record set: as a query in a
# batch a server would refuse them, or answer NOTIMP.
_TRANSFERS = frozenset(type_value(name) for name in TRANSFER_TYPES)


def _stream_queries(
    questions: Iterable[DnsQuestion], options: DnsOptions, choice: ServerChoice | None
) -> Iterator[DnsResult]:
    # What each item given to the engine stands for, in order: its question and query name,
    # or the result of a question that could not be asked. It holds no more than the engine's
    # reorder window, since the engine takes items only as it has room.
    places: deque[tuple[DnsQuestion, str, str | None] | DnsResult] = deque()
    make_query = query_maker(
        recurse=options.recurse,
        dnssec=options.dnssec,
        checking_disabled=options.checking_disabled,
        authentic_data=options.authentic_data,
        edns=options.edns,
        qclass=class_value(options.rdclass),
    )

    rdtypes: dict[str, int] = {}  # the types asked, by how the questions spell them

    def items() -> Iterator[Item]:
        # A name asked for several types comes in a row: its name is checked and encoded once.
        asked_name: str | None = None
        asked_reverse = False
        qname, wire_name, presented, unicode_name = "", b"", False, None
        for question in questions:
            try:
                if question.name != asked_name or question.reverse != asked_reverse:
                    qname, wire_name, presented = _prepared_name(question)
                    unicode_name = _unicode_name(qname)
                    asked_name, asked_reverse = question.name, question.reverse
                rdtype = rdtypes.get(question.type)
                if rdtype is None:
                    rdtype = rdtypes[question.type] = type_value(question.type)
                if rdtype in _TRANSFERS:  # a batch line "zone AXFR", as dig -f reads it
                    raise ValueError(
                        f"{question.type} is a zone transfer, not a query: ask it alone, "
                        f"netkit resolve -t {question.type} ZONE"
                    )
            except InvalidNameError as error:
                places.append(_invalid(question, str(error), options))
                yield None, None
                continue
            except ValueError as error:  # dnspython's own name errors (escapes), a bad type
                places.append(_invalid(question, f"'{question.name}': {error}", options))
                yield None, None
                continue
            places.append((question, qname, unicode_name))
            # A name with escapes (\.) or octets that need them has more than one spelling:
            # let the replies spell it, as dig does.
            yield make_query(wire_name, rdtype), qname if presented else None

    rdclass = options.rdclass
    next_place = places.popleft
    for exchange in _exchanges(items(), options, choice):
        place = next_place()
        if exchange is None:
            assert isinstance(place, DnsResult)  # an item without a message has its result
            yield place
        else:
            assert not isinstance(place, DnsResult)  # an item with a message has an exchange
            yield _result(place[0], place[1], place[2], exchange, rdclass)


def _exchanges(
    items: Iterator[Item], options: DnsOptions, choice: ServerChoice | None
) -> Iterator[Exchange | None]:
    if options.transport in ("udp", "tcp"):
        engine = QueryEngine(
            RetryPolicy(tuple(options.servers), options.timeout, options.tries),
            window=options.concurrency,
            tcp=options.transport == "tcp",
            answers_only=options.answers_only,
            rate=options.rate,
            choice=choice,
        )
        return engine.stream(items)
    return _exchange_encrypted(items, options)


def _exchange_encrypted(items: Iterator[Item], options: DnsOptions) -> Iterator[Exchange | None]:
    """DoT (RFC 7858) and DoH (RFC 8484) through dnspython, a few queries at a time."""
    import dns.query

    if options.transport == "https" and not dns.query.have_doh:
        raise DoHUnavailableError(
            "DNS over HTTPS needs the optional extra: pip install 'netkit[doh]'"
        )
    from netkit.resolve.pool import ordered_map

    def exchange(item: Item) -> Exchange | None:
        message = item[0]
        return None if message is None else _encrypted_once(message, options)

    workers = max(1, min(options.concurrency, 8))
    return ordered_map(exchange, items, workers=workers, ahead=4 * workers)


class DoHUnavailableError(RuntimeError):
    """dnspython's DoH support (httpx, h2) is not installed."""


def _encrypted_once(message: bytes, options: DnsOptions) -> Exchange:
    import secrets

    import dns.exception
    import dns.message
    import dns.query

    from netkit.resolve.wire import MalformedReplyError, parse_reply

    query = dns.message.from_wire(secrets.randbits(16).to_bytes(2, "big") + message[2:])
    error = "no servers"
    server: Server = options.servers[0]
    started = time.monotonic()
    # DoH checks the certificate as any HTTPS client does. DoT without --tls-hostname or
    # --tls-ca is encrypted but unauthenticated, like dig +tls and kdig +tls (RFC 7858
    # section 4.1, the opportunistic profile).
    verify: bool | str = (
        options.tls_ca or options.transport == "https" or bool(options.tls_hostname)
    )
    for attempt in range(options.tries):
        server = options.servers[attempt % len(options.servers)]
        address, port = server
        where = address if options.transport == "https" else f"{address}#{port}"
        started = time.monotonic()
        try:
            if options.transport == "https":
                response = dns.query.https(query, address, timeout=options.timeout, verify=verify)
            else:
                response = dns.query.tls(
                    query,
                    address,
                    timeout=options.timeout,
                    port=port,
                    server_hostname=options.tls_hostname,
                    verify=verify,
                )
            reply = parse_reply(response.to_wire())
        except dns.exception.Timeout:
            error = f"{NO_REPLY} from {where} over {options.transport.upper()} in time"
            continue
        except (OSError, dns.exception.DNSException, MalformedReplyError, ValueError) as failure:
            # One line: dnspython's DoH errors append the response body on further lines.
            detail = (str(failure).splitlines() or [type(failure).__name__])[0]
            detail = detail.removeprefix(f"{address} ").strip()
            error = f"{options.transport.upper()} to {where}: {detail}"
            continue
        return Exchange(reply, server, options.transport, time.monotonic() - started, attempt + 1)
    return Exchange(
        None, server, options.transport, time.monotonic() - started, options.tries, error
    )


def dns_status(result: DnsResult) -> str:
    """NOERROR, NXDOMAIN, SERVFAIL, ... as the server said; NODATA; or FAILED with no reply."""
    if result.rcode is None:
        return "FAILED"
    if result.rcode == "NOERROR" and result.error is not None:
        return "NODATA"
    return result.rcode


def dns_outcome(result: DnsResult) -> "Outcome":
    """How a batch's summary counts a result: answered, NXDOMAIN, SERVFAIL, timeout, other."""
    if result.error is None:
        return "answered"
    if result.rcode == "NXDOMAIN":
        return "NXDOMAIN"
    if result.rcode == "SERVFAIL":
        return "SERVFAIL"
    if result.rcode is None and result.error.startswith(NO_REPLY):
        return "timeout"
    return "other"
