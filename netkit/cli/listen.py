"""`netkit listen tcp|udp|unix`: echo, discard or print servers in every classic I/O design."""

import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from netkit.cli.completers import complete_local_address, complete_mux, complete_path
from netkit.cli.explain import explain_listener, listen_explain_options
from netkit.cli.options import TcpByDefault, json_option
from netkit.cli.show_c import show_c_option
from netkit.listen.config import DEFAULT_PORT, DEFAULT_UNIX_PATH, Behaviour, ListenConfig
from netkit.listen.mux import MUX_CHOICES

if TYPE_CHECKING:
    from ssl import SSLContext

    from netkit.listen.config import Network
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
                type=click.Choice(MUX_CHOICES),
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
            click.option(
                "--allow",
                metavar="CIDR",
                callback=_networks,
                multiple=True,
                help="Serve only peers in this network (repeatable).",
            ),
            click.option(
                "--deny",
                metavar="CIDR",
                callback=_networks,
                multiple=True,
                help="Refuse peers in this network (repeatable; wins over --allow).",
            ),
            click.option(
                "-p",
                "--port",
                "port_option",
                type=click.IntRange(0, 65535),
                default=None,
                metavar="PORT",
                help=f"Port (or the PORT argument; default {DEFAULT_PORT}); 0 picks a free one "
                "(the readiness line shows it).",
            ),
            click.argument("port", type=click.IntRange(0, 65535), required=False),
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


def _behaviour(discard: bool, print_data: bool, hex_dump: bool, raw: bool) -> Behaviour:
    if discard and (print_data or hex_dump):
        raise click.UsageError("--discard and --print/--hex exclude each other")
    if raw and (hex_dump or not print_data):
        raise click.UsageError("--raw goes with --print (a hex dump has no raw form)")
    if print_data or hex_dump:
        return Behaviour.PRINT
    return Behaviour.DISCARD if discard else Behaviour.ECHO


def _run(config: ListenConfig, opts: dict[str, Any]) -> int:
    from netkit.listen.server import prepare, serve
    from netkit.render.listen import live_stats, make_observer, print_sink, render_summary

    observer = make_observer(
        verbose=opts["verbose"],
        as_json=opts["as_json"],
        quiet=opts["quiet"],
        stream=sys.stderr,
        live=opts["stats"],
    )
    with contextlib.ExitStack() as stack:
        if config.behaviour is Behaviour.PRINT:
            sink = print_sink(hex_dump=opts["hex_dump"], raw=opts["raw"])
            observer.data = stack.enter_context(sink)
        engine = prepare(config, observer)
        explained = explain_listener(engine, opts)
        stop_live = stack.enter_context(live_stats(engine.snapshot)) if opts["stats"] else None

        def report(summary: "StatsSnapshot") -> None:
            if stop_live is not None:
                stop_live()  # the panel goes before the summary takes its place
            if not opts["quiet"]:
                render_summary(summary, as_json=opts["as_json"], stream=sys.stderr)

        serve(engine, report)
        explained()
    return 0


def _port(opts: dict[str, Any]) -> int:
    """The port from the PORT argument or -p/--port (nc -l -p habit); both must agree."""
    argument, option = opts["port"], opts["port_option"]
    if argument is not None and option is not None and argument != option:
        raise click.UsageError(f"PORT {argument} and --port {option} disagree")
    for port in (argument, option):
        if port is not None:
            return int(port)
    return DEFAULT_PORT


def _exec_argv(transport: str, opts: dict[str, Any], tls: bool = False) -> tuple[str, ...]:
    """--exec CMD or --sh-exec CMD as the program's argv, with the combinations that cannot
    work refused."""
    command, shell_command = opts["exec_command"], opts["sh_exec_command"]
    if command is None and shell_command is None:
        return ()
    flag = "--exec" if command is not None else "--sh-exec"
    if command is not None and shell_command is not None:
        raise click.UsageError("--exec and --sh-exec exclude each other")
    if transport == "udp":
        raise click.UsageError(
            f"{flag} gives each client a process on its connection, and UDP has no connections"
        )
    others = [name for name in ("discard", "print_data", "hex_dump", "raw", "stats") if opts[name]]
    if others:
        option = "--" + others[0].replace("_data", "").replace("_dump", "").replace("_", "-")
        raise click.UsageError(f"{flag} and {option} exclude each other: the program answers")
    if opts["mux"] != "auto":
        raise click.UsageError(f"{flag} runs a process per client: --mux does not apply")
    if tls:
        raise click.UsageError(f"{flag} does not work with --tls yet")
    if shell_command is not None:
        return ("/bin/sh", "-c", shell_command)
    import shlex

    try:
        argv = tuple(shlex.split(command))
    except ValueError as error:
        raise click.BadParameter(f"{command!r}: {error}", param_hint="--exec") from None
    if not argv:
        raise click.BadParameter("an empty command", param_hint="--exec")
    return argv


def _peer_input(transport: str, opts: dict[str, Any]) -> int | None:
    """--print sends netkit's standard input to the peers (nc's chat), over connections."""
    if transport == "udp" or not (opts["print_data"] or opts["hex_dump"]):
        return None
    if sys.stdin is None or sys.stdin.closed:
        return None
    return sys.stdin.fileno()


def _config(transport: str, opts: dict[str, Any], **extra: Any) -> ListenConfig:
    return ListenConfig(
        transport=transport,  # type: ignore[arg-type]  # one of the three command names
        mux=opts["mux"],
        behaviour=_behaviour(opts["discard"], opts["print_data"], opts["hex_dump"], opts["raw"]),
        once=opts["once"],
        max_conns=opts.get("max_conns"),
        idle_timeout=opts.get("idle_timeout"),
        backlog=opts.get("backlog", 4096),
        allow=opts.get("allow", ()),
        deny=opts.get("deny", ()),
        exec_argv=_exec_argv(transport, opts, tls=extra.get("tls") is not None),
        peer_input_fd=_peer_input(transport, opts),
        **extra,
    )


@listen.command()
@_common("tcp")
@click.option(
    "--tls",
    is_flag=True,
    help="Serve TLS (every --mux). Without --cert, a self-signed certificate is made for the "
    "session and its SHA-256 fingerprint printed.",
)
@click.option(
    "--cert",
    "cert_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="With --tls: the certificate chain to present (PEM, the server's first).",
)
@click.option(
    "--key",
    "key_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="With --tls: the private key of --cert, when not in the same file.",
)
@show_c_option("a TCP echo server in the --mux design")
@listen_explain_options
def tcp(**opts: Any) -> int:
    """Echo over TCP: one connection state machine, any --mux."""
    if opts["show_c"]:
        from netkit.cli.show_c import listen_program

        return listen_program("tcp", opts, _port(opts))
    tls = _server_tls(opts["tls"], opts["cert_file"], opts["key_file"])
    return _run(_config("tcp", opts, host=opts["host"], port=_port(opts), tls=tls), opts)


def _server_tls(tls: bool, cert_file: str | None, key_file: str | None) -> "SSLContext | None":
    """The TLS server context for --tls, and a note on stderr about the certificate."""
    if not tls:
        if cert_file or key_file:
            raise click.UsageError("--cert and --key go with --tls")
        return None
    if key_file and not cert_file:
        raise click.UsageError("--key goes with --cert")
    from netkit.listen.tls import server_context
    from netkit.render.output import emit_message

    context, certificate = server_context(cert_file, key_file)
    if certificate.self_signed_for_session:
        emit_message(
            "note",
            f"TLS with a self-signed certificate made for this session ({certificate.subject}); "
            f"SHA-256 {certificate.sha256}",
        )
    else:
        emit_message("note", f"TLS as {certificate.subject}; SHA-256 {certificate.sha256}")
    return context


@listen.command()
@_common("udp")
@show_c_option("a UDP echo server in the --mux design")
@listen_explain_options
def udp(**opts: Any) -> int:
    """Echo every datagram back to its sender, for any number of peers at once."""
    if opts["show_c"]:
        from netkit.cli.show_c import listen_program

        return listen_program("udp", opts, _port(opts))
    return _run(_config("udp", opts, host=opts["host"], port=_port(opts)), opts)


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
@show_c_option("a Unix stream echo server in the --mux design")
@listen_explain_options
def unix(**opts: Any) -> int:
    """Echo over a Unix domain stream socket. A stale socket file is replaced; a live one, or
    anything that is not a socket, is refused."""
    if opts["show_c"]:
        from netkit.cli.show_c import listen_program

        return listen_program("unix", opts, 0)
    return _run(_config("unix", opts, path=opts["path"], socket_mode=opts["socket_mode"]), opts)
