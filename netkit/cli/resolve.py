"""`netkit resolve`: gethostbyname, getaddrinfo, or direct DNS queries like dig."""

from typing import IO, Literal

import click

from netkit.cli.completers import complete_record_type
from netkit.cli.options import json_option
from netkit.errors import ExitStatus, NetkitError
from netkit.render.output import emit_message

Mode = Literal["legacy", "modern", "dns"]
SOCKTYPE_CHOICES = ("stream", "dgram", "raw", "any")


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


def _pick_mode(mode: Mode | None, dns_options: list[str]) -> Mode:
    """DNS-only options imply --dns; with --modern they are a usage error."""
    if dns_options and mode in ("legacy", "modern"):
        raise click.UsageError(f"{dns_options[0]} is for --dns queries, not --{mode}")
    if dns_options:
        return "dns"
    return mode or "legacy"


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
    type=click.Choice(SOCKTYPE_CHOICES),
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
def resolve(
    *,
    arguments: tuple[str, ...],
    name_file: IO[str] | None,
    mode: Mode | None,
    reverse: bool,
    family: str | None,
    service: str | None,
    socktype: Literal["stream", "dgram", "raw", "any"],
    addrconfig: bool,
    types: tuple[str, ...],
    servers: tuple[str, ...],
    port: int | None,
    transport: Literal["tcp", "tls"] | None,
    doh_url: str | None,
    tls_hostname: str | None,
    tls_ca: str | None,
    timeout: float,
    retries: int,
    no_recurse: bool,
    dnssec: bool,
    short: bool,
    concurrency: int,
    as_json: bool,
) -> int:
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
    at_servers, names = _read_names(arguments, name_file)
    if not names:
        raise click.UsageError("no names given")
    dns_options = [
        flag
        for flag, given in (
            ("@SERVER", bool(at_servers)),
            ("--server", bool(servers)),
            ("-t", bool(types)),
            ("--port", port is not None),
            (f"--{transport}", transport is not None),
            ("--https", doh_url is not None),
            ("--tls-hostname", tls_hostname is not None),
            ("--tls-ca", tls_ca is not None),
            ("--no-recurse", no_recurse),
            ("--dnssec", dnssec),
        )
        if given
    ]
    chosen = _pick_mode(mode, dns_options)
    if chosen != "modern":
        for flag, given in (
            ("-4/-6", family is not None),
            ("--service", service is not None),
            ("--addrconfig", addrconfig),
            ("--socktype", socktype != "stream"),
        ):
            if given:
                raise click.UsageError(f"{flag} is for --modern (getaddrinfo)")
    if chosen == "legacy":
        return _legacy(names, reverse=reverse, as_json=as_json, short=short)
    if chosen == "modern":
        return _modern(
            names,
            reverse=reverse,
            family=family,
            service=service,
            socktype=socktype,
            addrconfig=addrconfig,
            as_json=as_json,
            short=short,
            concurrency=concurrency,
        )
    if doh_url is not None and (transport is not None or at_servers or servers):
        raise click.UsageError("--https URL names its server: no @SERVER, --server, --tcp, --tls")
    if tls_hostname and transport != "tls":
        raise click.UsageError("--tls-hostname is for --tls")
    if tls_ca and transport != "tls" and doh_url is None:
        raise click.UsageError("--tls-ca is for --tls or --https")
    return _dns(
        names,
        reverse=reverse,
        types=_record_types(types, reverse),
        servers=[*at_servers, *servers],
        port=port,
        transport=transport or ("https" if doh_url else "udp"),
        doh_url=doh_url,
        timeout=timeout,
        retries=retries,
        recurse=not no_recurse,
        dnssec=dnssec,
        concurrency=concurrency,
        as_json=as_json,
        short=short,
        tls_hostname=tls_hostname,
        tls_ca=tls_ca,
    )


def _finish(errors: list[str], total: int, *, short: bool) -> int:
    """A lone failed lookup is an error line; in a batch the table shows it. Either way: exit 1."""
    if total == 1 and errors:
        raise NetkitError(errors[0])
    if short:  # +short output has no room for failures: name each on stderr
        for error in errors:
            emit_message("error", error)
    return ExitStatus.FAILURE if errors else ExitStatus.OK


def _legacy(names: list[str], *, reverse: bool, as_json: bool, short: bool) -> int:
    from netkit.render.resolve import render_legacy
    from netkit.resolve.system import legacy_lookup

    results = [legacy_lookup(name, reverse=reverse) for name in names]
    if as_json or short or len(results) > 1 or results[0].error is None:
        render_legacy(results, as_json=as_json, short=short)
    return _finish([r.error for r in results if r.error], len(results), short=short)


def _modern(
    names: list[str],
    *,
    reverse: bool,
    family: str | None,
    service: str | None,
    socktype: Literal["stream", "dgram", "raw", "any"],
    addrconfig: bool,
    as_json: bool,
    short: bool,
    concurrency: int,
) -> int:
    import socket
    from functools import partial

    from netkit.render.resolve import render_modern
    from netkit.resolve.system import check_service, modern_lookup

    if service is not None:
        try:
            check_service(service, socktype)
        except LookupError as error:
            raise click.BadParameter(str(error), param_hint="'--service'") from None
    families = {"4": socket.AF_INET, "6": socket.AF_INET6}
    lookup = partial(
        modern_lookup,
        family=families.get(family or "", socket.AF_UNSPEC),
        service=service,
        socktype=socktype,
        addrconfig=addrconfig,
        reverse=reverse,
    )
    if len(names) > 1 and concurrency > 1:
        from concurrent.futures import ThreadPoolExecutor

        # getaddrinfo is thread-safe (POSIX), and a batch spends its time waiting on it.
        with ThreadPoolExecutor(max_workers=min(concurrency, 32)) as pool:
            results = list(pool.map(lookup, names))
    else:
        results = [lookup(name) for name in names]
    if as_json or short or len(results) > 1 or results[0].error is None:
        render_modern(results, as_json=as_json, short=short)
    return _finish([r.error for r in results if r.error], len(results), short=short)


def _dns(
    names: list[str],
    *,
    reverse: bool,
    types: list[str],
    servers: list[str],
    port: int | None,
    transport: Literal["udp", "tcp", "tls", "https"],
    doh_url: str | None,
    timeout: float,
    retries: int,
    recurse: bool,
    dnssec: bool,
    concurrency: int,
    as_json: bool,
    short: bool,
    tls_hostname: str | None,
    tls_ca: str | None,
) -> int:
    from netkit.render.resolve import batch_progress, render_dns
    from netkit.resolve.query import (
        DEFAULT_PORTS,
        DnsOptions,
        DnsQuestion,
        DoHUnavailableError,
        parse_server,
        run_queries,
        system_servers,
    )

    if doh_url is not None:
        server_list = [(doh_url, port or DEFAULT_PORTS["https"])]
    else:
        default_port = port or DEFAULT_PORTS[transport]
        try:
            server_list = [parse_server(s, default_port) for s in servers or system_servers()]
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'@SERVER'") from None
    questions = [DnsQuestion(name, rdtype, reverse) for name in names for rdtype in types]
    options = DnsOptions(
        servers=server_list,
        transport=transport,
        timeout=timeout,
        tries=retries + 1,
        recurse=recurse,
        dnssec=dnssec,
        concurrency=concurrency,
        # A table or +short shows answers only; JSON and the dig-style view show every section.
        answers_only=short or (not as_json and len(questions) > 1),
        tls_hostname=tls_hostname,
        tls_ca=tls_ca,
    )
    try:
        with batch_progress(len(questions), "querying") as progress:
            results = run_queries(questions, options, progress)
    except DoHUnavailableError as error:
        raise NetkitError(str(error)) from None
    if as_json or len(results) > 1 or results[0].rcode is not None:
        render_dns(results, as_json=as_json, short=short)
    return _finish([r.error for r in results if r.error], len(results), short=short)
