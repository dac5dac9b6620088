"""`--show-c` for connect, listen and resolve: the option, the check that the invocation is one
the generated program can express, and the printing. The generators live in netkit.showc and are
imported only when --show-c is given.

Each command declares the option and makes one call here, so that the commands' own modules stay
as they are. An option whose behaviour the C program does not have is a usage error that names
it, rather than a program that silently does something else.
"""

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import click

from netkit.errors import ExitStatus

F = TypeVar("F", bound=Callable[..., object])


def show_c_option(what: str) -> Callable[[F], F]:
    """--show-c, with a help text that says what the program is."""
    return click.option(
        "--show-c",
        is_flag=True,
        help=f"Print the equivalent C program ({what}), with this command's address and options "
        "filled in, instead of running (build it with cc -Wall -Wextra -O2).",
    )


def _print(source: str) -> int:
    """The generated C on stdout. It is printable ASCII by construction (every outside byte is
    escaped in its literals and comments), so it is written as it is."""
    sys.stdout.write(source)
    return ExitStatus.OK


def _refuse(given: Iterable[tuple[str, object]], why: str) -> None:
    """A usage error naming the first option given (set to a true value) among ``given``."""
    for flag, value in given:
        if value:
            raise click.UsageError(f"--show-c and {flag} exclude each other: {why}")


CONNECT_UNSUPPORTED = (
    ("-z", "zero_io"),
    ("-s", "source"),
    ("--source-port", "source_port"),
    ("-C", "crlf"),
    ("--send-only", "send_only"),
    ("--recv-only", "recv_only"),
    ("--tls", "tls"),
    ("--sni", "sni"),
    ("--alpn", "alpn"),
    ("--ca", "ca_file"),
    ("--insecure", "insecure"),
    ("--cert", "client_cert"),
    ("--key", "client_key"),
    ("--min-version", "min_version"),
    ("--max-version", "max_version"),
    ("--check", "check"),
    ("-v", "verbose"),
    ("--json", "as_json"),
    ("--explain", "explain"),
)


# The connect options the generated client takes (--debug and --raw change nothing in it: its
# output is the peer's bytes as they are). Every other option is in CONNECT_UNSUPPORTED, and
# refused (tests/showc/test_cli.py checks that none is left out).
CONNECT_TAKES = frozenset({"host", "port", "path", "family", "timeout", "half_close", "show_c",
                           "debug", "raw"})  # fmt: skip

_CONNECT_SUPPORTED = {
    "tcp": "-4/-6, --timeout and --no-half-close",
    "udp": "-4/-6 and --timeout",
    "unix": "--timeout and --no-half-close",
}


def connect_program(transport: str, options: Mapping[str, Any]) -> int:
    """Print the client for `netkit connect tcp|udp|unix ... --show-c`.

    ``options`` are the command's parsed options (host, port, path, family, timeout,
    half_close and those the program does not have, which are refused)."""
    import socket

    from netkit.showc.connect import ConnectTarget
    from netkit.showc.connect import connect_program as generate

    given = [(flag, options.get(name)) for flag, name in CONNECT_UNSUPPORTED]
    _refuse(given, f"the generated client has only {_CONNECT_SUPPORTED[transport]}")
    families: dict[int, str] = {socket.AF_INET: "4", socket.AF_INET6: "6"}
    family = families.get(options.get("family") or 0)
    target = ConnectTarget(
        transport,  # type: ignore[arg-type]  # one of the three command names
        host=options.get("host") or "",
        port=options.get("port") or "",
        path=options.get("path") or "",
        family=family,  # type: ignore[arg-type]  # "4", "6" or None by the mapping above
        timeout=options.get("timeout"),
        half_close=options.get("half_close", True),
    )
    return _print(generate(target))


LISTEN_UNSUPPORTED = (
    ("--tls", "tls"),
    ("--cert", "cert_file"),
    ("--key", "key_file"),
    ("--exec", "exec_command"),
    ("--sh-exec", "sh_exec_command"),
    ("--discard", "discard"),
    ("--print", "print_data"),
    ("--hex", "hex_dump"),
    ("--raw", "raw"),
    ("--once", "once"),
    ("--allow", "allow"),
    ("--deny", "deny"),
    ("--idle-timeout", "idle_timeout"),
    ("--max-conns", "max_conns"),
    ("--mode", "socket_mode"),
    ("-v", "verbose"),
    ("--json", "as_json"),
    ("--stats", "stats"),
    ("--explain", "explain"),
    ("--explain-limit", "explain_limit"),
)


# The listen options the generated server takes, or that change nothing in it; every other one
# is in LISTEN_UNSUPPORTED.
LISTEN_TAKES = frozenset({"host", "port", "port_option", "path", "mux", "backlog", "show_c",
                          "debug", "quiet"})  # fmt: skip


def listen_program(transport: str, options: Mapping[str, Any], port: int) -> int:
    """Print the echo server for `netkit listen tcp|udp|unix ... --show-c`, in the --mux
    design asked for (auto: the one netkit would use here)."""
    from netkit.listen import mux
    from netkit.showc.listen import ListenSpec
    from netkit.showc.listen import listen_program as generate

    given = [(flag, options.get(name)) for flag, name in LISTEN_UNSUPPORTED]
    _refuse(given, "the generated server is a plain echo server (--host, --port, --path, "
            "--mux and --backlog are what it takes)")  # fmt: skip
    design = mux.resolve(options["mux"], transport)
    spec = ListenSpec(
        transport,  # type: ignore[arg-type]  # one of the three command names
        design,  # type: ignore[arg-type]  # mux.resolve returns one of MUX_NAMES
        host=options.get("host") or "127.0.0.1",
        port=port,
        path=options.get("path") or "",
        backlog=options.get("backlog") or 4096,
    )
    return _print(generate(spec))


def resolve_program(mode: str, names: Iterable[str], options: Mapping[str, Any]) -> int:
    """Print the lookup program for `netkit resolve --legacy|--modern NAME... --show-c`.

    ``options`` are the parsed options: the getaddrinfo hints (family, service, socktype,
    addrconfig) and the output forms, which the program does not have."""
    if mode not in ("legacy", "modern"):
        raise click.UsageError(
            "--show-c shows the system resolver's calls: it goes with --legacy or --modern"
        )
    given = [(flag, options.get(name)) for flag, name in
             (("-x", "reverse"), ("--json", "as_json"), ("--jsonl", "jsonl"),
              ("--short", "short"), ("-f", "name_file"), ("--explain", "explain"))]  # fmt: skip
    _refuse(given, "the generated program looks up the NAME arguments and prints a list")
    from netkit.showc.resolve import AddrinfoHints, legacy_program, modern_program

    if mode == "legacy":
        return _print(legacy_program(list(names)))
    hints = AddrinfoHints(
        family=options.get("family"),
        service=options.get("service"),
        socktype=options.get("socktype") or "stream",
        addrconfig=bool(options.get("addrconfig")),
    )
    return _print(modern_program(list(names), hints))
