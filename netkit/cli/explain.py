"""`--explain`: the option, and the narrated socket calls a command makes its calls through
(netkit.sockcalls), written to stderr by netkit.render.explain. Each command declares the option
and makes one call here."""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from netkit.listen.engine import Engine
    from netkit.sockcalls import SocketCalls

F = TypeVar("F", bound=Callable[..., object])


def explain_option(what: str) -> Callable[[F], F]:
    """--explain, with a help text that says which calls are narrated."""
    return click.option(
        "--explain",
        is_flag=True,
        help=f"Narrate on stderr every socket call {what} makes, in C syntax, with the time, "
        "the result, what it means and the TCP state the kernel reports (JSON Lines with "
        "--json).",
    )


def session_calls(explain: bool, as_json: bool) -> "SocketCalls":
    """The plain calls, or with --explain calls that narrate themselves on stderr."""
    from netkit.sockcalls import PLAIN, NarratedCalls

    if not explain:
        return PLAIN
    from netkit.render.explain import ExplainLog

    return NarratedCalls(ExplainLog(as_json=as_json))


def listen_explain_options(command: F) -> F:
    """--explain and --explain-limit for the listeners."""
    command = click.option(
        "--explain-limit",
        type=click.IntRange(min=1),
        default=3,
        show_default=True,
        metavar="N",
        help="With --explain: narrate the calls of the first N connections (UDP: datagrams); "
        "later ones are only counted.",
    )(command)
    return explain_option("the listener")(command)


def explain_listener(engine: "Engine", opts: Mapping[str, Any]) -> Callable[[], None]:
    """Make ``engine`` narrate its calls when --explain asks; returns what prints the syscall
    profile at exit (nothing without --explain)."""
    if not opts.get("explain"):
        return lambda: None
    config = engine.config
    if config.tls is not None or config.exec_argv:
        flag = "--tls" if config.tls is not None else "--exec"
        raise click.UsageError(f"--explain narrates plain sockets: not {flag} yet")
    from netkit.listen.explain import ListenNarrator
    from netkit.render.explain import ExplainLog

    log = ExplainLog(as_json=bool(opts.get("as_json")))
    narrator = ListenNarrator(log, opts["explain_limit"])
    engine.socket_class = narrator.socket_class
    engine.watch_poller = narrator.watch
    return lambda: log.profile(
        narrator.counts, connections=narrator.connections, datagrams=narrator.datagrams
    )


def explain_resolver(mode: str, as_json: bool) -> None:
    """resolve --legacy/--modern --explain: the system resolver's library calls, narrated."""
    if mode not in ("legacy", "modern"):
        raise click.UsageError("--explain narrates the system resolver: --legacy or --modern")
    from netkit.render.explain import ExplainLog
    from netkit.resolve import libcalls
    from netkit.sockcalls import Narrator

    libcalls.use(libcalls.NarratedResolverCalls(Narrator(ExplainLog(as_json=as_json))))
