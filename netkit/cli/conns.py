"""`netkit conns`: the sockets on this host, like `ss -tunap`."""

from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from netkit.cli.completers import complete_pid, complete_process_name
from netkit.cli.options import PortType, json_option, list_option, port_number
from netkit.errors import ExitStatus, NetkitUsageError
from netkit.sysinfo.connection import TCP_STATES, ConnectionFilter, Network, PortRange, Proto

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


def _port_range(text: str) -> PortRange:
    """80, ssh, 8000-8080 or http-8080 as a range (a service name counts as its port)."""
    low, dash, high = text.partition("-")
    try:
        if dash and not (low.isdigit() and high.isdigit()):
            try:  # a service name may contain a dash itself (ms-sql-s)
                return _single(port_number(text))
            except ValueError:
                pass
        first = port_number(low)
        return PortRange(first, port_number(high) if dash else first)
    except ValueError as error:
        raise click.BadParameter(
            f"{error} (a port like 443 or ssh, or a range like 8000-8080)"
        ) from None


def _single(port: int) -> PortRange:
    return PortRange(port, port)


def _port_ranges(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[PortRange, ...]:
    ranges = tuple(_port_range(value) for value in values)
    for found in ranges:
        if found.low > found.high:
            raise click.BadParameter(f"{found.low}-{found.high} is not a range (low-high)")
    return ranges


def _networks(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[Network, ...]:
    import ipaddress

    try:
        return tuple(ipaddress.ip_network(value, strict=False) for value in values)
    except ValueError as error:
        raise click.BadParameter(f"{error} (an address or a network like 10.0.0.0/8)") from None


# The state names ss(8) takes in its state filter and prints in its State column, and netkit's
# own (psutil's), all matched without case and with '-' and '_' alike: time-wait, TIME_WAIT,
# estab, listening, LISTEN, fin-wait-1, FIN_WAIT1 ... ss's groups name several states at once.
_CONNECTED = frozenset(TCP_STATES) - {"LISTEN", "CLOSE"}
_STATE_GROUPS: dict[str, frozenset[str]] = {
    "all": frozenset(TCP_STATES),
    "connected": _CONNECTED,
    "synchronized": _CONNECTED - {"SYN_SENT"},
    "bucket": frozenset({"TIME_WAIT", "SYN_RECV"}),
    "big": frozenset(TCP_STATES) - {"TIME_WAIT", "SYN_RECV"},
}
_STATE_ALIASES = {
    "estab": "ESTABLISHED",
    "listening": "LISTEN",
    "closed": "CLOSE",
    "synrcv": "SYN_RECV",
    "synreceived": "SYN_RECV",
}
_SS_STATES = (
    "established", "estab", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait",
    "closed", "close-wait", "last-ack", "listening", "listen", "closing",
)  # fmt: skip
STATE_NAMES = (
    ", ".join(_SS_STATES) + " (ss's names, or TIME_WAIT...); groups: " + ", ".join(_STATE_GROUPS)
)


def _complete_states(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list["CompletionItem"]:
    from click.shell_completion import CompletionItem

    names = [*_SS_STATES, *_STATE_GROUPS, *TCP_STATES]
    prefix = incomplete.lower()
    return [
        CompletionItem(name) for name in dict.fromkeys(names) if name.lower().startswith(prefix)
    ]


def _state_key(text: str) -> str:
    return text.lower().replace("-", "").replace("_", "")


def _tcp_states(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> frozenset[str]:
    known = {_state_key(state): state for state in TCP_STATES}
    known.update(_STATE_ALIASES)
    chosen: set[str] = set()
    for value in values:
        key = _state_key(value)
        if key in _STATE_GROUPS:
            chosen |= _STATE_GROUPS[key]
        elif key in known:
            chosen.add(known[key])
        else:
            raise click.BadParameter(f"{value!r} is not a TCP state: {STATE_NAMES}")
    return frozenset(chosen)


@click.command()
@click.option("-l", "--listening", is_flag=True, help="Only listening sockets "
              "(TCP in LISTEN, unconnected UDP, named Unix sockets).")  # fmt: skip
@click.option("-t", "--tcp", is_flag=True, help="TCP sockets.")
@click.option("-u", "--udp", is_flag=True, help="UDP sockets.")
@click.option("-x", "--unix", is_flag=True, help="Unix domain sockets.")
@click.option("-4", "ipv4", is_flag=True, help="Only IPv4 TCP and UDP sockets.")
@click.option("-6", "ipv6", is_flag=True, help="Only IPv6 TCP and UDP sockets.")
@click.option("-n", "--numeric", is_flag=True, expose_value=False,
              help="Accepted for ss's -n; does nothing: numbers are always shown.")  # fmt: skip
@click.option("-p", "--processes", is_flag=True, expose_value=False,
              help="Accepted for ss's -p; does nothing: processes are always shown.")  # fmt: skip
@click.option("-a", "--all", "all_sockets", is_flag=True, expose_value=False,
              help="Accepted for ss's -a; does nothing: every state is shown unless -l "
              "or --state.")  # fmt: skip
@list_option(
    "--port",
    "ports",
    item=PortType(),
    metavar="PORT",
    help="Only sockets whose local or remote port is PORT, a number or a service name like "
    "ssh (comma list or repeatable).",
)
@list_option(
    "--pid",
    "pids",
    item=click.IntRange(0),
    metavar="N",
    shell_complete=complete_pid,
    help="Only sockets of process N (comma list or repeatable).",
)
@list_option(
    "--state",
    "states",
    callback=_tcp_states,
    shell_complete=_complete_states,
    metavar="STATE",
    help="Only TCP sockets in STATE (comma list or repeatable): " + STATE_NAMES + ".",
)
@click.option(
    "--process",
    metavar="NAME",
    shell_complete=complete_process_name,
    help="Only sockets of processes whose name contains NAME.",
)
@list_option(
    "--sport",
    "sports",
    callback=_port_ranges,
    metavar="PORT[-PORT]",
    help="Only sockets whose local port is PORT or in the range (comma list or repeatable).",
)
@list_option(
    "--dport",
    "dports",
    callback=_port_ranges,
    metavar="PORT[-PORT]",
    help="Only sockets whose remote port is PORT or in the range (comma list or repeatable).",
)
@list_option(
    "--src",
    callback=_networks,
    metavar="CIDR",
    help="Only sockets whose local address is in CIDR (comma list or repeatable).",
)
@list_option(
    "--dst",
    callback=_networks,
    metavar="CIDR",
    help="Only sockets whose remote address is in CIDR (comma list or repeatable).",
)
@list_option(
    "--user",
    "users",
    metavar="USER",
    help="Only sockets owned by USER, a name or a uid (comma list or repeatable).",
)
@click.option(
    "-e", "--extended", is_flag=True, help="Show each socket's uid, inode and cookie, as ss -e."
)
@click.option("-o", "--timers", is_flag=True, help="Show the active timer, as ss -o.")
@click.option("-m", "--memory", is_flag=True, help="Show socket memory (skmem), as ss -m.")
@click.option(
    "-i",
    "--info",
    is_flag=True,
    help="Show TCP internals (tcp_info: rtt, cwnd, retransmits, rates...), as ss -i.",
)
@click.option(
    "-s",
    "--summary",
    is_flag=True,
    help="Totals per protocol and TCP state instead of the sockets, as ss -s (Linux).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="A live view of the TCP connections "
    "that match: bytes and retransmits per --interval, busiest first, until Ctrl-C.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="Time between two rounds of --watch.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --watch: stop after N rounds (default: run until Ctrl-C).",
)
@json_option
def conns(  # click passes every option by keyword
    *,
    listening: bool,
    tcp: bool,
    udp: bool,
    unix: bool,
    ipv4: bool,
    ipv6: bool,
    ports: tuple[int, ...],
    pids: tuple[int, ...],
    states: frozenset[str],
    process: str | None,
    sports: tuple[PortRange, ...],
    dports: tuple[PortRange, ...],
    src: tuple[Network, ...],
    dst: tuple[Network, ...],
    users: tuple[str, ...],
    extended: bool,
    timers: bool,
    memory: bool,
    info: bool,
    summary: bool,
    watch: bool,
    interval: float,
    count: int | None,
    as_json: bool,
) -> int:
    """Sockets on this host and their processes, like ss -tunap.

    \b
    Without -t, -u or -x it lists TCP and UDP sockets, as ss -tunap does; -x adds Unix
    sockets. Filters combine: netkit conns -lt --port 5566 shows who listens on TCP 5566.
    ss's letters work as typed (netkit conns -tulpn): -n and -p are accepted and change
    nothing, since numbers and processes are always shown.
    Without root, other users' sockets show no process (a note says so).
    """
    context = click.get_current_context()
    for name in ("interval", "count"):
        if context.get_parameter_source(name) is not ParameterSource.DEFAULT and not watch:
            raise click.UsageError(f"--{name} only makes sense with --watch")
    if summary:
        _refuse_given(context, "-s", _SUMMARY_TAKES, "it counts every socket, unfiltered")
        return _summary(as_json=as_json)
    if watch:
        _refuse_given(context, "--watch", _WATCH_TAKES, "it follows TCP connections' traffic")
    from netkit.render.conns import ConnectionColumns, render_connections
    from netkit.sysinfo.conns import list_connections

    flags: tuple[tuple[Proto, bool], ...] = (("tcp", tcp), ("udp", udp), ("unix", unix))
    chosen = {proto for proto, on in flags if on}
    # -4 and -6 narrow the TCP and UDP sockets; Unix sockets asked for with -x still show.
    ip_families = {f for f, on in (("IPv4", ipv4), ("IPv6", ipv6)) if on} or {"IPv4", "IPv6"}
    families = ip_families | {"unix"}
    wanted = ConnectionFilter(
        protos=frozenset(chosen or {"tcp", "udp"}),
        families=frozenset(families),
        listening=listening,
        ports=frozenset(ports),
        pids=frozenset(pids),
        states=states,
        process=process,
        sports=sports,
        dports=dports,
        src=src,
        dst=dst,
        users=frozenset(users),
    )
    if watch:
        return _watch(wanted, interval=interval, count=count, as_json=as_json)
    listing = list_connections(wanted, info=info, memory=memory)
    shown = ConnectionColumns(extended=extended, timers=timers, memory=memory, info=info)
    render_connections(listing, as_json=as_json, shown=shown)
    return ExitStatus.OK


_SUMMARY_TAKES = frozenset({"summary", "as_json", "numeric", "processes", "all_sockets"})
_WATCH_TAKES = frozenset(
    {"watch", "interval", "count", "as_json", "numeric", "processes", "all_sockets", "tcp",
     "ipv4", "ipv6", "ports", "pids", "states", "process", "sports", "dports", "src", "dst",
     "users"}
)  # fmt: skip


def _refuse_given(context: click.Context, mode: str, takes: frozenset[str], why: str) -> None:
    """A usage error for the first option typed that ``mode`` would ignore."""
    for param in context.command.params:
        if param.name is None or param.name in takes:
            continue
        if context.get_parameter_source(param.name) not in (None, ParameterSource.DEFAULT):
            flag = min(param.opts, key=len)
            raise click.UsageError(f"{mode} and {flag} exclude each other: {why}")


def _summary(*, as_json: bool) -> int:
    import sys

    if sys.platform != "linux":
        raise NetkitUsageError("-s reads Linux's socket counters (/proc/net/sockstat)")
    from netkit.render.conns import render_summary
    from netkit.sysinfo.summary import socket_summary

    render_summary(socket_summary(), as_json=as_json)
    return ExitStatus.OK


def _watch(wanted: ConnectionFilter, *, interval: float, count: int | None, as_json: bool) -> int:
    import sys

    if sys.platform != "linux":
        raise NetkitUsageError("--watch reads tcp_info through Linux's sock_diag")
    from netkit.cli.live import watch_until_stopped
    from netkit.render.conns import activity_display
    from netkit.sysinfo.watch import watch_connections

    return watch_until_stopped(
        activity_display(as_json=as_json), watch_connections(wanted, interval, count)
    )
