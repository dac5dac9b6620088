"""`netkit resolve`: gethostbyname, getaddrinfo, or direct DNS queries like dig.

The three modes take different options. The command line is read into typed groups: what
every mode takes (Request), the getaddrinfo hints only --modern takes (ModernModeOptions) and
what only --dns takes (DnsModeOptions). Each option of a group is named where it is declared,
one rule refuses a group's options in a mode that does not take the group, and each mode's
function receives its own group alone, so it cannot read another mode's options.
"""

from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, TypeVar

import click

from netkit.cli.completers import SOCKTYPES, complete_record_type
from netkit.cli.options import json_option
from netkit.errors import ExitStatus, NetkitError
from netkit.render.output import emit_message

if TYPE_CHECKING:
    from netkit.resolve.query import Transport
    from netkit.resolve.system import ModernResult, SockType

Mode = Literal["legacy", "modern", "dns"]


# The groups are NamedTuples rather than frozen dataclasses: every `netkit resolve` builds
# these classes at start-up, and three dataclasses cost over a millisecond, these a fifth.


class Request(NamedTuple):
    """What every mode takes: the names and how to show the results."""

    names: list[str]
    reverse: bool
    short: bool
    as_json: bool
    concurrency: int  # lookups at once (--modern, --dns)


# An option of one mode is declared Annotated with the name its usage errors give it, and it
# counts as given when its value is not the field's default.


class ModernModeOptions(NamedTuple):
    """--modern: the getaddrinfo hints (and the getnameinfo service with -x)."""

    family: Annotated[Literal["4", "6"] | None, "-4/-6"] = None
    service: Annotated[str | None, "--service"] = None
    addrconfig: Annotated[bool, "--addrconfig"] = False
    socktype: Annotated["SockType", "--socktype"] = "stream"


class DnsModeOptions(NamedTuple):
    """--dns: where and how to ask. Any of the named options given implies --dns."""

    timeout: float
    retries: int
    at_servers: Annotated[tuple[str, ...], "@SERVER"] = ()
    servers: Annotated[tuple[str, ...], "--server"] = ()
    types: Annotated[tuple[str, ...], "-t"] = ()
    port: Annotated[int | None, "--port"] = None
    transport: Annotated[Literal["tcp", "tls"] | None, "--{}"] = None  # --tcp or --tls
    doh_url: Annotated[str | None, "--https"] = None
    tls_hostname: Annotated[str | None, "--tls-hostname"] = None
    tls_ca: Annotated[str | None, "--tls-ca"] = None
    no_recurse: Annotated[bool, "--no-recurse"] = False
    dnssec: Annotated[bool, "--dnssec"] = False


Group = TypeVar("Group", Request, ModernModeOptions, DnsModeOptions)


def _given(group: ModernModeOptions | DnsModeOptions) -> list[str]:
    """The options of a group set away from their defaults, in the order it declares them."""
    given = []
    for name, declared in type(group).__annotations__.items():
        value = getattr(group, name)
        flag = getattr(declared, "__metadata__", None)
        if flag is not None and value != group._field_defaults[name]:
            given.append(flag[0].format(value))
    return given


def _group(cls: type[Group], parsed: dict[str, Any], **known: Any) -> Group:
    """cls built from the values click parsed for its fields (and known ones)."""
    return cls(**{name: value for name, value in parsed.items() if name in cls._fields}, **known)


def _read_names(
    arguments: tuple[str, ...], name_file: IO[str] | None
) -> tuple[list[str], list[str]]:
    """Split '@SERVER' arguments from names, and add the names of -f FILE (one a line)."""
    servers = [a for a in arguments if a.startswith("@")]
    names = [a for a in arguments if not a.startswith("@")]
    if name_file is not None:
        for line in name_file:
            text = line.strip()
            if text and not text.startswith(("#", ";")):
                names.append(text)
    return servers, names


def _pick_mode(mode: Mode | None, dns: DnsModeOptions, modern: ModernModeOptions) -> Mode:
    """DNS options imply --dns (and are a usage error with another mode); getaddrinfo hints
    are only for --modern."""
    dns_given = _given(dns)
    if dns_given and mode in ("legacy", "modern"):
        raise click.UsageError(f"{dns_given[0]} is for --dns queries, not --{mode}")
    chosen: Mode = "dns" if dns_given else mode or "legacy"
    modern_given = _given(modern)
    if modern_given and chosen != "modern":
        raise click.UsageError(f"{modern_given[0]} is for --modern (getaddrinfo)")
    return chosen


def _record_types(types: tuple[str, ...], reverse: bool) -> list[str]:
    if not types:  # like dig: -x asks for PTR unless -t names other types for the reverse name
        return ["PTR" if reverse else "A"]
    from netkit.resolve.wire import type_text, type_value

    checked = []
    for text in types:
        for part in text.split(","):
            try:
                checked.append(type_text(type_value(part.strip())))
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="'-t'") from None
    return checked


@click.command()
@click.argument("arguments", nargs=-1, metavar="[@SERVER] NAME...")
@click.option(
    "-f",
    "--file",
    "name_file",
    type=click.File("r"),
    metavar="FILE",
    help="Read names from FILE, one a line ('-' for stdin; blank and # lines skipped).",
)
@click.option("--legacy", "mode", flag_value="legacy", help="gethostbyname (the default).")
@click.option("--modern", "mode", flag_value="modern", help="getaddrinfo / getnameinfo.")
@click.option("--dns", "mode", flag_value="dns", help="Query DNS servers directly, like dig.")
@click.option("-x", "--reverse", is_flag=True, help="NAMEs are addresses: reverse lookups (PTR).")
@click.option("-4", "family", flag_value="4", help="--modern: IPv4 only (AF_INET).")
@click.option("-6", "family", flag_value="6", help="--modern: IPv6 only (AF_INET6).")
@click.option("--service", metavar="NAME|PORT", help="--modern: a service name or port.")
@click.option(
    "--socktype",
    type=click.Choice(SOCKTYPES),
    default="stream",
    show_default=True,
    help="--modern: the ai_socktype hint ('any' lists each address once per type).",
)
@click.option(
    "--addrconfig",
    is_flag=True,
    help="--modern: AI_ADDRCONFIG (hides loopback answers on a loopback-only host).",
)
@click.option(
    "-t",
    "--type",
    "types",
    multiple=True,
    shell_complete=complete_record_type,
    metavar="TYPE",
    help="Record type: A, AAAA, MX, TXT, SRV, ... (repeatable; default A).",
)
@click.option("-s", "--server", "servers", multiple=True, metavar="ADDR", help="Server to ask.")
@click.option(
    "-p",
    "--port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    help="Server port (53; 853 with --tls).",
)
@click.option("--tcp", "transport", flag_value="tcp", help="Query over TCP.")
@click.option(
    "--tls",
    "transport",
    flag_value="tls",
    help="DNS over TLS (RFC 7858); encrypted but unauthenticated unless --tls-hostname/--tls-ca.",
)
@click.option("--https", "doh_url", metavar="URL", help="DNS over HTTPS (RFC 8484) to URL.")
@click.option(
    "--tls-hostname",
    metavar="NAME",
    help="--tls: the name the server's certificate must be valid for (also sent as SNI).",
)
@click.option(
    "--tls-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="--tls/--https: verify the server's certificate against this CA file.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.001, 300),
    metavar="SECONDS",
    default=2.0,
    show_default=True,
    help="Seconds to wait for each try.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    metavar="N",
    default=2,
    show_default=True,
    help="Tries after the first, rotating through the servers.",
)
@click.option("--no-recurse", is_flag=True, help="Clear the RD bit (ask for a referral).")
@click.option("--dnssec", is_flag=True, help="Set the DO bit: ask for DNSSEC records.")
@click.option("--short", is_flag=True, help="Print only the answers, like dig +short.")
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(1, 10000),
    metavar="N",
    default=64,
    show_default=True,
    help="Queries in flight at once in a batch.",
)
@json_option
def resolve(**parsed: Any) -> int:
    """Resolve names the way programs do, or ask DNS servers directly.

    \b
      netkit resolve example.com                 gethostbyname: canonical name, aliases, IPv4
      netkit resolve --modern example.com        getaddrinfo: one row per addrinfo
      netkit resolve --modern -x 127.0.0.1       getnameinfo
      netkit resolve --dns example.com -t MX     a DNS query, like dig
      netkit resolve @127.0.0.1 -p 5353 www.example.test -t AAAA
      netkit resolve --dns -x 192.0.2.1          a PTR query
      netkit resolve --dns -f names.txt --json   a batch, concurrently, in input order

    @SERVER, --server, -t, --port, --tcp, --tls, --https, --no-recurse and --dnssec imply
    --dns. Without a server, --dns asks the nameservers of /etc/resolv.conf. A truncated UDP
    reply is asked again over TCP. Names may be internationalized (IDNA 2008).

    Exit status: 0 when every query got an answer, 1 when any did not (NXDOMAIN, NODATA,
    SERVFAIL, timeout, invalid name, ...), 2 for usage errors.
    """
    at_servers, names = _read_names(parsed.pop("arguments"), parsed.pop("name_file"))
    if not names:
        raise click.UsageError("no names given")
    request = _group(Request, parsed, names=names)
    dns = _group(DnsModeOptions, parsed, at_servers=tuple(at_servers))
    modern = _group(ModernModeOptions, parsed)
    mode = _pick_mode(parsed["mode"], dns, modern)
    if mode == "legacy":
        return _legacy(request)
    if mode == "modern":
        return _modern(request, modern)
    return _dns(request, dns)


def _finish(errors: list[str], total: int, *, short: bool) -> int:
    """A lone failed lookup is an error line; in a batch the table shows it. Either way: exit 1."""
    if total == 1 and errors:
        raise NetkitError(errors[0])
    if short:  # +short output has no room for failures: name each on stderr
        for error in errors:
            emit_message("error", error)
    return ExitStatus.FAILURE if errors else ExitStatus.OK


def _legacy(request: Request) -> int:
    from netkit.render.resolve import render_legacy
    from netkit.resolve.system import legacy_lookup

    results = [legacy_lookup(name, reverse=request.reverse) for name in request.names]
    as_json, short = request.as_json, request.short
    if as_json or short or len(results) > 1 or results[0].error is None:
        render_legacy(results, as_json=as_json, short=short)
    return _finish([r.error for r in results if r.error], len(results), short=short)


def _modern(request: Request, options: ModernModeOptions) -> int:
    from netkit.render.resolve import render_modern

    lookup = _modern_lookup(options, reverse=request.reverse)
    names, as_json, short = request.names, request.as_json, request.short
    if len(names) > 1 and request.concurrency > 1:
        from concurrent.futures import ThreadPoolExecutor

        # getaddrinfo is thread-safe (POSIX), and a batch spends its time waiting on it.
        with ThreadPoolExecutor(max_workers=min(request.concurrency, 32)) as pool:
            results = list(pool.map(lookup, names))
    else:
        results = [lookup(name) for name in names]
    if as_json or short or len(results) > 1 or results[0].error is None:
        render_modern(results, as_json=as_json, short=short)
    return _finish([r.error for r in results if r.error], len(results), short=short)


def _modern_lookup(options: ModernModeOptions, *, reverse: bool) -> "Callable[[str], ModernResult]":
    """getaddrinfo with the hints of options, or getnameinfo with -x."""
    import socket
    from functools import partial

    from netkit.resolve.system import check_service, modern_lookup, modern_reverse_lookup

    if options.service is not None:
        try:
            check_service(options.service, options.socktype)
        except LookupError as error:
            raise click.BadParameter(str(error), param_hint="'--service'") from None
    if reverse:
        return partial(modern_reverse_lookup, service=options.service, socktype=options.socktype)
    families = {"4": socket.AF_INET, "6": socket.AF_INET6}
    return partial(
        modern_lookup,
        family=families.get(options.family or "", socket.AF_UNSPEC),
        service=options.service,
        socktype=options.socktype,
        addrconfig=options.addrconfig,
    )


def _transport(options: DnsModeOptions) -> "Transport":
    """UDP, TCP, TLS or HTTPS, refusing options that belong to another of them."""
    if options.doh_url is not None and (
        options.transport is not None or options.at_servers or options.servers
    ):
        raise click.UsageError("--https URL names its server: no @SERVER, --server, --tcp, --tls")
    if options.tls_hostname and options.transport != "tls":
        raise click.UsageError("--tls-hostname is for --tls")
    if options.tls_ca and options.transport != "tls" and options.doh_url is None:
        raise click.UsageError("--tls-ca is for --tls or --https")
    return options.transport or ("https" if options.doh_url else "udp")


def _dns(request: Request, options: DnsModeOptions) -> int:
    from netkit.render.resolve import batch_progress, render_dns
    from netkit.resolve import query

    transport = _transport(options)
    types = _record_types(options.types, request.reverse)
    if options.doh_url is not None:
        servers = [(options.doh_url, options.port or query.DEFAULT_PORTS["https"])]
    else:
        default_port = options.port or query.DEFAULT_PORTS[transport]
        named = [*options.at_servers, *options.servers] or query.system_servers()
        try:
            servers = [query.parse_server(server, default_port) for server in named]
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'@SERVER'") from None
    questions = [
        query.DnsQuestion(name, rdtype, request.reverse)
        for name in request.names
        for rdtype in types
    ]
    settings = query.DnsOptions(
        servers=servers,
        transport=transport,
        timeout=options.timeout,
        tries=options.retries + 1,
        recurse=not options.no_recurse,
        dnssec=options.dnssec,
        concurrency=request.concurrency,
        # A table or +short shows answers only; JSON and the dig-style view show every section.
        answers_only=request.short or (not request.as_json and len(questions) > 1),
        tls_hostname=options.tls_hostname,
        tls_ca=options.tls_ca,
    )
    try:
        with batch_progress(len(questions), "querying") as progress:
            results = query.run_queries(questions, settings, progress)
    except query.DoHUnavailableError as error:
        raise NetkitError(str(error)) from None
    if request.as_json or len(results) > 1 or results[0].rcode is not None:
        render_dns(results, as_json=request.as_json, short=request.short)
    return _finish([r.error for r in results if r.error], len(results), short=request.short)
