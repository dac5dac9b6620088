"""`netkit resolve`: gethostbyname, getaddrinfo, or direct DNS queries like dig.

The three modes take different options. The command line is read into typed groups: what
every mode takes (Request), the getaddrinfo hints only --modern takes (ModernModeOptions) and
what only --dns takes (DnsModeOptions). Each option of a group is named where it is declared,
one rule refuses a group's options in a mode that does not take the group, and each mode's
function receives its own group alone, so it cannot read another mode's options.
"""

from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, TypeVar

import click

from netkit.cli.completers import SOCKTYPES, complete_record_type
from netkit.cli.explain import explain_option
from netkit.cli.options import json_option
from netkit.cli.show_c import show_c_option
from netkit.errors import ExitStatus, NetkitError
from netkit.render.output import emit_message

if TYPE_CHECKING:
    from netkit.render.resolve import BatchForm
    from netkit.resolve.query import DnsQuestion, Transport
    from netkit.resolve.system import LegacyResult, ModernResult, SockType
    from netkit.resolve.tally import Outcome, Result

Mode = Literal["legacy", "modern", "dns"]


# The groups are NamedTuples rather than frozen dataclasses: every `netkit resolve` builds
# these classes at start-up, and three dataclasses cost over a millisecond, these a fifth.


# A name to look up and the record types its batch line names (--dns; none: -t's).
NameLine = tuple[str, tuple[str, ...]]


class Request(NamedTuple):
    """What every mode takes: the names and how to show the results."""

    names: Iterator[NameLine]  # the NAME arguments, then -f FILE's lines, read as needed
    several: bool  # more than one name: a batch, streamed, with a summary line
    reverse: bool
    short: bool
    as_json: bool
    jsonl: bool
    quiet: bool
    concurrency: int  # lookups at once (--modern, --dns)
    size_hint: int | None  # names in -f FILE when it is a regular file (for the progress)

    @property
    def form(self) -> "BatchForm":
        if self.jsonl:
            return "jsonl"
        if self.as_json:
            return "json"
        return "short" if self.short else "table"


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
    rate: Annotated[float | None, "--rate"] = None
    servers_file: Annotated[IO[str] | None, "--servers-file"] = None


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
) -> tuple[list[str], Iterator[NameLine], bool]:
    """Split '@SERVER' arguments from names; the names of -f FILE follow, read as needed.

    Returns the servers, the names, and whether they make a batch: -f FILE (however many
    lines it has: nothing is read ahead to find out) or several names.
    """
    servers = [a for a in arguments if a.startswith("@")]
    names = [(a, ()) for a in arguments if not a.startswith("@")]
    if name_file is None:
        return servers, iter(names), len(names) > 1
    return servers, chain(names, _batch_lines(name_file)), True


def _batch_lines(name_file: IO[str]) -> Iterator[NameLine]:
    """Lines 'NAME [TYPE ...]' (blank lines, # and ; comments skipped), as dig -f reads them."""
    for line in name_file:
        fields = line.split()
        if fields and not fields[0].startswith(("#", ";")):
            yield fields[0], tuple(fields[1:])


def _size_hint(name_file: IO[str] | None) -> int | None:
    """The lines of a regular file (a first quick pass in binary), for the progress display."""
    import os
    import stat

    if name_file is None or not hasattr(name_file, "name"):
        return None
    try:
        if not stat.S_ISREG(os.fstat(name_file.fileno()).st_mode):
            return None
        with open(name_file.name, "rb") as counting:
            return sum(block.count(b"\n") for block in iter(lambda: counting.read(1 << 20), b""))
    except (OSError, ValueError):
        return None


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
    help="Read names from FILE as needed, one a line ('-' for stdin; blank and # lines "
    "skipped). With --dns a line may name record types after the name: NAME [TYPE ...].",
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
@click.option(
    "-s",
    "--server",
    "servers",
    multiple=True,
    metavar="ADDR",
    help="Server to ask (repeatable: a batch spreads its queries over them, and asks the "
    "others while one stops answering).",
)
@click.option(
    "--servers-file",
    type=click.File("r"),
    metavar="FILE",
    help="Servers to ask, one a line (as --server; blank and # lines skipped).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    metavar="QPS",
    help="Send at most QPS queries a second in all (retries included), to be polite to a "
    "shared resolver.",
)
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
@click.option(
    "--jsonl",
    is_flag=True,
    help="Print JSON Lines: one object a line, the fields of --json, each as it comes.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="A batch shows no progress on the terminal and no summary line on stderr.",
)
@show_c_option("gethostbyname() or getaddrinfo() with the hints given")
@explain_option("the system resolver (--legacy, --modern)")
def resolve(**parsed: Any) -> int:
    """Resolve names the way programs do, or ask DNS servers directly.

    \b
      netkit resolve example.com                 gethostbyname: canonical name, aliases, IPv4
      netkit resolve --modern example.com        getaddrinfo: one row per addrinfo
      netkit resolve --modern -x 127.0.0.1       getnameinfo
      netkit resolve --dns example.com -t MX     a DNS query, like dig
      netkit resolve @127.0.0.1 -p 5353 www.example.test -t AAAA
      netkit resolve --dns -x 192.0.2.1          a PTR query
      netkit resolve --dns -f names.txt --jsonl  a batch, concurrently, in input order

    A batch (several names, or -f FILE) streams: names are read as they are needed and each
    result is written as soon as the ones before it are, so a million names run in the memory
    of a few thousand. --modern and --legacy batches run on a pool of up to 32 threads (-c).
    A batch ends with a summary line on stderr, and shows its progress there on a terminal.

    @SERVER, --server, -t, --port, --tcp, --tls, --https, --no-recurse and --dnssec imply
    --dns. Without a server, --dns asks the nameservers of /etc/resolv.conf. A truncated UDP
    reply is asked again over TCP. Names may be internationalized (IDNA 2008).

    Exit status: 0 when every query got an answer, 1 when any did not (NXDOMAIN, NODATA,
    SERVFAIL, timeout, invalid name, ...), 2 for usage errors.
    """
    if parsed["as_json"] and parsed["jsonl"]:
        raise click.UsageError("--json and --jsonl are two forms of the same output: pick one")
    name_file = parsed.pop("name_file")
    at_servers, names, several = _read_names(parsed.pop("arguments"), name_file)
    first = next(names, None)
    if first is None:
        raise click.UsageError("no names given")
    import sys

    progress_shown = several and not parsed["quiet"] and sys.stderr.isatty()
    request = _group(
        Request,
        parsed,
        names=chain([first], names),
        several=several,
        size_hint=_size_hint(name_file) if progress_shown else None,
    )
    dns = _group(DnsModeOptions, parsed, at_servers=tuple(at_servers))
    modern = _group(ModernModeOptions, parsed)
    mode = _pick_mode(parsed["mode"], dns, modern)
    if parsed["explain"] and not parsed["show_c"]:
        from netkit.cli.explain import explain_resolver

        explain_resolver(mode, parsed)
    if parsed["show_c"]:
        from netkit.cli.show_c import resolve_program

        named = (name for name, _ in request.names)
        return resolve_program(mode, named, {**parsed, "name_file": name_file})
    if mode == "legacy":
        return _legacy(request)
    if mode == "modern":
        return _modern(request, modern)
    return _dns(request, dns)


def _finish(errors: list[str], *, short: bool) -> int:
    """A lone failed lookup is an error line (+short has no other room for it): exit 1."""
    if errors and not short:
        raise NetkitError(errors[0])
    for error in errors:
        emit_message("error", error)
    return ExitStatus.FAILURE if errors else ExitStatus.OK


def _stream_batch(
    request: Request,
    results: Iterable["Result"],
    outcome: "Callable[[Result], Outcome]",
    write: "Callable[[Iterable[Result], BatchForm], None]",
    *,
    expected: int | None = None,
    noun: str = "lookups",
) -> int:
    """Write a batch's results as they come, with the progress display and the summary line.

    Ctrl-C stops it cleanly: what is out stays out, the output is closed (the JSON array, the
    table's box), the summary says it was interrupted, and the exit status is 130.
    """
    from netkit.render.resolve import batch_progress, render_summary
    from netkit.resolve.tally import Tally

    tally = Tally()
    interrupted = False
    try:
        if request.quiet:
            write(tally.count(results, outcome), request.form)
        else:
            with batch_progress(expected, tally) as refresh:
                write(tally.count(results, outcome, refresh), request.form)
    except KeyboardInterrupt:
        interrupted = True
    tally.stop(interrupted=interrupted)
    import sys

    sys.stdout.flush()
    if not request.quiet:
        render_summary(tally, noun)
    if interrupted:
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK if tally.all_answered else ExitStatus.FAILURE


def _system_outcome(result: Any) -> "Outcome":
    return "answered" if result.error is None else "other"


def _system_batch(request: Request, lookup: "Callable[[str], Result]") -> Iterator["Result"]:
    """The system resolver's calls block: a batch waits on several at once, in a bounded
    pool of threads, and its results stream out in input order."""
    from netkit.resolve.pool import ordered_map

    names = (name for name, _types in request.names)
    workers = min(request.concurrency, 32)
    if workers <= 1:
        return (lookup(name) for name in names)
    return ordered_map(lookup, names, workers=workers, ahead=8 * workers)


def _legacy(request: Request) -> int:
    from netkit.render.resolve import render_legacy, stream_legacy
    from netkit.resolve.system import legacy_lookup

    def lookup(name: str) -> "LegacyResult":
        return legacy_lookup(name, reverse=request.reverse)

    if request.several:
        batch = _system_batch(request, lookup)
        return _stream_batch(request, batch, _system_outcome, stream_legacy)
    [(name, _types)] = request.names
    result = lookup(name)
    if request.as_json or request.jsonl or request.short or result.error is None:
        _single(render_legacy, result, request)
    return _finish([result.error] if result.error else [], short=request.short)


def _single(render: Callable[..., None], result: object, request: Request) -> None:
    if request.jsonl:
        from netkit.render.output import emit_json_line

        emit_json_line(result)
        return
    render([result], as_json=request.as_json, short=request.short)


def _modern(request: Request, options: ModernModeOptions) -> int:
    from netkit.render.resolve import render_modern, stream_modern

    lookup = _modern_lookup(options, reverse=request.reverse)
    if request.several:
        batch = _system_batch(request, lookup)
        return _stream_batch(request, batch, _system_outcome, stream_modern)
    [(name, _types)] = request.names
    result = lookup(name)
    if request.as_json or request.jsonl or request.short or result.error is None:
        _single(render_modern, result, request)
    return _finish([result.error] if result.error else [], short=request.short)


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
        options.transport is not None
        or options.at_servers
        or options.servers
        or options.servers_file
    ):
        raise click.UsageError(
            "--https URL names its server: no @SERVER, --server, --servers-file, --tcp, --tls"
        )
    if options.tls_hostname and options.transport != "tls":
        raise click.UsageError("--tls-hostname is for --tls")
    if options.tls_ca and options.transport != "tls" and options.doh_url is None:
        raise click.UsageError("--tls-ca is for --tls or --https")
    return options.transport or ("https" if options.doh_url else "udp")


def _dns(request: Request, options: DnsModeOptions) -> int:
    from netkit.resolve import query

    transport = _transport(options)
    types = _record_types(options.types, request.reverse)
    if options.doh_url is not None:
        servers = [(options.doh_url, options.port or query.DEFAULT_PORTS["https"])]
    else:
        default_port = options.port or query.DEFAULT_PORTS[transport]
        named = [*options.at_servers, *options.servers, *_server_lines(options.servers_file)]
        named = named or query.system_servers()
        try:
            servers = [query.parse_server(server, default_port) for server in named]
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'@SERVER'") from None
    questions = _questions(request, types)
    first = [] if request.several else list(islice(questions, 2))  # one name, several types?
    several = request.several or len(first) > 1
    settings = query.DnsOptions(
        servers=servers,
        transport=transport,
        timeout=options.timeout,
        tries=options.retries + 1,
        recurse=not options.no_recurse,
        dnssec=options.dnssec,
        concurrency=request.concurrency,
        rate=options.rate,
        # A table or +short shows answers only; JSON and the dig-style view show every section.
        answers_only=request.short or (several and request.form == "table"),
        tls_hostname=options.tls_hostname,
        tls_ca=options.tls_ca,
    )
    try:
        if several:
            from netkit.render.resolve import stream_dns

            results = query.stream_queries(chain(first, questions), settings)
            expected = None if request.size_hint is None else request.size_hint * len(types)
            return _stream_batch(
                request, results, query.dns_outcome, stream_dns, expected=expected, noun="queries"
            )
        [result] = query.run_queries(first, settings)
    except query.DoHUnavailableError as error:
        raise NetkitError(str(error)) from None
    from netkit.render.resolve import render_dns

    if request.as_json or request.jsonl or result.rcode is not None:
        _single(render_dns, result, request)
    return _finish([result.error] if result.error else [], short=request.short)


def _server_lines(servers_file: IO[str] | None) -> list[str]:
    if servers_file is None:
        return []
    lines = (line.strip() for line in servers_file)
    return [line for line in lines if line and not line.startswith(("#", ";"))]


def _questions(request: Request, types: list[str]) -> Iterator["DnsQuestion"]:
    """A question for each name and type: the types of its batch line, or those of -t."""
    from netkit.resolve.query import DnsQuestion
    from netkit.resolve.wire import type_text, type_value

    def canonical(text: str) -> str:
        try:
            return type_text(type_value(text))
        except ValueError:
            return text  # asked as written: its result says the type is unknown

    for name, line_types in request.names:
        for rdtype in [canonical(text) for text in line_types] or types:
            yield DnsQuestion(name, rdtype, request.reverse)
