"""`netkit conns`: the sockets on this host, like `ss -tunap`."""

import click

from netkit.cli.completers import complete_pid, complete_process_name
from netkit.cli.options import json_option
from netkit.errors import ExitStatus
from netkit.sysinfo.conns import TCP_STATES, ConnectionFilter, Proto


@click.command()
@click.option("-l", "--listening", is_flag=True, help="Only listening sockets "
              "(TCP in LISTEN, unconnected UDP, named Unix sockets).")  # fmt: skip
@click.option("-t", "--tcp", is_flag=True, help="TCP sockets.")
@click.option("-u", "--udp", is_flag=True, help="UDP sockets.")
@click.option("-x", "--unix", is_flag=True, help="Unix domain sockets.")
@click.option("-4", "ipv4", is_flag=True, help="Only IPv4 TCP and UDP sockets.")
@click.option("-6", "ipv6", is_flag=True, help="Only IPv6 TCP and UDP sockets.")
@click.option(
    "-p",
    "--port",
    "ports",
    type=click.IntRange(0, 65535),
    multiple=True,
    metavar="N",
    help="Only sockets whose local or remote port is N (repeatable).",
)
@click.option(
    "--pid",
    "pids",
    type=click.IntRange(0),
    multiple=True,
    metavar="N",
    shell_complete=complete_pid,
    help="Only sockets of process N (repeatable).",
)
@click.option(
    "--state",
    "states",
    type=click.Choice(TCP_STATES, case_sensitive=False),
    multiple=True,
    metavar="STATE",
    help="Only TCP sockets in STATE: " + ", ".join(TCP_STATES) + " (repeatable).",
)
@click.option(
    "--process",
    metavar="NAME",
    shell_complete=complete_process_name,
    help="Only sockets of processes whose name contains NAME.",
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
    states: tuple[str, ...],
    process: str | None,
    as_json: bool,
) -> int:
    """Sockets on this host and their processes, like ss -tunap.

    \b
    Without -t, -u or -x it lists TCP and UDP sockets, as ss -tunap does; -x adds Unix
    sockets. Filters combine: netkit conns -lt --port 5566 shows who listens on TCP 5566.
    Without root, other users' sockets show no process (a note says so).
    """
    from netkit.render.sysinfo import render_connections
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
        states=frozenset(s.upper() for s in states),
        process=process,
    )
    render_connections(list_connections(wanted), as_json=as_json)
    return ExitStatus.OK
