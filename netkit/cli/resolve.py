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
from netkit.cli.options import PortType, json_option, list_option
from netkit.cli.show_c import show_c_option
from netkit.errors import ExitStatus, NetkitError
from netkit.render.output import emit_message

if TYPE_CHECKING:
    from netkit.cli.dig_grammar import DigReading
    from netkit.render.resolve import BatchForm, SystemResult, WrittenChunk
    from netkit.resolve.compare import Comparison
    from netkit.resolve.inflight import Server
    from netkit.resolve.query import DnsOptions, DnsQuestion, Transport
    from netkit.resolve.system import LegacyResult, ModernResult, SockType
    from netkit.resolve.tally import Counts, Outcome, Result, Tally

Mode = Literal["legacy", "modern", "dns", "diagnose", "trace", "compare"]


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
    from_file: bool  # -f FILE is a regular file: names are there at once, none waits on a pipe

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
    show_ttl: Annotated[bool, "--ttl"] = False
    # EDNS options and header bits, as dig's and kdig's (edns.py builds them).
    nsid: Annotated[bool, "--nsid"] = False
    subnet: Annotated[str | None, "--subnet"] = None
    cookie: Annotated[str | None, "--cookie"] = None  # "random": a random client cookie
    padding: Annotated[bool, "--padding"] = False
    bufsize: Annotated[int | None, "--bufsize"] = None
    no_edns: Annotated[bool, "--no-edns"] = False
    ednsopt: Annotated[tuple[str, ...], "--ednsopt"] = ()
    cd: Annotated[bool, "--cd"] = False
    ad: Annotated[bool, "--ad"] = False
    search: Annotated[bool, "--search"] = False
    typed_names: Annotated[bool, "a record type after NAME"] = False  # dig's NAME TYPE
    serial: Annotated[int | None, "--serial"] = None  # IXFR from this serial
    rdclass: Annotated[str, "-c {}"] = "IN"  # dig's -c CH or NAME CH TXT


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
) -> tuple["DigReading", Iterator[NameLine], bool]:
    """Sort the arguments as dig reads them (@SERVER, NAME [TYPE...], +options: see
    cli/dig_grammar.py); the names of -f FILE follow, read as needed.

    Returns what the arguments say, the names, and whether they make a batch: -f FILE
    (however many lines it has: nothing is read ahead to find out) or several names.
    """
    from netkit.cli.dig_grammar import read_arguments

    reading = read_arguments(arguments)
    if name_file is None:
        return reading, iter(reading.names), len(reading.names) > 1
    return reading, chain(reading.names, _batch_lines(name_file)), True


def _apply_dig_reading(parsed: dict[str, Any], reading: "DigReading") -> None:
    """Set what dig's +options and NAME TYPE arguments stand for among click's values."""
    from netkit.cli.dig_grammar import apply_options

    command = click.get_current_context().command
    modes = {str(p.flag_value) for p in command.params if p.name == "mode"}  # type: ignore[attr-defined]  # the mode flags are click Options
    apply_options(parsed, reading.options, modes)
    if reading.serial is not None:
        if parsed["serial"] not in (None, reading.serial):
            raise click.UsageError("IXFR=SERIAL and --serial disagree: give one")
        parsed["serial"] = reading.serial
    parsed["typed_names"] = any(types for _name, types in reading.names)
    parsed["rdclass"] = _question_class(parsed.pop("class_option"), reading.rdclass)


def _question_class(option: str | None, after_name: str | None) -> str:
    """-c CLASS and a class after the name (dig takes both); they must agree."""
    from netkit.cli.dig_grammar import class_mnemonic, is_class

    if option is not None and not is_class(option):
        raise click.BadParameter(f"{option!r} is not a DNS class (IN, CH, HS)", param_hint="'-c'")
    chosen = class_mnemonic(option) if option is not None else None
    if chosen is not None and after_name is not None and chosen != after_name:
        raise click.UsageError(f"-c {chosen} and the class {after_name} after the name disagree")
    return after_name or chosen or "IN"


def _note_hosts_file(names: list[NameLine], dns: DnsModeOptions) -> None:
    """-t alone turns a lookup into a DNS query: say so when /etc/hosts would have answered."""
    if not names or any(flag not in ("-t", "a record type after NAME") for flag in _given(dns)):
        return
    from netkit.resolve.system import names_in_hosts_file

    listed = names_in_hosts_file([name for name, _types in names])
    if listed:
        emit_message(
            "note",
            f"-t implies --dns: asking DNS, not /etc/hosts, for {listed[0]}; "
            "use --modern to see what programs get",
        )


def _batch_lines(name_file: IO[str]) -> Iterator[NameLine]:
    """Lines 'NAME [TYPE ...]' (blank lines, # and ; comments skipped), as dig -f reads them."""
    for line in name_file:
        fields = line.split()
        if fields and not fields[0].startswith(("#", ";")):
            yield fields[0], tuple(fields[1:])


def _regular_file(name_file: IO[str] | None) -> bool:
    import os
    import stat

    if name_file is None or not hasattr(name_file, "name"):
        return False
    try:
        return stat.S_ISREG(os.fstat(name_file.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _size_hint(name_file: IO[str] | None) -> int | None:
    """The lines of a regular file (a first quick pass in binary), for the progress display."""
    if name_file is None or not _regular_file(name_file):
        return None
    try:
        with open(name_file.name, "rb") as counting:
            return sum(block.count(b"\n") for block in iter(lambda: counting.read(1 << 20), b""))
    except (OSError, ValueError):
        return None


def _pick_mode(mode: Mode | None, dns: DnsModeOptions, modern: ModernModeOptions) -> Mode:
    """DNS options imply --dns (and are a usage error with another mode; --trace takes them
    and says which it refuses); getaddrinfo hints are only for --modern (-4/-6 also --trace)."""
    dns_given = _given(dns)
    if dns_given and mode in ("legacy", "modern"):
        raise click.UsageError(f"{dns_given[0]} is for --dns queries, not --{mode}")
    chosen: Mode = "dns" if dns_given and mode is None else mode or "legacy"
    if dns.show_ttl and chosen != "compare":
        raise click.UsageError("--ttl is for --compare (--dns shows TTLs already)")
    modern_given = [flag for flag in _given(modern) if (chosen, flag) != ("trace", "-4/-6")]
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


class _ResolveCommand(click.Command):
    """--cookie takes its value attached only (--cookie=HEX, as dig's +cookie=HEX): a bare
    --cookie must not swallow the NAME after it, as an option with an optional value would."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        bare = [i for i, arg in enumerate(args[:end]) if arg == "--cookie"]
        rewritten = [f"--cookie={COOKIE_RANDOM}" if i in bare else a for i, a in enumerate(args)]
        return super().parse_args(ctx, rewritten)


COOKIE_RANDOM = "random"  # what a bare --cookie stands for: a random client cookie


@click.command(cls=_ResolveCommand)
@click.argument("arguments", nargs=-1, metavar="[@SERVER] NAME [TYPE...] [+OPTION...]...")
@click.option(
    "-f",
    "--file",
    "name_file",
    type=click.File("r", errors="replace"),
    metavar="FILE",
    help="Read names from FILE as needed, one a line ('-' for stdin; blank and # lines "
    "skipped). With --dns a line may name record types after the name: NAME [TYPE ...].",
)
@click.option("--legacy", "mode", flag_value="legacy", help="gethostbyname (the default).")
@click.option("--modern", "mode", flag_value="modern", help="getaddrinfo / getnameinfo.")
@click.option("--dns", "mode", flag_value="dns", help="Query DNS servers directly, like dig.")
@click.option(
    "--diagnose",
    "mode",
    flag_value="diagnose",
    help="Explain why programs and dig disagree about NAME: nsswitch.conf, /etc/hosts, "
    "resolv.conf, the names tried, direct answers, getaddrinfo, and a verdict.",
)
@click.option(
    "--trace",
    "mode",
    flag_value="trace",
    help="Resolve iteratively from the root, like dig +trace: each delegation step explained "
    "(with @SERVER, the root servers are those it names).",
)
@click.option(
    "--hints",
    type=click.File("r", errors="replace"),
    metavar="FILE",
    help="--trace: start from the root servers of FILE (root hints format, as BIND's "
    "named.root) instead of the built-in IANA list.",
)
@click.option(
    "--compare",
    "mode",
    flag_value="compare",
    help="Ask every server the same questions at once; a column per server, differences marked.",
)
@click.option("--ttl", "show_ttl", is_flag=True, help="--compare: show each record's TTL.")
@click.option("-x", "--reverse", is_flag=True, help="NAMEs are addresses: reverse lookups (PTR).")
@click.option("-4", "family", flag_value="4", help="--modern, --trace: IPv4 only.")
@click.option("-6", "family", flag_value="6", help="--modern, --trace: IPv6 only.")
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
@list_option(
    "-t",
    "--type",
    "types",
    shell_complete=complete_record_type,
    metavar="TYPE",
    help="Record types: A, AAAA, MX, TXT, SRV, ... (a comma list, repeatable; default A).",
)
@list_option(
    "-s",
    "--server",
    "servers",
    metavar="ADDR",
    help="Servers to ask (a comma list, repeatable: a batch spreads its queries over them, "
    "and asks the others while one stops answering).",
)
@click.option(
    "--servers-file",
    type=click.File("r", errors="replace"),
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
    type=PortType(lowest=1),
    metavar="PORT",
    help="Server port, a number or a service name (53, domain; 853 with --tls).",
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
@click.option(
    "--serial",
    type=click.IntRange(0, 2**32 - 1),
    metavar="N",
    help="-t IXFR: the serial to transfer the changes from (dig's IXFR=N).",
)
@click.option("--no-recurse", is_flag=True, help="Clear the RD bit (ask for a referral).")
@click.option("--dnssec", is_flag=True, help="Set the DO bit: ask for DNSSEC records.")
@click.option("--nsid", is_flag=True, help="Ask for the server's identifier (NSID, RFC 5001).")
@click.option(
    "--subnet",
    metavar="ADDR[/LEN]",
    help="Send an EDNS Client Subnet (RFC 7871), as dig +subnet: 192.0.2.0/24, 2001:db8::/48.",
)
@click.option(
    "--cookie",
    metavar="[=HEX]",
    help="Send a DNS cookie (RFC 7873): a random client cookie, or --cookie=HEX (8 octets, or "
    "16 to 40 with a server cookie).",
)
@click.option(
    "--padding",
    is_flag=True,
    help="Pad each query to a multiple of 128 octets (RFC 7830, RFC 8467's block for queries).",
)
@click.option(
    "--bufsize",
    type=click.IntRange(0, 65535),
    metavar="N",
    help="The EDNS UDP payload size to advertise (default 1232).",
)
@click.option("--no-edns", is_flag=True, help="Send no OPT record (plain RFC 1035 queries).")
@list_option(
    "--ednsopt",
    metavar="CODE[:HEX]",
    help="Add EDNS options by number or name, with their data in hex (a comma list, repeatable).",
)
@click.option("--cd", is_flag=True, help="Set the CD bit: checking disabled (no validation).")
@click.option("--ad", is_flag=True, help="Set the AD bit in the query (ask whether it validated).")
@click.option(
    "--search",
    is_flag=True,
    help="Try each name with the search list and ndots of /etc/resolv.conf, like dig +search.",
)
@click.option("--short", is_flag=True, help="Print only the answers, like dig +short.")
@click.option(
    "-c",
    "--class",
    "class_option",
    metavar="CLASS",
    help="The class of the questions: IN (the default), CH or HS, as dig -c; a class after the "
    "NAME says the same.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 10000),
    metavar="N",
    default=64,
    show_default=True,
    help="Queries in flight at once in a batch (several names, or -f FILE).",
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
    help="A batch shows no progress on the terminal and no summary line on stderr (nor does "
    "a zone transfer).",
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
      netkit resolve --trace www.example.com     from the root down, each step explained

    A batch (several names, or -f FILE) streams: names are read as they are needed and each
    result is written as soon as the ones before it are, so a million names run in the memory
    of a few thousand. --modern and --legacy batches run on a pool of up to 32 threads (-c).
    A batch ends with a summary line on stderr, and shows its progress there on a terminal.

    --compare asks every server every question and exits 1 when any two differ.

    @SERVER, --server, -t, --port, --tcp, --tls, --https, --no-recurse, --dnssec and the
    EDNS options (--nsid, --subnet, --cookie, ...) imply --dns. Without a server, --dns asks
    the nameservers of /etc/resolv.conf. A truncated UDP reply is asked again over TCP. Names
    may be internationalized (IDNA 2008).

    dig's arguments work too: @ADDR#PORT, @ADDR:PORT, @[V6]:PORT; a record type after a name
    (example.com MX; a later name that spells a type ends in a dot: MX.); +short, +tcp,
    +notcp, +dnssec, +norec, +nsid, +cd, +noedns, +search. -t AXFR, or -t IXFR --serial N,
    transfers a zone over TCP.

    Exit status: 0 when every query got an answer, 1 when any did not (NXDOMAIN, NODATA,
    SERVFAIL, timeout, invalid name, ...), in every form: NODATA with --short prints nothing
    and exits 1 (dig +short exits 0). --trace exits 0 once an authoritative reply came (NXDOMAIN
    too, as dig), --diagnose once the diagnosis ran, --compare 1 when servers differ. 2 for
    usage errors, 130 when interrupted, 141 when the output was closed.
    """
    if parsed["as_json"] and parsed["jsonl"]:
        raise click.UsageError("--json and --jsonl are two forms of the same output: pick one")
    name_file = parsed.pop("name_file")
    hints = parsed.pop("hints")
    reading, names, several = _read_names(parsed.pop("arguments"), name_file)
    _apply_dig_reading(parsed, reading)
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
        from_file=_regular_file(name_file),
    )
    dns = _group(DnsModeOptions, parsed, at_servers=tuple(reading.servers))
    modern = _group(ModernModeOptions, parsed)
    if hints is not None and parsed["mode"] != "trace":
        raise click.UsageError("--hints is for --trace")
    # --diagnose takes its own few options (it says which others do not go with it).
    mode = "diagnose" if parsed["mode"] == "diagnose" else _pick_mode(parsed["mode"], dns, modern)
    if mode in ("legacy", "modern"):
        _refuse_dns_waits(mode)
    if mode == "dns" and parsed["mode"] is None:
        _note_hosts_file(reading.names, dns)
    if len(reading.names) > 1 and _transfers(dns, reading.names):
        raise click.UsageError(_ONE_TRANSFER)  # not AXFR queries over UDP for a batch
    if not several and mode != "dns":  # --dns knows only later (one name, several types)
        _refuse_batch_options()
    if parsed["show_c"]:
        from netkit.cli.show_c import resolve_program

        named = (name for name, _ in request.names)
        return resolve_program(mode, named, {**parsed, "name_file": name_file})
    if parsed["explain"]:
        from netkit.cli.explain import explain_resolver

        if mode == "dns" and _transfers(dns, reading.names):
            raise click.UsageError("--explain narrates queries, not zone transfers")

        explain_resolver(mode, parsed)
    run: dict[Mode, Callable[[], int]] = {
        "legacy": lambda: _legacy(request),
        "modern": lambda: _modern(request, modern),
        "dns": lambda: _dns(request, dns),
        "compare": lambda: _compare(request, dns),
        "trace": lambda: _trace(request, dns, modern.family, hints),
        "diagnose": lambda: _diagnose(request, dns, _given(modern), name_file),
    }
    return run[mode]()


def _given_on_command_line(name: str) -> bool:
    """Whether the option of that parameter name was given, even at its default value."""
    from click.core import ParameterSource

    source = click.get_current_context().get_parameter_source(name)
    return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def _refuse_dns_waits(mode: Mode) -> None:
    """--timeout and --retries pace netkit's own queries: the system resolver takes its own
    from resolv.conf (options timeout:N attempts:N) or RES_OPTIONS, never from netkit."""
    for name in ("timeout", "retries"):
        if _given_on_command_line(name):
            raise click.UsageError(
                f"--{name} is for DNS queries, not --{mode}: the system resolver reads "
                "RES_OPTIONS='timeout:N attempts:N'"
            )


def _refuse_batch_options() -> None:
    """--concurrency and -q shape a batch (how many at once; its progress and summary): a
    lone lookup has neither, so they would be taken and do nothing."""
    for name, flag in (("concurrency", "--concurrency"), ("quiet", "-q")):
        if _given_on_command_line(name):
            raise click.UsageError(
                f"{flag} is for a batch (several names, or -f FILE): one name is one lookup"
            )


def _transfers(dns: DnsModeOptions, names: list[NameLine]) -> bool:
    """Whether the command line asks for a zone transfer (-t AXFR, IXFR=N, --serial...)."""
    types = [*dns.types, *(rdtype for _name, line in names for rdtype in line)]
    from netkit.resolve.wire import TRANSFER_TYPES

    return dns.serial is not None or any(t.upper() in TRANSFER_TYPES for t in types)


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
    from netkit.resolve.tally import Tally

    tally = Tally()
    return _run_batch(
        request,
        tally,
        lambda refresh: write(tally.count(results, outcome, refresh), request.form),
        expected=expected,
        noun=noun,
    )


def _run_batch(
    request: Request,
    tally: "Tally",
    run: "Callable[[Callable[[], None] | None], None]",
    *,
    expected: int | None,
    noun: str,
) -> int:
    """Run a batch (run writes its results, counting them in tally and calling the refresh
    function it is given, if any), with the progress display, the summary line and Ctrl-C
    handled as _stream_batch says."""
    from netkit.render.resolve import batch_progress, render_summary

    interrupted = False
    try:
        if request.quiet:
            run(None)
        else:
            with batch_progress(expected, tally) as refresh:
                run(refresh)
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

    return _system_lookups(request, lookup, render_legacy, stream_legacy)


def _system_lookups(
    request: Request,
    lookup: "Callable[[str], SystemResult]",
    render: Callable[..., None],
    stream: "Callable[[Iterable[SystemResult], BatchForm], None]",
) -> int:
    """--legacy and --modern alike: a batch streamed from a pool of threads, or one lookup shown
    (its error alone when it failed and the form has no room for it)."""
    if request.several:
        batch = _system_batch(request, lookup)
        return _stream_batch(request, batch, _system_outcome, stream)
    [(name, _types)] = request.names
    result = lookup(name)
    if request.as_json or request.jsonl or request.short or result.error is None:
        _single(render, result, request)
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
    return _system_lookups(request, lookup, render_modern, stream_modern)


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
        servers = _named_servers(options, transport)
    line_types: tuple[str, ...] = ()
    if not request.several:  # one NAME argument, no -f FILE: safe to read ahead
        lone = list(request.names)
        request = request._replace(names=iter(lone))
        line_types = lone[0][1]
    from netkit.resolve.wire import TRANSFER_TYPES

    if options.serial is not None or TRANSFER_TYPES & {*types, *line_types}:
        return _zone_transfer(request, options, types, servers)
    questions = _questions(request, types)
    first = [] if request.several else list(islice(questions, 2))  # one name, several types?
    several = request.several or len(first) > 1
    if not several:
        _refuse_batch_options()
    # A table or +short shows answers only; JSON and the dig-style view show every section.
    answers_only = request.short or (several and request.form == "table")
    settings = _query_settings(request, options, servers, transport, answers_only=answers_only)
    try:
        if several:
            from netkit.render.resolve import stream_dns

            expected = None if request.size_hint is None else request.size_hint * len(types)
            workers = _bulk_workers(request, settings)
            if workers:
                # A file of at least a chunk of names goes to worker processes; the names
                # read to find out (at once, from a regular file) go back in front.
                head = list(islice(request.names, BULK_CHUNK))
                request = request._replace(names=chain(head, request.names))
                if len(head) == BULK_CHUNK:
                    return _dns_in_workers(request, types, settings, workers, expected)
                questions = _questions(request, types)
            results = query.stream_queries(chain(first, questions), settings)
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


# Names a worker process resolves at a time in a bulk batch (resolve/split.py): a file of
# fewer stays in the command's process, which saves forking for a few names.
BULK_CHUNK = 2048


def _bulk_workers(request: Request, settings: "DnsOptions") -> int:
    """Worker processes for a --dns batch: none (0) when it stays in this process.

    A batch over UDP from a file of at least a chunk of names is split when its output is not
    a terminal (a person reading it gains nothing from the speed, and a terminal shows each
    line as its result comes, which chunks would delay). Names from a pipe stay in this
    process, which answers each as it comes rather than waiting for a chunk of them. With
    --rate a batch stays whole, since the rate is the limit; with --search each name waits for
    its candidates in turn anyway; TCP and encrypted transports keep their connections in one
    process.
    """
    import sys

    if not request.from_file:
        return 0
    if settings.transport != "udp" or settings.rate or settings.search is not None:
        return 0
    if sys.stdout.isatty():
        return 0
    from netkit.resolve.split import worker_count

    # The workers share --concurrency: each needs a query in flight at least.
    workers = min(worker_count(), settings.concurrency)
    return workers if workers >= 2 else 0


def _dns_in_workers(
    request: Request,
    types: list[str],
    settings: "DnsOptions",
    workers: int,
    expected: int | None,
) -> int:
    """A --dns batch resolved in worker processes, a chunk of names each at a time, and
    written here in input order: each worker runs the query engine and writes its chunk's
    output (render/resolve.py dns_chunk); this process writes the chunks and counts them."""
    from dataclasses import replace

    from netkit.render.resolve import dns_chunk, stream_dns_chunks
    from netkit.resolve import query
    from netkit.resolve.inflight import ServerChoice
    from netkit.resolve.split import WorkerLostError, ordered_chunks
    from netkit.resolve.tally import Tally

    form = request.form
    # --concurrency is the batch's: the workers share it, so a server sees no more at once.
    settings = replace(settings, concurrency=max(1, settings.concurrency // workers))

    # Made before the workers fork: each keeps its own across its chunks, so a server it has
    # set aside stays aside rather than costing every chunk a timeout.
    choice = ServerChoice(settings.servers)

    def work(lines: list[NameLine]) -> "tuple[WrittenChunk, Counts]":
        counting = Tally()
        questions = _questions(request._replace(names=iter(lines)), types)
        asked = query.stream_queries(questions, settings, choice=choice)
        results = counting.count(asked, query.dns_outcome)
        written = dns_chunk(results, form)
        return written, counting.counts()

    tally = Tally()
    chunks = ordered_chunks(work, request.names, workers=workers, chunk=BULK_CHUNK)

    def run(refresh: "Callable[[], None] | None") -> None:
        try:
            stream_dns_chunks(tally.count_chunks(chunks, refresh), form)
        except WorkerLostError as error:
            raise NetkitError(str(error)) from None
        finally:
            chunks.close()  # the workers end now, not when the generator is collected

    return _run_batch(request, tally, run, expected=expected, noun="queries")


def _check_ports(named: list[str], port: int | None) -> None:
    """A server that names its port (ADDR#PORT, ADDR:PORT) and --port too: refuse, rather
    than let one silently win."""
    from netkit.resolve.query import split_server

    if port is None:
        return
    for server in named:
        if split_server(server)[1] is not None:
            raise click.UsageError(f"'{server}' names its port and so does -p/--port: give one")


_ONE_TRANSFER = "a zone transfer is one zone and one type (AXFR or IXFR)"
# What a zone transfer takes: one server and how to reach it over TCP, the zone and the type.
_TRANSFER_FLAGS = ("@SERVER", "--server", "-t", "a record type after NAME", "--port", "--tcp",
                   "--serial")  # fmt: skip


def _zone_transfer(
    request: Request, options: DnsModeOptions, types: list[str], servers: list["Server"]
) -> int:
    """AXFR, or IXFR from --serial: always over TCP, the records streamed as they come."""
    from netkit.render.xfr import render_transfer_summary, stream_transfer
    from netkit.resolve.wire import TRANSFER_TYPES
    from netkit.resolve.xfr import Transfer

    names = list(islice(request.names, 2))
    if len(names) != 1 or len(names[0][1] or types) != 1:
        raise click.UsageError(_ONE_TRANSFER)
    rdtype = (names[0][1] or types)[0].upper()
    if rdtype != "IXFR" and options.serial is not None:
        raise click.UsageError("--serial is for -t IXFR")
    if rdtype == "IXFR" and options.serial is None:
        raise click.UsageError("-t IXFR needs --serial N (or IXFR=N): the serial you have")
    if request.reverse:
        raise click.UsageError("a zone transfer names its zone: 2.0.192.in-addr.arpa, not -x")
    if rdtype not in TRANSFER_TYPES:
        raise click.UsageError(f"a zone transfer is -t AXFR or -t IXFR, not -t {rdtype}")
    if options.transport == "tls" or options.doh_url is not None:
        raise click.UsageError("zone transfers go over TCP: no --tls or --https")
    if options.rdclass != "IN":
        raise click.UsageError(f"netkit transfers class IN zones, not {options.rdclass}")
    _refuse_query_options(options, servers)
    server = servers[0]
    transfer = Transfer(
        _zone_name(names[0][0]),
        server=server,
        rdtype="IXFR" if rdtype == "IXFR" else "AXFR",
        serial=options.serial,
        timeout=options.timeout,
    )
    form = request.form if request.form != "table" else "text"
    try:
        error = stream_transfer(transfer.messages(), form, lambda: transfer.summary)
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    if error is not None:
        raise NetkitError(error)
    if transfer.summary is not None and not request.quiet:
        render_transfer_summary(transfer.summary, form)
    return ExitStatus.OK


def _refuse_query_options(options: DnsModeOptions, servers: list["Server"]) -> None:
    """A transfer refuses what it would otherwise ignore: query options, a second server."""
    refused = [flag for flag in _given(options) if flag not in _TRANSFER_FLAGS]
    if refused:
        raise click.UsageError(f"{refused[0]} is for queries, not zone transfers")
    if len(servers) > 1:
        raise click.UsageError(f"a zone transfer asks one server, not {len(servers)}")
    if _given_on_command_line("retries"):
        raise click.UsageError("--retries is for queries: a zone transfer is asked once")


def _zone_name(name: str) -> str:
    from netkit.resolve.names import InvalidNameError, host_name

    try:
        return host_name(name).ascii
    except InvalidNameError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None


def _named_servers(options: DnsModeOptions, transport: "Transport") -> list["Server"]:
    """@SERVER, --server and --servers-file in that order (resolv.conf's when none), each with
    its own port or the transport's default; a port both in @SERVER and -p is refused."""
    from netkit.resolve import query

    default_port = options.port or query.DEFAULT_PORTS[transport]
    named = [*options.at_servers, *options.servers, *_server_lines(options.servers_file)]
    named = named or query.system_servers()
    try:
        _check_ports(named, options.port)
        return [query.parse_server(server, default_port) for server in named]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'@SERVER'") from None


def _query_settings(
    request: Request,
    options: DnsModeOptions,
    servers: list["Server"],
    transport: "Transport",
    *,
    answers_only: bool,
) -> "DnsOptions":
    """How the engine asks: the same for --dns and --compare."""
    from netkit.resolve import query

    return query.DnsOptions(
        servers=servers,
        transport=transport,
        timeout=options.timeout,
        tries=options.retries + 1,
        recurse=not options.no_recurse,
        dnssec=options.dnssec,
        concurrency=request.concurrency,
        rate=options.rate,
        answers_only=answers_only,
        tls_hostname=options.tls_hostname,
        tls_ca=options.tls_ca,
        **_edns_settings(options),
        rdclass=options.rdclass,
    )


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

    reverse = request.reverse
    for name, line_types in request.names:
        for rdtype in [canonical(text) for text in line_types] if line_types else types:
            yield DnsQuestion(name, rdtype, reverse)


def _diagnose(
    request: Request, options: DnsModeOptions, modern: list[str], name_file: IO[str] | None
) -> int:
    """--diagnose NAME: takes one name, --timeout, --retries, extra servers (-s, @SERVER) and
    --json; it runs getaddrinfo its own ways, so it refuses the others."""
    from netkit.resolve.diagnose import diagnose
    from netkit.resolve.names import InvalidNameError
    from netkit.resolve.query import parse_server

    refused = [flag for flag in _given(options) if flag not in ("@SERVER", "--server")]
    refused += modern
    refused += ["-f"] * (name_file is not None) + ["-x"] * request.reverse
    refused += ["--short"] * request.short + ["--jsonl"] * request.jsonl
    if refused:
        raise click.UsageError(f"{refused[0]} does not go with --diagnose")
    names = [name for name, _types in request.names]
    if len(names) != 1:
        raise click.UsageError("--diagnose takes one NAME")
    try:
        extra = [parse_server(s, 53) for s in (*options.at_servers, *options.servers)]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'@SERVER'") from None
    try:
        diagnosis = diagnose(
            names[0], extra_servers=extra, timeout=options.timeout, tries=options.retries + 1
        )
    except InvalidNameError as error:
        raise NetkitError(str(error)) from None
    from netkit.render.diagnose import render_diagnosis

    render_diagnosis(diagnosis, as_json=request.as_json)
    return ExitStatus.OK


def _trace(
    request: Request, options: DnsModeOptions, family: str | None, hints: IO[str] | None
) -> int:
    """--trace: one name walked down from the root; exit 0 once an authoritative reply came."""
    from netkit.resolve.names import InvalidNameError
    from netkit.resolve.trace import TraceSettings, parse_hints, root_hints, trace, trace_name

    allowed = ("-t", "a record type after NAME", "--port", "--tcp", "--dnssec", "@SERVER",
               "--server")  # fmt: skip
    refused = [flag for flag in _given(options) if flag not in allowed]
    if refused:
        finds_servers = refused[0] in ("--servers-file", "--https", "--rate")
        why = ": it finds each server itself, from the root servers" if finds_servers else ""
        raise click.UsageError(f"{refused[0]} does not go with --trace{why}")
    # @SERVER names the root servers (asked of it with recursion, as dig +trace @SERVER does),
    # in place of the root hints: one server, and not with --hints.
    named = [*options.at_servers, *options.servers]
    if len(named) > 1:
        raise click.UsageError("--trace asks one @SERVER for the root servers")
    if named and hints is not None:
        raise click.UsageError("@SERVER and --hints both give the root servers: give one")
    _check_ports(named, options.port)
    roots_from = None
    if named:
        from netkit.resolve.query import parse_server

        try:
            roots_from = parse_server(named[0], options.port or 53)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'@SERVER'") from None
    if request.several or request.jsonl:
        raise click.UsageError("--trace follows one name (and writes --json, not --jsonl)")
    [(name, typed)] = request.names
    types = _record_types(typed or options.types, request.reverse)
    if len(types) != 1:
        raise click.UsageError("--trace asks one record type (-t) at the end")
    try:
        servers = root_hints() if hints is None else parse_hints(hints.read())
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--hints'") from None
    try:
        qname = trace_name(name, reverse=request.reverse)
    except InvalidNameError as error:
        raise NetkitError(str(error)) from None
    settings = TraceSettings(
        port=options.port or 53,
        tcp=options.transport == "tcp",
        timeout=options.timeout,
        tries=options.retries + 1,
        family="4" if family == "4" else "6" if family == "6" else None,
        dnssec=options.dnssec,
    )
    from netkit.render.trace import render_trace

    result = render_trace(
        trace(qname, types[0], settings, servers, roots_from=roots_from),
        as_json=request.as_json,
        short=request.short,
    )
    return _finish([result.error] if result.error else [], short=request.short)


def _compare(request: Request, options: DnsModeOptions) -> int:
    """--compare: every server asked every question; a row each, exit 1 on any difference."""
    from netkit.render.compare import stream_compare
    from netkit.resolve.compare import compare_servers

    if options.doh_url is not None:
        raise click.UsageError("--compare asks @SERVER/--server servers, not --https")
    if request.short:
        raise click.UsageError("--short has no room for several servers: --compare shows a table")
    transport = _transport(options)
    servers = _named_servers(options, transport)
    if len(servers) < 2:
        emit_message("note", "--compare has one server to ask: nothing to compare it with")
    settings = _query_settings(request, options, servers, transport, answers_only=False)
    asked = disagreements = 0

    def counted(comparisons: Iterable["Comparison"]) -> Iterator["Comparison"]:
        nonlocal asked, disagreements
        for comparison in comparisons:
            asked += 1
            disagreements += not comparison.agree
            yield comparison

    questions = _questions(request, _record_types(options.types, request.reverse))
    columns = ["{}#{}".format(*server) for server in servers]
    comparisons = compare_servers(questions, servers, settings)
    interrupted = False
    try:
        stream_compare(counted(comparisons), columns, request.form, ttl=options.show_ttl)
    except KeyboardInterrupt:
        interrupted = True
    if request.several and not request.quiet:
        import sys

        sys.stdout.flush()
        emit_message(
            "summary",
            f"{asked:,} questions asked of {len(servers)} servers: {disagreements:,} differ"
            + (", interrupted" if interrupted else ""),
        )
    if interrupted:
        return ExitStatus.INTERRUPTED
    return ExitStatus.FAILURE if disagreements else ExitStatus.OK


def _edns_settings(options: DnsModeOptions) -> dict[str, Any]:
    """The DnsOptions fields of the EDNS options and header bits (--nsid, --cd, --search...)."""
    from netkit.resolve import edns

    query_options: list[tuple[int, bytes]] = []
    try:
        if options.nsid:
            query_options.append((edns.NSID, b""))
        if options.subnet is not None:
            query_options.append((edns.CLIENT_SUBNET, edns.client_subnet(options.subnet)))
        if options.cookie is not None:
            cookie = None if options.cookie == COOKIE_RANDOM else options.cookie
            query_options.append((edns.COOKIE, edns.client_cookie(cookie)))
        query_options += [edns.parse_ednsopt(text) for text in options.ednsopt]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    settings: dict[str, Any] = {"checking_disabled": options.cd, "authentic_data": options.ad}
    if options.search:
        from netkit.resolve.query import RESOLV_CONF
        from netkit.resolve.search import read_search_list

        settings["search"] = read_search_list(RESOLV_CONF)
    if options.no_edns:
        edns_given = [flag for flag in _given(options) if flag in _EDNS_FLAGS]
        if edns_given:
            raise click.UsageError(f"{edns_given[0]} needs EDNS: not with --no-edns")
        settings["edns"] = None
    elif query_options or options.padding or options.bufsize is not None:
        payload = edns.DEFAULT_EDNS.payload if options.bufsize is None else options.bufsize
        settings["edns"] = edns.QueryEdns(payload, tuple(query_options), options.padding)
    return settings


# The options that put something in the OPT record, which --no-edns leaves out.
_EDNS_FLAGS = ("--dnssec", "--nsid", "--subnet", "--cookie", "--padding", "--bufsize", "--ednsopt")
