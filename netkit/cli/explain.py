"""`--explain`: the option, and the narrated socket calls a command makes its calls through
(netkit.sockcalls), written to stderr by netkit.render.explain. Each command declares the option
and makes one call here."""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from netkit.listen.engine import Engine
    from netkit.sockcalls import Narrator, SocketCalls

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


DEFAULT_EXPLAIN_LIMIT = 3


def listen_explain_options(command: F) -> F:
    """--explain and --explain-limit for the listeners."""
    command = click.option(
        "--explain-limit",
        type=click.IntRange(min=1),
        default=None,  # None: not given, so that it can be refused without --explain
        metavar="N",
        help=f"With --explain: narrate the calls of the first N connections (UDP: datagrams; "
        f"default {DEFAULT_EXPLAIN_LIMIT}); later ones are only counted.",
    )(command)
    return explain_option("the listener")(command)


def explain_listener(engine: "Engine", limit: int | None, *, as_json: bool) -> Callable[[], None]:
    """Make ``engine`` narrate the calls of its first ``limit`` connections (None: --explain
    is off); returns what prints the syscall profile at exit (nothing without --explain)."""
    if limit is None:
        return lambda: None
    config = engine.config
    if config.tls is not None or config.exec_argv:
        flag = "--tls" if config.tls is not None else "--exec"
        raise click.UsageError(f"--explain narrates plain sockets: not {flag} yet")
    from netkit.listen.explain import ListenNarrator
    from netkit.render.explain import ExplainLog

    log = ExplainLog(as_json=as_json)
    narrator = ListenNarrator(log, limit)
    engine.socket_class = narrator.socket_class
    engine.watch_poller = narrator.watch
    return lambda: log.profile(
        narrator.counts, connections=narrator.connections, datagrams=narrator.datagrams
    )


def explain_resolver(mode: str, options: Mapping[str, Any]) -> None:
    """resolve --explain: the system resolver's library calls (--legacy, --modern), or the
    socket calls of the DNS queries (--dns over UDP or TCP), narrated on stderr."""
    from netkit.render.explain import ExplainLog
    from netkit.sockcalls import Narrator

    as_json = bool(options.get("as_json") or options.get("jsonl"))
    narrator = Narrator(ExplainLog(as_json=as_json))
    if mode in ("legacy", "modern"):
        from netkit.resolve import libcalls

        libcalls.use(libcalls.NarratedResolverCalls(narrator))
        return
    if mode != "dns":
        raise click.UsageError("--explain goes with --legacy, --modern or --dns")
    if options.get("transport") == "tls" or options.get("doh_url"):
        raise click.UsageError("--explain narrates DNS over UDP and TCP: not --tls or --https yet")
    from netkit.narrated import narrated_socket_class
    from netkit.resolve.engine import QueryEngine
    from netkit.resolve.inflight import Channel

    Channel.socket_class = narrated_socket_class(narrator)
    QueryEngine.watch_selector = _selector_watcher(narrator)


def _selector_watcher(narrator: "Narrator") -> Callable[[Any], None]:
    """A hook that narrates a selectors.DefaultSelector's epoll (elsewhere: nothing)."""
    from netkit.narrated import watch_epoll

    def watch(selector: Any) -> None:
        epoll = getattr(selector, "_selector", None)  # selectors.EpollSelector's own epoll
        if epoll is not None and type(epoll).__name__ == "epoll":
            selector._selector = watch_epoll(epoll, narrator)

    return watch


def explain_scanner(as_json: bool, *, probes: bool) -> None:
    """scan --explain: the scan's sockets and the selector's epoll narrate their calls."""
    if probes:
        raise click.UsageError("--explain narrates the connect scan: not --banner or --tls yet")
    from netkit.narrated import narrated_socket_class
    from netkit.render.explain import ExplainLog
    from netkit.scan.engine import Scanner
    from netkit.sockcalls import Narrator

    narrator = Narrator(ExplainLog(as_json=as_json))
    Scanner.socket_class = narrated_socket_class(narrator)
    Scanner.watch_selector = _selector_watcher(narrator)
