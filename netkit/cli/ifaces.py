"""`netkit ifaces`: network interfaces like `ip addr` and `ip -s link`, and live traffic rates."""

import click

from netkit.cli.completers import complete_interface
from netkit.cli.options import json_option
from netkit.errors import ExitStatus, NetkitError


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...", shell_complete=complete_interface)
@click.option(
    "--watch",
    is_flag=True,
    help="Show live traffic rates per interface, refreshed every --interval, until Ctrl-C.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="Time between two refreshes of --watch.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --watch: stop after N refreshes (default: run until Ctrl-C).",
)
@json_option
def ifaces(
    names: tuple[str, ...], watch: bool, interval: float, count: int | None, as_json: bool
) -> int:
    """Interfaces and traffic, like ip addr and ip -s link.

    \b
    NAME narrows the list to those interfaces. With --watch, a live table shows bytes and
    packets per second in each direction, errors and drops; with --json as well, one JSON
    object per interface and refresh (JSON Lines). Ctrl-C or SIGTERM ends --watch (exit 0).
    """
    from netkit.render.sysinfo import rates_display, render_interfaces
    from netkit.sysinfo.ifaces import list_interfaces, watch_rates

    interfaces = list_interfaces(names)
    missing = sorted(set(names) - {i.name for i in interfaces})
    if missing:
        known = ", ".join(i.name for i in list_interfaces())
        raise NetkitError(f"no interface named {', '.join(missing)} (there are: {known})")
    if count is not None and not watch:
        raise click.UsageError("--count only makes sense with --watch")
    source = click.get_current_context().get_parameter_source("interval")
    if source is not click.core.ParameterSource.DEFAULT and not watch:
        raise click.UsageError("--interval only makes sense with --watch")
    if not watch:
        render_interfaces(interfaces, as_json=as_json)
        return ExitStatus.OK
    from netkit.cli.live import watch_until_stopped

    return watch_until_stopped(
        rates_display(as_json=as_json, interval=interval), watch_rates(interval, names, count)
    )
