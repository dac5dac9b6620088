"""Direct DNS queries, like dig: one or thousands, over UDP (TCP on truncation), TCP, DoT or DoH."""

import gc
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from netkit.resolve.engine import QueryEngine
from netkit.resolve.inflight import Exchange, RetryPolicy, Server
from netkit.resolve.names import InvalidNameError, host_name, reverse_name, unicode_form
from netkit.resolve.wire import (
    Edns,
    Record,
    Reply,
    build_query,
    name_to_wire,
    spelled_as_presented,
    type_value,
)

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


@dataclass(frozen=True, slots=True)
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
    answers_only: bool = False  # decode only what a batch table prints (see parse_reply)
    tls_ca: str | None = None  # DoT/DoH: verify the certificate chain against this CA file
    tls_hostname: str | None = None  # DoT: the name the certificate must be valid for (SNI)


@dataclass(frozen=True, slots=True)
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


def parse_server(text: str, default_port: int) -> Server:
    """'ADDR', 'ADDR#PORT' (dig), '[V6]:PORT' or a host name, as (address, port)."""
    spec = text.removeprefix("@").strip()
    port = default_port
    if "#" in spec:
        spec, _, port_text = spec.partition("#")
        port = _port(port_text, text)
    elif spec.startswith("[") and "]" in spec:
        spec, _, rest = spec[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], text)
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
    ascii_name = host_name(question.name).ascii
    return ascii_name if ascii_name.endswith(".") else ascii_name + "."


def _status_error(reply: Reply, qname: str, qtype: str, server: Server) -> str | None:
    """Why a reply is not an answer (None when it is one), in one line."""
    if reply.rcode == "NOERROR":
        if any(qtype in ("ANY", record.type) for record in reply.answer):
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


def _result(question: DnsQuestion, qname: str, exchange: Exchange) -> DnsResult:
    server, port = exchange.server
    reply = exchange.reply
    unicode_name = unicode_form(qname)
    error = exchange.error
    if reply is not None:
        error = _status_error(reply, qname, question.type, exchange.server)
    return DnsResult(
        name=question.name,
        qname=qname,
        unicode_name=unicode_name if unicode_name != qname else None,
        type=question.type,
        server=server,
        port=port,
        transport=exchange.transport,
        rcode=reply.rcode if reply else None,
        id=reply.id if reply else None,
        flags=reply.flags if reply else (),
        answers=reply.answer if reply else [],
        authority=reply.authority if reply else [],
        additional=reply.additional if reply else [],
        edns=reply.edns if reply else None,
        query_time_ms=round(exchange.elapsed * 1000, 3),
        size=reply.size if reply else None,
        error=error,
    )


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


def run_queries(
    questions: Sequence[DnsQuestion],
    options: DnsOptions,
    progress: Callable[[int], None] | None = None,
) -> list[DnsResult]:
    """Ask every question; results keep the order of questions, failures included."""
    with _no_cycle_collection():
        return _run_queries(questions, options, progress)


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


def _run_queries(
    questions: Sequence[DnsQuestion],
    options: DnsOptions,
    progress: Callable[[int], None] | None,
) -> list[DnsResult]:
    prepared: list[tuple[int, str, bytes]] = []  # (position, qname, message)
    results: list[DnsResult | None] = [None] * len(questions)
    for position, question in enumerate(questions):
        try:
            qname = _qname(question)
            wire_name = name_to_wire(qname)
        except InvalidNameError as error:
            results[position] = _invalid(question, str(error), options)
            continue
        except ValueError as error:  # dnspython's own name errors (escapes)
            results[position] = _invalid(question, f"'{question.name}': {error}", options)
            continue
        rdtype = type_value(question.type)
        message = build_query(wire_name, rdtype, recurse=options.recurse, dnssec=options.dnssec)
        prepared.append((position, qname, message))
    messages = [message for _, _, message in prepared]
    # A name with escapes (\.) or octets that need them has more than one spelling: let the
    # replies spell it, as dig does.
    names = [qname if spelled_as_presented(qname) else None for _, qname, _ in prepared]
    exchanges = _exchange(messages, names, options, progress)
    for (position, qname, _message), exchange in zip(prepared, exchanges, strict=True):
        results[position] = _result(questions[position], qname, exchange)
    return [result for result in results if result is not None]


def _exchange(
    messages: list[bytes],
    names: list[str | None],
    options: DnsOptions,
    progress: Callable[[int], None] | None,
) -> list[Exchange]:
    if not messages:
        return []
    if options.transport in ("udp", "tcp"):
        engine = QueryEngine(
            RetryPolicy(tuple(options.servers), options.timeout, options.tries),
            window=options.concurrency,
            tcp=options.transport == "tcp",
            answers_only=options.answers_only,
        )
        return engine.run(messages, progress, names)
    return _exchange_encrypted(messages, options, progress)


def _exchange_encrypted(
    messages: list[bytes], options: DnsOptions, progress: Callable[[int], None] | None
) -> list[Exchange]:
    """DoT (RFC 7858) and DoH (RFC 8484) through dnspython, a few queries at a time."""
    import dns.query

    if options.transport == "https" and not dns.query.have_doh:
        raise DoHUnavailableError(
            "DNS over HTTPS needs the optional extra: pip install 'netkit[doh]'"
        )
    from concurrent.futures import ThreadPoolExecutor

    done = 0
    results: list[Exchange] = []
    with ThreadPoolExecutor(max_workers=max(1, min(options.concurrency, 8))) as pool:
        for exchange in pool.map(lambda m: _encrypted_once(m, options), messages):
            results.append(exchange)
            done += 1
            if progress is not None:
                progress(done)
    return results


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
            error = f"no reply from {where} over {options.transport.upper()} in time"
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
