"""`netkit connect`: an nc-style client for TCP, UDP and Unix sockets."""

import socket
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from netkit.cli.completers import complete_path
from netkit.cli.explain import explain_option, session_calls
from netkit.cli.options import (
    TcpByDefault,
    host_and_port,
    list_option,
    port_number,
    service_names_to_ports,
)
from netkit.cli.show_c import show_c_option
from netkit.connect import Relay, Session, Target, Transport
from netkit.errors import ExitStatus, NetkitError
from netkit.scan.targets import looks_like_port_list
from netkit.tls import TLS_VERSIONS

if TYPE_CHECKING:
    from netkit.tls.client import TlsSettings

F = TypeVar("F", bound=Callable[..., object])


def _common_options(command: F) -> F:
    command = click.option(
        "-w",
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Give up connecting after SECONDS, and end the session after SECONDS without "
        "data either way (like nc -w). UDP: how long to wait for replies after stdin ends "
        "(default 2).",
    )(command)
    command = click.option(
        "-v", "--verbose", is_flag=True, help="Report the connection and a summary on stderr."
    )(command)
    command = click.option("--raw", is_flag=True, help=_RAW_HELP)(command)
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Log the session as JSON Lines on stderr (stdout stays the peer's bytes).",
    )(command)


def _family_options(command: F) -> F:
    command = click.option(
        "-6", "family", flag_value=socket.AF_INET6, type=int, help="Use IPv6 addresses only."
    )(command)
    command = click.option(
        "-4", "family", flag_value=socket.AF_INET, type=int, help="Use IPv4 addresses only."
    )(command)
    return command


def _relay_options(command: F) -> F:
    """nc's habits for how bytes go: -C, --send-only, --recv-only."""
    command = click.option(
        "--recv-only", is_flag=True, help="Only receive: never read stdin or send anything."
    )(command)
    command = click.option(
        "--send-only",
        is_flag=True,
        help="Only send: ignore what the peer sends and end when stdin ends.",
    )(command)
    return click.option(
        "-C", "--crlf", is_flag=True, help="Send line ends as CR LF (for SMTP, HTTP by hand)."
    )(command)


def _source_options(command: F) -> F:
    """Where the connection comes from (nc -s and -p)."""
    command = click.option(
        "-p",
        "--source-port",
        type=click.IntRange(1, 65535),
        metavar="N",
        help="Bind to local port N before connecting (nc -p).",
    )(command)
    return click.option(
        "-s", "--source", metavar="ADDR", help="Bind to local address ADDR before connecting."
    )(command)


def _alpn(ctx: click.Context, param: click.Parameter, names: tuple[str, ...]) -> tuple[str, ...]:
    if any(len(name.encode()) > 255 for name in names):
        raise click.BadParameter("an ALPN protocol name is at most 255 bytes")
    return names


def _tls_options(command: F) -> F:
    """What the TLS client asks for and whom it trusts (connect tls, connect tcp --tls)."""
    options = [
        click.option("--sni", metavar="NAME",
                     help="Server name to send and to verify (default: HOST; no SNI for an "
                     "address)."),
        list_option("--alpn", metavar="LIST", callback=_alpn,
                    help="Offer these application protocols, e.g. h2,http/1.1 (comma list "
                    "or repeatable)."),
        click.option("--ca", "ca_file", metavar="FILE",
                     type=click.Path(exists=True, dir_okay=False),
                     help="Trust the CA certificates in FILE (PEM) instead of the system's."),
        click.option("--insecure", is_flag=True,
                     help="Go on when verification fails (the diagnosis still says why)."),
        click.option("--cert", "client_cert", metavar="FILE",
                     type=click.Path(exists=True, dir_okay=False),
                     help="Client certificate (PEM; may hold the key too)."),
        click.option("--key", "client_key", metavar="FILE",
                     type=click.Path(exists=True, dir_okay=False),
                     help="Private key of --cert, when not in the same file."),
        click.option("--min-version", type=click.Choice(TLS_VERSIONS),
                     help="Lowest TLS version to accept."),
        click.option("--max-version", type=click.Choice(TLS_VERSIONS),
                     help="Highest TLS version to offer."),
        click.option("--check", is_flag=True,
                     help="Print the diagnosis on stdout and exit: 0 when the certificate "
                     "verifies, 1 when not (for scripts and monitoring)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


_TLS_OPTION_NAMES = (
    "sni", "alpn", "ca_file", "insecure", "client_cert", "client_key", "min_version",
    "max_version", "check",
)  # fmt: skip


def _tls_settings(options: dict[str, Any]) -> "TlsSettings":
    from netkit.tls.client import TlsSettings

    if options["client_key"] and not options["client_cert"]:
        raise click.UsageError("--key goes with --cert")
    return TlsSettings(
        sni=options["sni"],
        alpn=options["alpn"],
        ca_file=options["ca_file"],
        insecure=options["insecure"],
        client_cert=options["client_cert"],
        client_key=options["client_key"],
        min_version=options["min_version"],
        max_version=options["max_version"],
    )


_RAW_HELP = (
    "On a terminal, show the peer's bytes unchanged, control sequences included: for a server "
    "whose ANSI colours you want to see. Without it a terminal shows them escaped (\\x1b), "
    "since any server can send sequences that retitle the window or rewrite the screen; "
    "newlines, tabs and CR LF pass. Piped or redirected output is always byte-exact."
)
_ZERO_HELP = (
    "Only check that a connection can be made, then close it (like nc -z); with PORT a list "
    "or range (22,80,8000-8100), scan them as netkit scan does."
)
_NO_HALF_CLOSE_HELP = (
    "At the end of stdin, don't send FIN (shutdown SHUT_WR): for servers that hang up when "
    "they see EOF. Still reads until the server closes or --timeout."
)


@click.group(cls=TcpByDefault)
def connect() -> None:
    """Connect to a server: stdin goes to the socket, the socket goes to stdout (like nc).

    \b
      echo hello | netkit connect 127.0.0.1 5566       (tcp is the default)
      echo hello | netkit connect tcp 127.0.0.1 5566
      netkit connect tcp ::1 80 -v < request.bin > reply.bin
      printf 'ping' | netkit connect udp 127.0.0.1 5566 --timeout 1
      netkit connect unix /tmp/echo.sock

    Binary safe: piped or redirected, stdout gets the peer's bytes exactly; on a terminal,
    control characters are shown escaped unless --raw. When stdin ends, a TCP or Unix
    connection is half-closed (shutdown SHUT_WR, the server sees EOF) and netkit keeps reading
    until the server closes, so a reply that comes late is not lost. --json writes a JSON
    Lines log of the session to stderr. Exit status: 0 after a normal end, 1 when connecting
    fails or the connection breaks.
    """


def _run(
    target: Target,
    timeout: float | None,
    verbose: bool,
    as_json: bool,
    *,
    raw: bool,
    zero_io: bool = False,
    half_close: bool = True,
    relay: Relay | None = None,
    explain: bool = False,
) -> int:
    from netkit.render.connect import SessionLog, peer_output

    if as_json:
        from netkit.render.output import stderr_is_json_lines

        stderr_is_json_lines()  # a refused connection, later on, is a JSON line too
    log = SessionLog(verbose=verbose, as_json=as_json)
    session = Session(
        target,
        timeout=timeout,
        half_close=half_close,
        relay=relay or Relay(),
        on_event=log.event,
        calls=session_calls(explain, as_json),
    )
    if zero_io:
        summary = session.check_only()
    else:
        stdin_fd = sys.stdin.fileno() if sys.stdin is not None else None
        sys.stdout.flush()
        with peer_output(raw=raw) as output:
            summary = session.relay(stdin_fd, output)
    log.summary(summary)
    return ExitStatus.OK


def _run_tls(
    target: Target,
    settings: "TlsSettings",
    *,
    check: bool,
    timeout: float | None,
    verbose: bool,
    as_json: bool,
    raw: bool,
    half_close: bool = True,
    relay: Relay | None = None,
) -> int:
    """Diagnose on stderr (stdout with --check), then relay over the verified connection."""
    from netkit.render.connect import SessionLog, peer_output
    from netkit.render.tls import render_diagnosis
    from netkit.tls.client import diagnose

    if check:
        relay_given = relay or Relay()
        relayed = {"-C": relay_given.crlf, "--send-only": relay_given.send_only,
                   "--recv-only": relay_given.recv_only, "--raw": raw,
                   "--no-half-close": not half_close}  # fmt: skip
        for flag, given in relayed.items():
            if given:
                raise click.UsageError(f"--check and {flag} exclude each other: --check relays "
                                       "nothing, it prints the diagnosis and exits")  # fmt: skip
    log = SessionLog(verbose=verbose, as_json=as_json)
    diagnosed = diagnose(target, settings, timeout, log.event)
    verification = diagnosed.diagnosis.verification
    render_diagnosis(
        diagnosed.diagnosis, as_json=as_json, stream=sys.stdout if check else sys.stderr
    )
    if check:
        if diagnosed.channel is not None:
            diagnosed.channel.sock.close()
        return ExitStatus.OK if verification.verified else ExitStatus.FAILURE
    if diagnosed.channel is None:
        raise NetkitError(
            f"certificate verification failed: {verification.reason} (--insecure connects anyway)"
        )
    connected = (diagnosed.channel.sock, diagnosed.channel)
    session = Session(
        target,
        timeout=timeout,
        half_close=half_close,
        relay=relay or Relay(),
        on_event=log.event,
        connected=connected,
    )
    stdin_fd = sys.stdin.fileno() if sys.stdin is not None else None
    sys.stdout.flush()
    with peer_output(raw=raw) as output:
        summary = session.relay(stdin_fd, output)
    log.summary(summary)
    return ExitStatus.OK


def _refuse_beside_zero_io(given: Mapping[str, object], reason: str) -> None:
    """-z makes these options mean nothing: say so rather than ignore them."""
    for flag, value in given.items():
        if value:
            raise click.UsageError(f"-z and {flag} exclude each other: {reason}")


def _relay(crlf: bool, send_only: bool, recv_only: bool) -> Relay:
    if send_only and recv_only:
        raise click.UsageError("--send-only and --recv-only exclude each other")
    return Relay(crlf=crlf, send_only=send_only, recv_only=recv_only)


def _net_command(
    transport: Transport,
    host: str,
    port: str,
    family: int | None,
    *,
    source: str | None = None,
    source_port: int | None = None,
) -> Target:
    try:
        number = port_number(port, transport, lowest=1)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="PORT") from None
    return Target(
        transport,
        host=host,
        port=str(number),
        family=family or socket.AF_UNSPEC,
        source_host=source,
        source_port=source_port,
    )


@connect.command()
@click.argument("host")
@click.argument("port", required=False)
@_family_options
@_source_options
@click.option("-z", "--zero-io", is_flag=True, help=_ZERO_HELP)
@click.option("--no-half-close", "half_close", is_flag=True, flag_value=False, default=True,
              help=_NO_HALF_CLOSE_HELP)  # fmt: skip
@_relay_options
@click.option("--tls", is_flag=True, help="Speak TLS (the same as connect tls).")
@_tls_options
@_common_options
@show_c_option("a TCP client over poll()")
@explain_option("the client")
def tcp(
    *,
    host: str,
    port: str | None,
    family: int | None,
    source: str | None,
    source_port: int | None,
    zero_io: bool,
    half_close: bool,
    crlf: bool,
    send_only: bool,
    recv_only: bool,
    tls: bool,
    timeout: float | None,
    verbose: bool,
    as_json: bool,
    raw: bool,
    show_c: bool,
    explain: bool,
    **tls_options: Any,
) -> int:
    """Connect to HOST PORT over TCP (HOST: a name, an IPv4 address, or IPv6 like ::1).

    HOST:PORT and [V6]:PORT work as one argument too.
    """
    host, port = host_and_port(host, port)
    if show_c:
        from netkit.cli.show_c import connect_program

        return connect_program("tcp", {**locals(), **tls_options})
    if zero_io:
        nothing_sent = {"-C": crlf, "--send-only": send_only, "--recv-only": recv_only,
                        "--raw": raw, "--no-half-close": not half_close}  # fmt: skip
        _refuse_beside_zero_io(nothing_sent, "-z only connects and closes, nothing is relayed")
        _refuse_beside_zero_io({"--tls": tls}, "--tls --check verifies a TLS server")
    if zero_io and looks_like_port_list(service_names_to_ports(port)):  # nc -z HOST 20-30
        scan_lacks = {"-s": source, "-p": source_port, "-v": verbose}
        _refuse_beside_zero_io(scan_lacks, "a port list is scanned as netkit scan does")
        from netkit.cli.scan import DEFAULT_TIMEOUT as SCAN_TIMEOUT
        from netkit.cli.scan import run_scan

        return run_scan([host], port, family=family or socket.AF_UNSPEC, as_json=as_json,
                        timeout=timeout or SCAN_TIMEOUT, explain=explain)  # fmt: skip
    target = _net_command("tcp", host, port, family, source=source, source_port=source_port)
    relay = _relay(crlf, send_only, recv_only)
    if tls and explain:
        raise click.UsageError("--explain narrates plain sockets: not --tls yet")
    if tls:
        return _run_tls(
            target,
            _tls_settings(tls_options),
            check=tls_options["check"],
            timeout=timeout,
            verbose=verbose,
            as_json=as_json,
            raw=raw,
            half_close=half_close,
            relay=relay,
        )
    given = [name for name in _TLS_OPTION_NAMES if tls_options[name]]
    if given:
        flag = "--" + given[0].replace("_file", "").replace("client_", "").replace("_", "-")
        raise click.UsageError(f"{flag} goes with --tls (or connect tls)")
    return _run(
        target,
        timeout,
        verbose,
        as_json,
        raw=raw,
        zero_io=zero_io,
        half_close=half_close,
        relay=relay,
        explain=explain,
    )


@connect.command()
@click.argument("host")
@click.argument("port", required=False)
@_family_options
@_source_options
@_relay_options
@_common_options
@show_c_option("a UDP client over poll()")
@explain_option("the client")
def udp(
    *,
    host: str,
    port: str | None,
    family: int | None,
    source: str | None,
    source_port: int | None,
    crlf: bool,
    send_only: bool,
    recv_only: bool,
    timeout: float | None,
    verbose: bool,
    as_json: bool,
    raw: bool,
    show_c: bool,
    explain: bool,
) -> int:
    """Send stdin to HOST PORT over UDP, one datagram per read, and print the replies.

    After stdin ends, replies are awaited for --timeout seconds (default 2) after the last
    one. An ICMP port unreachable (nobody listening) is reported as connection refused.
    HOST:PORT and [V6]:PORT work as one argument too.
    """
    host, port = host_and_port(host, port)
    if show_c:
        from netkit.cli.show_c import connect_program

        return connect_program("udp", locals())
    target = _net_command("udp", host, port, family, source=source, source_port=source_port)
    relay = _relay(crlf, send_only, recv_only)
    return _run(target, timeout, verbose, as_json, raw=raw, relay=relay, explain=explain)


@connect.command()
@click.argument("path", shell_complete=complete_path)
@click.option("-z", "--zero-io", is_flag=True, help=_ZERO_HELP)
@click.option("--no-half-close", "half_close", is_flag=True, flag_value=False, default=True,
              help=_NO_HALF_CLOSE_HELP)  # fmt: skip
@_relay_options
@_common_options
@show_c_option("a Unix stream client over poll()")
@explain_option("the client")
def unix(
    *,
    path: str,
    zero_io: bool,
    half_close: bool,
    crlf: bool,
    send_only: bool,
    recv_only: bool,
    timeout: float | None,
    verbose: bool,
    as_json: bool,
    raw: bool,
    show_c: bool,
    explain: bool,
) -> int:
    """Connect to the Unix stream socket PATH (@NAME: Linux abstract namespace)."""
    if show_c:
        from netkit.cli.show_c import connect_program

        return connect_program("unix", locals())
    if zero_io:
        nothing_sent = {"-C": crlf, "--send-only": send_only, "--recv-only": recv_only,
                        "--raw": raw, "--no-half-close": not half_close}  # fmt: skip
        _refuse_beside_zero_io(nothing_sent, "-z only connects and closes, nothing is relayed")
    target = Target("unix", path=path)
    relay = _relay(crlf, send_only, recv_only)
    return _run(
        target,
        timeout,
        verbose,
        as_json,
        raw=raw,
        zero_io=zero_io,
        half_close=half_close,
        relay=relay,
        explain=explain,
    )


@connect.command()
@click.argument("host")
@click.argument("port", required=False)
@_family_options
@_source_options
@click.option("--no-half-close", "half_close", is_flag=True, flag_value=False, default=True,
              help=_NO_HALF_CLOSE_HELP)  # fmt: skip
@_relay_options
@_tls_options
@_common_options
def tls(
    *,
    host: str,
    port: str | None,
    family: int | None,
    source: str | None,
    source_port: int | None,
    half_close: bool,
    crlf: bool,
    send_only: bool,
    recv_only: bool,
    timeout: float | None,
    verbose: bool,
    as_json: bool,
    raw: bool,
    **tls_options: Any,
) -> int:
    """Connect to HOST PORT over TLS: diagnose the server first, then relay as tcp does.

    The diagnosis goes to stderr (stdout with --check): protocol, cipher, ALPN, SNI,
    resumption, the certificate chain as sent, and whether it verifies, with the reason when
    not (expired, not yet valid, hostname mismatch, self-signed, unknown issuer, incomplete
    chain). A certificate that does not verify ends the command unless --insecure.
    HOST:PORT and [V6]:PORT work as one argument too.
    """
    host, port = host_and_port(host, port)
    target = _net_command("tcp", host, port, family, source=source, source_port=source_port)
    return _run_tls(
        target,
        _tls_settings(tls_options),
        check=tls_options["check"],
        timeout=timeout,
        verbose=verbose,
        as_json=as_json,
        raw=raw,
        half_close=half_close,
        relay=_relay(crlf, send_only, recv_only),
    )
