"""`netkit scan HOST... PORTS`: a TCP connect scan (also `netkit connect -z HOST PORTS`)."""

import socket

import click

from netkit.cli.explain import explain_option
from netkit.cli.options import json_option, service_names_to_ports
from netkit.errors import ExitStatus

DEFAULT_CONCURRENCY = 256
DEFAULT_TIMEOUT = 1.0


def run_scan(
    host_specs: list[str],
    port_spec: str,
    *,
    family: int = socket.AF_UNSPEC,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    banner_wait: float | None = None,
    tls: bool = False,
    only_open: bool = False,
    as_json: bool = False,
    force: bool = False,
    explain: bool = False,
) -> int:
    """Scan and print; exit status 0 when any port is open, 1 when none is."""
    from netkit.render.scan import render_scan
    from netkit.scan.engine import Probes, Scanner
    from netkit.scan.targets import check_size, parse_ports, resolve_hosts

    ports = parse_ports(service_names_to_ports(port_spec))
    hosts = resolve_hosts([spec for text in host_specs for spec in text.split(",") if spec],
                          family)  # fmt: skip
    check_size(hosts, ports, force)
    if explain:
        from netkit.cli.explain import explain_scanner

        explain_scanner(as_json, probes=tls or banner_wait is not None)
    if tls:
        from netkit.tls.certificate import require_cryptography

        require_cryptography()
    scanner = Scanner(
        hosts,
        ports,
        concurrency=concurrency,
        timeout=timeout,
        probes=Probes(banner_wait=banner_wait, tls=tls),
    )
    title = f"TCP connect scan: {len(hosts)} host{'s' if len(hosts) != 1 else ''}, " + (
        f"{len(ports)} port{'s' if len(ports) != 1 else ''}"
    )
    any_open = render_scan(
        scanner.results(),
        as_json=as_json,
        only_open=only_open,
        many_hosts=len(hosts) > 1,
        banner=banner_wait is not None,
        tls=tls,
        title=title,
    )
    return ExitStatus.OK if any_open else ExitStatus.FAILURE


@click.command()
@click.argument("hosts", nargs=-1, required=True)
@click.argument("ports")
@click.option("-4", "family", flag_value=socket.AF_INET, type=int, help="IPv4 addresses only.")
@click.option("-6", "family", flag_value=socket.AF_INET6, type=int, help="IPv6 addresses only.")
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(1, 10000),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    metavar="N",
    help="At most N sockets open at once (connecting or probing).",
)
@click.option(
    "-w",
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Per-port connect timeout: no answer within it is 'filtered'.",
)
@click.option(
    "--banner",
    "banner_wait",
    is_flag=False,
    flag_value=1.0,
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="[SECONDS]",
    help="For open ports, show the first bytes the service sends within SECONDS (default 1).",
)
@click.option(
    "--tls", is_flag=True, help="For open ports, show the certificate's subject and expiry."
)
@click.option("--open", "only_open", is_flag=True, help="Show only open ports.")
@click.option("--force", is_flag=True, help="Scan more than 65,536 host-port pairs.")
@json_option
@explain_option("the scan")
def scan(
    *,
    hosts: tuple[str, ...],
    ports: str,
    family: int | None,
    concurrency: int,
    timeout: float,
    banner_wait: float | None,
    tls: bool,
    only_open: bool,
    force: bool,
    as_json: bool,
    explain: bool,
) -> int:
    """TCP connect scan of PORTS on each HOST (names, addresses, CIDR blocks like 10.0.0.0/30).

    \b
      netkit scan localhost 22,80,443,8000-8100
      netkit scan localhost ssh,http,https          service names work as ports
      netkit scan 192.168.1.0/28 22 --open
      netkit scan example.org 443,8443 --tls --banner

    A port is open (the connection was accepted), closed (refused: a reset), filtered (no
    answer within --timeout) or error (with the reason, e.g. host unreachable). The table is
    sorted by host and port and streams as the scan goes; --json prints one list. Exit
    status: 0 when any port is open, 1 when none is, 2 for a usage error.
    """
    return run_scan(
        list(hosts),
        ports,
        family=family or socket.AF_UNSPEC,
        concurrency=concurrency,
        timeout=timeout,
        banner_wait=banner_wait,
        tls=tls,
        only_open=only_open,
        as_json=as_json,
        force=force,
        explain=explain,
    )
