"""`netkit listen tcp|udp|unix`: echo, discard or print servers in every classic I/O design."""

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

import click

from netkit.cli.completers import complete_local_address, complete_mux, complete_path
from netkit.cli.explain import DEFAULT_EXPLAIN_LIMIT, explain_listener, listen_explain_options
from netkit.cli.options import PortType, TcpByDefault, json_option, list_option
from netkit.cli.show_c import show_c_option
from netkit.listen.config import DEFAULT_PORT, DEFAULT_UNIX_PATH, Behaviour, ListenConfig
from netkit.listen.mux import MUX_CHOICES

if TYPE_CHECKING:
    from ssl import SSLContext

    from netkit.listen.config import Network, Transport
    from netkit.listen.events import StatsSnapshot

F = Callable[..., Any]


def _networks(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple["Network", ...]:
    """--allow/--deny values as networks (a bare address is a /32 or /128)."""
    from netkit.listen.access import parse_network

    networks = []
    for value in values:
        try:
            networks.append(parse_network(value))
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an address or CIDR network") from None
    return tuple(networks)


def _file_mode(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        mode = int(value, 8)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an octal mode like 600 or 0660") from None
    if not 0 <= mode <= 0o7777:
        raise click.BadParameter(f"{value!r} is not a file mode")
    return mode


def _common(transport: str) -> Callable[[F], F]:
    """Options every transport takes; connection-only ones are added per command."""

    def decorate(function: F) -> F:
        options: list[Callable[[F], F]] = [
            click.option(
                "--mux",
                type=click.Choice(MUX_CHOICES, case_sensitive=False),
                shell_complete=complete_mux,
                default="auto",
                show_default=True,
                help="I/O design: blocking (one client at a time), thread (one per client), or "
                "an event loop over select, poll, epoll or kqueue; auto picks the best here.",
            ),
            click.option("--discard", is_flag=True, help="Read and throw away instead of echoing."),
            click.option(
                "--print",
                "print_data",
                is_flag=True,
                help="Write what arrives to stdout (like nc -l) instead of echoing, and send "
                "what netkit's stdin reads to every connected peer (nc's chat; TCP and Unix).",
            ),
            click.option(
                "--hex",
                "hex_dump",
                is_flag=True,
                help="Show what arrives as a hex dump per chunk, with direction, time and "
                "length (implies --print).",
            ),
            click.option(
                "--raw",
                is_flag=True,
                help="With --print on a terminal: pass the bytes through unchanged, control "
                "sequences included. Without it a terminal shows them escaped (\\x1b); "
                "piped or redirected output is always byte-exact.",
            ),
            click.option(
                "--once", is_flag=True, help="Exit after the first client (datagram) is done."
            ),
            click.option(
                "-e",
                "--exec",
                "exec_command",
                metavar="CMD",
                help="Run CMD for each client (split like a shell would, no shell), the "
                "connection as its stdin and stdout (ncat -e). TCP and Unix only.",
            ),
            click.option(
                "--sh-exec",
                "sh_exec_command",
                metavar="CMD",
                help="The same through /bin/sh -c CMD (ncat -c).",
            ),
            click.option("-v", "--verbose", is_flag=True, help="Log every connection on stderr."),
            json_option,
            click.option("--stats", is_flag=True, help="Show a live statistics panel on stderr."),
            click.option("-q", "--quiet", is_flag=True, help="No summary, notes or refusals."),
        ]
        inet = [
            list_option(
                "--allow",
                metavar="CIDR",
                callback=_networks,
                help="Serve only peers in these networks (comma list or repeatable).",
            ),
            list_option(
                "--deny",
                metavar="CIDR",
                callback=_networks,
                help="Refuse peers in these networks (comma list or repeatable; wins over "
                "--allow).",
            ),
            click.option(
                "-p",
                "--port",
                "port_option",
                type=PortType(),
                default=None,
                metavar="PORT",
                help=f"Port (or the PORT argument; default {DEFAULT_PORT}); 0 picks a free one "
                "(the readiness line shows it).",
            ),
            click.argument("port", type=PortType(), required=False),
            click.option(
                "--host",
                default="127.0.0.1",
                shell_complete=complete_local_address,
                show_default=True,
                help="Address to bind: 0.0.0.0 or :: (dual stack) listen beyond loopback.",
            ),
        ]
        per_connection = [
            click.option(
                "--idle-timeout",
                type=click.FloatRange(min=0, min_open=True),
                metavar="SECONDS",
                help="Close a connection after this long without traffic.",
            ),
            click.option(
                "--max-conns",
                type=click.IntRange(min=1),
                metavar="N",
                help="Serve at most N clients at once; more are closed at once and logged.",
            ),
            click.option(
                "--backlog",
                type=click.IntRange(min=0),
                default=4096,
                show_default=True,
                help="listen(2) backlog (the kernel caps it at net.core.somaxconn).",
            ),
        ]
        if transport != "unix":
            options = [*reversed(inet), *options]  # --host, --port first in --help
        if transport != "udp":
            options += per_connection
        for option in reversed(options):  # decorators apply bottom-up
            function = option(function)
        return function

    return decorate


@click.group(cls=TcpByDefault)
def listen() -> None:
    """Run an echo (or discard, or print) server over TCP, UDP or a Unix socket.

    \b
      netkit listen tcp                     echo on 127.0.0.1:5566, best event loop here
      netkit listen 8080                    the same on port 8080 (tcp is the default)
      netkit listen tcp --mux select -v     the select(2) design, logging each client
      netkit listen udp --port 0            echo datagrams on a free port
      netkit listen unix --path /tmp/e.sock
      netkit listen tcp --print --hex       show what arrives, like nc -l | hexdump

    Once listening it prints one line on stderr, e.g. 'listening on tcp 127.0.0.1:5566 (epoll)'.
    SIGINT or SIGTERM stops it cleanly and prints a summary table (unless --quiet).
    """


@dataclass(frozen=True, slots=True)
class CommonOptions:
    """The options every transport takes (``_common``), typed."""

    mux: str
    discard: bool
    print_data: bool
    hex_dump: bool
    raw: bool
    once: bool
    exec_command: str | None
    sh_exec_command: str | None
    verbose: bool
    as_json: bool
    stats: bool
    quiet: bool

    @property
    def behaviour(self) -> Behaviour:
        if self.discard and (self.print_data or self.hex_dump):
            raise click.UsageError("--discard and --print/--hex exclude each other")
        if self.raw and (self.hex_dump or not self.print_data):
            raise click.UsageError("--raw goes with --print (a hex dump has no raw form)")
        if self.print_data or self.hex_dump:
            return Behaviour.PRINT
        return Behaviour.DISCARD if self.discard else Behaviour.ECHO


@dataclass(frozen=True, slots=True)
class InetOptions:
    """Where a TCP or UDP listener binds, and whom it serves."""

    host: str
    port: int | None  # the PORT argument
    port_option: int | None  # -p/--port
    allow: tuple["Network", ...]
    deny: tuple["Network", ...]

    def port_number(self) -> int:
        """The port from the PORT argument or -p/--port (nc -l -p habit); both must agree."""
        argument, option = self.port, self.port_option
        if argument is not None and option is not None and argument != option:
            raise click.UsageError(f"PORT {argument} and --port {option} disagree")
        for port in (argument, option):
            if port is not None:
                return int(port)
        return DEFAULT_PORT


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """The per-connection limits of TCP and Unix listeners."""

    idle_timeout: float | None
    max_conns: int | None
    backlog: int


@dataclass(frozen=True, slots=True)
class TlsOptions:
    """--tls and the certificate to present (TCP and Unix)."""

    tls: bool
    cert_file: str | None
    key_file: str | None


@dataclass(frozen=True, slots=True)
class UnixOptions:
    """Where a Unix listener binds, and who may connect."""

    path: str
    socket_mode: int | None


@dataclass(frozen=True, slots=True)
class ExplainOptions:
    """--explain: narrate the calls of the first explain_limit connections (see cli/explain.py)."""

    explain: bool
    explain_limit: int | None


T = TypeVar("T")


def _take(group: type[T], opts: dict[str, Any]) -> T:
    """The typed group of options ``group`` out of click's keyword arguments."""
    return group(**{field.name: opts[field.name] for field in fields(group)})  # type: ignore[arg-type]  # group is one of the dataclasses above


def _run(config: ListenConfig, common: CommonOptions, explain: ExplainOptions) -> int:
    if explain.explain_limit is not None and not explain.explain:
        raise click.UsageError("--explain-limit goes with --explain")
    from netkit.listen.server import prepare, serve
    from netkit.render.listen import live_stats, make_observer, print_sink, render_summary

    if common.as_json:
        from netkit.render.output import stderr_is_json_lines

        stderr_is_json_lines()  # a failure to bind, later on, is a JSON line too
    observer = make_observer(
        verbose=common.verbose,
        as_json=common.as_json,
        quiet=common.quiet,
        stream=sys.stderr,
        live=common.stats and sys.stderr.isatty(),  # a panel to print above
    )
    with contextlib.ExitStack() as stack:
        if config.behaviour is Behaviour.PRINT:
            sink = print_sink(hex_dump=common.hex_dump, raw=common.raw)
            observer.data = stack.enter_context(sink)
        engine = prepare(config, observer)
        limit = (explain.explain_limit or DEFAULT_EXPLAIN_LIMIT) if explain.explain else None
        explained = explain_listener(engine, limit, as_json=common.as_json)
        stop_live = (
            stack.enter_context(live_stats(engine.snapshot, as_json=common.as_json))
            if common.stats
            else None
        )

        def report(summary: "StatsSnapshot") -> None:
            if stop_live is not None:
                stop_live()  # the panel goes before the summary takes its place
            if not common.quiet:
                render_summary(summary, as_json=common.as_json, stream=sys.stderr)

        serve(engine, report)
        explained()
    return 0


def _exec_argv(transport: str, common: CommonOptions) -> tuple[str, ...]:
    """--exec CMD or --sh-exec CMD as the program's argv, with the combinations that cannot
    work refused."""
    command, shell_command = common.exec_command, common.sh_exec_command
    if command is None and shell_command is None:
        return ()
    flag = "--exec" if command is not None else "--sh-exec"
    if command is not None and shell_command is not None:
        raise click.UsageError("--exec and --sh-exec exclude each other")
    if transport == "udp":
        raise click.UsageError(
            f"{flag} gives each client a process on its connection, and UDP has no connections"
        )
    others = [name for name in ("discard", "print_data", "hex_dump", "raw", "stats")
              if getattr(common, name)]  # fmt: skip
    if others:
        option = "--" + others[0].replace("_data", "").replace("_dump", "").replace("_", "-")
        raise click.UsageError(f"{flag} and {option} exclude each other: the program answers")
    if common.mux != "auto":
        raise click.UsageError(f"{flag} runs a process per client: --mux does not apply")
    if shell_command is not None:
        return ("/bin/sh", "-c", shell_command)
    import shlex

    assert command is not None
    try:
        argv = tuple(shlex.split(command))
    except ValueError as error:
        raise click.BadParameter(f"{command!r}: {error}", param_hint="--exec") from None
    if not argv:
        raise click.BadParameter("an empty command", param_hint="--exec")
    return argv


def _peer_input(transport: str, common: CommonOptions) -> int | None:
    """--print sends netkit's standard input to the peers (nc's chat), over connections."""
    if transport == "udp" or not (common.print_data or common.hex_dump):
        return None
    if sys.stdin is None or sys.stdin.closed:
        return None
    return sys.stdin.fileno()


def _config(
    transport: "Transport",
    common: CommonOptions,
    connection: ConnectionOptions | None = None,
    inet: InetOptions | None = None,
    **where: Any,
) -> ListenConfig:
    """The listener's configuration from the typed option groups; ``where`` is the transport's
    own: host and port, or path and socket_mode, and tls."""
    if inet is not None:
        where.update(host=inet.host, port=inet.port_number(), allow=inet.allow, deny=inet.deny)
    if connection is not None:
        where.update(idle_timeout=connection.idle_timeout, max_conns=connection.max_conns,
                     backlog=connection.backlog)  # fmt: skip
    config = ListenConfig(
        transport=transport,
        mux=common.mux,
        behaviour=common.behaviour,
        once=common.once,
        exec_argv=_exec_argv(transport, common),
        peer_input_fd=_peer_input(transport, common),
        **where,
    )
    if config.exec_argv and config.tls is None and config.idle_timeout is not None:
        # The program owns the socket, so netkit sees no traffic to time out (with --tls,
        # netkit relays the bytes and does).
        flag = "--exec" if common.exec_command is not None else "--sh-exec"
        raise click.UsageError(f"{flag} and --idle-timeout exclude each other without --tls")
    return config


def _tls_options(function: F) -> F:
    """--tls, --cert and --key: TCP and Unix listeners serve TLS alike."""
    options = [
        click.option(
            "--tls",
            is_flag=True,
            help="Serve TLS (every --mux, and --exec). Without --cert, a self-signed certificate "
            "is made for the session and its SHA-256 fingerprint printed.",
        ),
        click.option(
            "--cert",
            "cert_file",
            metavar="FILE",
            type=click.Path(exists=True, dir_okay=False),
            help="With --tls: the certificate chain to present (PEM, the server's first).",
        ),
        click.option(
            "--key",
            "key_file",
            metavar="FILE",
            type=click.Path(exists=True, dir_okay=False),
            help="With --tls: the private key of --cert, when not in the same file.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@listen.command()
@_common("tcp")
@_tls_options
@show_c_option("a TCP echo server in the --mux design")
@listen_explain_options
def tcp(**opts: Any) -> int:
    """Echo over TCP: one connection state machine, any --mux."""
    common, inet = _take(CommonOptions, opts), _take(InetOptions, opts)
    if opts["show_c"]:
        from netkit.cli.show_c import listen_program

        return listen_program("tcp", opts, inet.port_number())
    tls = _server_tls(_take(TlsOptions, opts), as_json=common.as_json)
    connection = _take(ConnectionOptions, opts)
    config = _config("tcp", common, connection, inet, tls=tls)
    return _run(config, common, _take(ExplainOptions, opts))


def _server_tls(options: TlsOptions, *, as_json: bool) -> "SSLContext | None":
    """The TLS server context for --tls, and a note on stderr about the certificate."""
    if not options.tls:
        if options.cert_file or options.key_file:
            raise click.UsageError("--cert and --key go with --tls")
        return None
    if options.key_file and not options.cert_file:
        raise click.UsageError("--key goes with --cert")
    from netkit.listen.tls import server_context
    from netkit.render.listen import emit_note

    context, certificate = server_context(options.cert_file, options.key_file)
    if certificate.self_signed_for_session:
        message = (
            f"TLS with a self-signed certificate made for this session ({certificate.subject}); "
            f"SHA-256 {certificate.sha256}"
        )
    else:
        message = f"TLS as {certificate.subject}; SHA-256 {certificate.sha256}"
    emit_note(message, as_json=as_json)
    return context


@listen.command()
@_common("udp")
@show_c_option("a UDP echo server in the --mux design")
@listen_explain_options
def udp(**opts: Any) -> int:
    """Echo every datagram back to its sender, for any number of peers at once."""
    common, inet = _take(CommonOptions, opts), _take(InetOptions, opts)
    if opts["show_c"]:
        from netkit.cli.show_c import listen_program

        return listen_program("udp", opts, inet.port_number())
    return _run(_config("udp", common, inet=inet), common, _take(ExplainOptions, opts))


@listen.command()
@_common("unix")
@click.option(
    "--mode",
    "socket_mode",
    metavar="MODE",
    callback=_file_mode,
    help="Permissions of the socket file, in octal (e.g. 600: only this user may connect).",
)
@click.option(
    "--path",
    default=DEFAULT_UNIX_PATH,
    shell_complete=complete_path,
    show_default=True,
    help="Socket file; @name is an abstract socket on Linux (no file at all).",
)
@_tls_options
@show_c_option("a Unix stream echo server in the --mux design")
@listen_explain_options
def unix(**opts: Any) -> int:
    """Echo over a Unix domain stream socket. A stale socket file is replaced; a live one, or
    anything that is not a socket, is refused."""
    if opts["show_c"]:
        from netkit.cli.show_c import listen_program

        return listen_program("unix", opts, 0)
    common, where = _take(CommonOptions, opts), _take(UnixOptions, opts)
    tls = _server_tls(_take(TlsOptions, opts), as_json=common.as_json)
    config = _config("unix", common, _take(ConnectionOptions, opts),
                     path=where.path, socket_mode=where.socket_mode, tls=tls)  # fmt: skip
    return _run(config, common, _take(ExplainOptions, opts))
