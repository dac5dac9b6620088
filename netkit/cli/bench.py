"""`netkit bench`: closed-loop echo load against any echo server; netkit's listeners compared."""

import socket
from collections.abc import Callable
from typing import TypeVar

import click

from netkit.cli.completers import complete_mux, complete_path
from netkit.cli.options import host_and_port, json_option, list_option, port_number
from netkit.connect import UDP_MAX_PAYLOAD, Target, Transport
from netkit.errors import ExitStatus
from netkit.listen.mux import MUX_NAMES

F = TypeVar("F", bound=Callable[..., object])

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "mib": 1 << 20}  # fmt: skip


def parse_size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """A size in bytes: 512, 64K, 256KiB, 1M (binary units)."""
    text = value.strip().lower()
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(digits) :]
    if not digits.isdigit() or unit not in _UNITS:
        raise click.BadParameter(f"{value!r} is not a size like 512, 64K or 1M")
    size = int(digits) * _UNITS[unit]
    if size < 1:
        raise click.BadParameter("the message size must be at least 1 byte")
    return size


def _percentiles(
    ctx: click.Context, param: click.Parameter, values: tuple[float, ...]
) -> tuple[float, ...]:
    chosen = sorted(set(values))
    if not chosen or not all(0 < p <= 100 for p in chosen):
        raise click.BadParameter("give percentiles above 0 and up to 100, like 50,99,99.9")
    return tuple(chosen)


def load_options(command: F) -> F:
    """The load shape, shared by the tcp, udp, unix and mux subcommands."""
    options = [
        click.option("-c", "--connections", type=click.IntRange(min=1), default=16,
                     show_default=True, help="Connections (UDP: sockets), each with one "
                     "message in flight."),
        click.option("-s", "--size", default="512", callback=parse_size,
                     metavar="SIZE", show_default=True,
                     help="Message size: 512, 64K, 1M."),
        click.option("-d", "--duration", type=click.FloatRange(min=0.1), default=5.0,
                     show_default=True, help="Seconds of load."),
        click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Cap on round trips per second over all connections "
                     "(default: as fast as the server answers)."),
        click.option("--workers", type=click.IntRange(min=1), default=1,
                     show_default=True, help="Load processes (when one CPU core cannot keep "
                     "up with the server)."),
        click.option("-w", "--timeout", type=click.FloatRange(min=0, min_open=True), default=5.0,
                     show_default=True, help="Seconds to connect, and to wait for an echo "
                     "before counting an error (UDP: a lost datagram, sent again)."),
        json_option,
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def percentiles_option(command: F) -> F:
    """--percentiles, for the runs that report them (bench mux's columns are p50 and p99)."""
    return list_option(
        "--percentiles", item=click.FLOAT, default=["50,75,90,99,99.9,99.99"],
        callback=_percentiles, metavar="LIST",
        help="Latency percentiles to report, a comma list or repeated (JSON: p50_us, "
        "p99_9_us, ...; default 50,75,90,99,99.9,99.99).",
    )(command)  # fmt: skip


def _family_options(command: F) -> F:
    command = click.option(
        "-6", "family", flag_value=socket.AF_INET6, type=int, help="Use IPv6 only."
    )(command)
    return click.option("-4", "family", flag_value=socket.AF_INET, type=int, help="Use IPv4 only.")(
        command
    )


_connect_rate_option = click.option(
    "--connect-rate",
    is_flag=True,
    help="A new connection for every request (closed with a reset, so no TIME_WAIT is left): "
    "measures connection set-up, reported apart as the connect latency.",
)
_interval_option = click.option(
    "--interval",
    type=click.FloatRange(min=0.2),
    default=None,
    metavar="S",
    help="Print a line every S seconds: req/s, MiB/s, p50 and p99 of that interval, errors "
    "(with --json: a JSON line each, then the final object as one line).",
)


@click.group()
def bench() -> None:
    """Load an echo server and measure it: requests/s, MiB/s, latency percentiles.

    \b
      netkit bench tcp 127.0.0.1 5566 -c 64 -s 512 -d 5
      netkit bench udp 127.0.0.1 5566 -c 16
      netkit bench unix /tmp/echo.sock -s 64K
      netkit bench mux                 netkit listen in every I/O design, compared

    Closed loop: each connection sends a message, waits for the whole echo, checks it byte
    for byte and sends the next. Exit status 1 if any connection failed, any echo differed, or
    no round trip completed.
    """


def _run(target: Target, **load: object) -> int:
    from netkit.bench.load import LoadPlan
    from netkit.bench.runner import run_bench, stop_on_interrupt
    from netkit.render.bench import bench_progress, interval_printer, render_bench

    as_json = bool(load.pop("as_json"))
    plan = LoadPlan(target, **load)  # type: ignore[arg-type]  # click validated every option
    if target.transport == "udp" and plan.size > UDP_MAX_PAYLOAD:
        message = f"a UDP datagram carries at most {UDP_MAX_PAYLOAD} bytes"
        raise click.BadParameter(message, param_hint="-s")
    title = f"{target.transport} {target.describe()}"
    streaming = plan.interval is not None
    on_interval = interval_printer(as_json=as_json) if streaming else None
    # The interval lines are the progress report: no bar over them.
    # Ctrl-C ends the load early and the figures so far are printed, marked interrupted, as
    # iperf3 and ping do; the exit status is still 130.
    with (
        stop_on_interrupt() as stop,
        bench_progress(plan.duration, title, enabled=not (as_json or streaming)) as on_progress,
    ):
        result = run_bench(plan, on_progress, on_interval=on_interval, should_stop=stop)
    render_bench(result, as_json=as_json, as_lines=streaming)
    if result.interrupted:
        return ExitStatus.INTERRUPTED
    failed = result.errors or result.mismatches or not result.requests
    return ExitStatus.FAILURE if failed else ExitStatus.OK


def _target(transport: Transport, host: str, port: str | None, family: int | None) -> Target:
    """HOST PORT, HOST:PORT or [V6]:PORT, the port a number or a service name."""
    host, port_text = host_and_port(host, port)
    try:
        number = port_number(port_text, transport, lowest=1)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="PORT") from None
    return Target(transport, host=host, port=str(number), family=family or 0)


@bench.command()
@click.argument("host")
@click.argument("port", required=False)
@_family_options
@_connect_rate_option
@_interval_option
@load_options
@percentiles_option
def tcp(*, host: str, port: str | None, family: int | None, **load: object) -> int:
    """Load the TCP echo server at HOST PORT (or HOST:PORT, [V6]:PORT)."""
    return _run(_target("tcp", host, port, family), **load)


@bench.command()
@click.argument("host")
@click.argument("port", required=False)
@_family_options
@_interval_option
@load_options
@percentiles_option
def udp(*, host: str, port: str | None, family: int | None, **load: object) -> int:
    """Load the UDP echo server at HOST PORT (or HOST:PORT, [V6]:PORT): one datagram per
    round trip."""
    return _run(_target("udp", host, port, family), **load)


@bench.command()
@click.argument("path", shell_complete=complete_path)
@_connect_rate_option
@_interval_option
@load_options
@percentiles_option
def unix(*, path: str, **load: object) -> int:
    """Load the Unix stream echo server at PATH (@NAME: Linux abstract namespace)."""
    return _run(Target("unix", path=path), **load)


def _int_list(ctx: click.Context, param: click.Parameter, values: tuple[int, ...]) -> list[int]:
    if not values:
        raise click.BadParameter("give one or more counts >= 0, like 0,1000,5000")
    return list(values)


@bench.command()
@list_option(
    "--mux",
    "designs",
    item=click.Choice(MUX_NAMES, case_sensitive=False),
    shell_complete=complete_mux,
    metavar="DESIGN",
    help="Compare only these designs (comma list or repeatable; default: every one this "
    "platform has).",
)
@list_option(
    "--idle",
    "idle_levels",
    item=click.IntRange(min=0),
    default=["0,1000,5000"],
    callback=_int_list,
    metavar="LIST",
    help="Idle connections held open beside the active ones, one run per count (comma list "
    "or repeatable; default 0,1000,5000).",
)
@click.option(
    "--no-pin",
    "pin",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Don't pin the server to the first CPU and the load to the others.",
)
@load_options
def mux(*, designs: tuple[str, ...], idle_levels: list[int], pin: bool, **load: object) -> int:
    """Start netkit listen in each I/O design and load each the same way.

    \b
    One table per idle level: requests/s, the server's CPU time per request, p99 latency.
    With idle connections beside the active ones, select and poll pay for every watched
    descriptor on every wakeup; epoll and kqueue do not. select cannot watch descriptors
    >= FD_SETSIZE (1024): the idle connections it refused show in the 'idle held' column.
    The blocking design serves one client at a time, so it gets one connection and no idle.
    """
    from netkit.bench.load import LoadPlan
    from netkit.bench.mux import MuxPlan, run_mux
    from netkit.listen.mux import available as available_designs
    from netkit.render.bench import mux_progress, render_mux

    available = available_designs()
    unknown = [name for name in designs if name not in available]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)} not available here (available: {', '.join(available)})",
            param_hint="--mux",
        )
    as_json = bool(load.pop("as_json"))
    plan = MuxPlan(
        designs=list(designs) or available,
        idle_levels=idle_levels,
        load=LoadPlan(Target("tcp"), **load),  # type: ignore[arg-type]  # click validated them
        pin=pin,
    )
    with mux_progress(plan, enabled=not as_json) as (on_stage, on_progress):
        results = run_mux(plan, on_stage, on_progress)
    render_mux(results, as_json=as_json)
    failed = any(r.errors or r.mismatches or r.rps is None for r in results)
    return ExitStatus.FAILURE if failed else ExitStatus.OK
