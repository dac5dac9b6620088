"""Output for `netkit ifaces`: ip-style tables, JSON, the live rates view."""

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from rich.table import Table
from rich.text import Text

from netkit.render.charts import spark
from netkit.render.output import emit_json, emit_json_line, emit_message
from netkit.render.tables import data, records_table, show, stacked, stdout_console
from netkit.sysinfo.ifaces import (
    HISTORY,
    Interface,
    InterfaceRates,
    InterfaceTrend,
    RateHistory,
    Trend,
)

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KiB': IEC units, as `ip -h -s link` prints them."""
    value = float(count)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def note(message: str) -> None:
    """A one-line remark on stderr that does not change the exit status."""
    emit_message("note", message)


# ---------------------------------------------------------------------------------------------
# ifaces


def _link_state(up: bool) -> Text:
    return data("UP", style="green") if up else data("DOWN", style="red")


def _counter_lines(bytes_: int, packets: int, errors: int, drops: int) -> Text:
    lines = [human_bytes(bytes_), f"{packets} pkts"]
    if errors or drops:
        lines.append(f"{errors} errors, {drops} dropped")
    return stacked(lines)


def _keep_whole(table: Table, *names: str) -> Table:
    """Columns whose values must not be folded mid-word (a MAC, an address, a rate)."""
    for column in table.columns:
        if str(column.header) in names:  # a Text made by data(): its words
            column.no_wrap = True
    return table


def render_interfaces(interfaces: Sequence[Interface], *, as_json: bool) -> None:
    if as_json:
        emit_json(list(interfaces))
        return
    with_speed = any(i.speed_mbps is not None for i in interfaces)  # none on virtual hosts
    rows = []
    for i in interfaces:
        c = i.counters
        row: list[object] = [i.name, _link_state(i.up), i.mtu]
        if with_speed:
            row.append(None if i.speed_mbps is None else f"{i.speed_mbps} Mb/s")
        row += [
            i.mac,
            stacked(a.cidr for a in i.addresses) if i.addresses else None,
            c and _counter_lines(c.bytes_recv, c.packets_recv, c.errors_in, c.drops_in),
            c and _counter_lines(c.bytes_sent, c.packets_sent, c.errors_out, c.drops_out),
        ]
        rows.append(row)
    columns = ["name", "state", "mtu", *(["speed"] if with_speed else []), "mac", "addresses",
               "rx", "tx"]  # fmt: skip
    show(_keep_whole(records_table(columns, rows), "name", "mac", "addresses"))


def _rates_table(rates: Sequence[InterfaceRates], interval: float) -> Table:
    rows = [
        (
            r.name,
            _link_state(r.up),
            f"{human_bytes(r.rx_bytes_per_s)}/s",
            f"{human_bytes(r.tx_bytes_per_s)}/s",
            f"{r.rx_packets_per_s:.0f}",
            f"{r.tx_packets_per_s:.0f}",
            data(f"{r.errors_per_s:.0f}", style="red") if r.errors_per_s else "0",
            data(f"{r.drops_per_s:.0f}", style="yellow") if r.drops_per_s else "0",
        )
        for r in rates
    ]
    columns = ("name", "state", "rx/s", "tx/s", "rx pps", "tx pps", "err/s", "drop/s")
    title = f"every {interval:g} s ({time.strftime('%H:%M:%S')}); Ctrl-C stops"
    return _keep_whole(records_table(columns, rows, title=title), *columns)


def _trend_cells(trend: Trend) -> list[object]:
    return [
        spark(trend.history, HISTORY),
        *(f"{human_bytes(v)}/s" for v in (trend.current, trend.average, trend.minimum,
                                          trend.maximum)),
        human_bytes(trend.total_bytes),
    ]  # fmt: skip


def _trends_table(trends: Sequence[InterfaceTrend], interval: float) -> Table:
    """nload/bmon style: per interface a line for rx and one for tx, each with a sparkline of
    the last rounds, then now, avg, min and max over them and the total since the start."""
    rows: list[list[object]] = []
    for t in trends:
        rows.append([t.name, _link_state(t.up), "rx", *_trend_cells(t.rx)])
        rows.append(["", "", "tx", *_trend_cells(t.tx)])
    columns = ("name", "state", "", f"last {HISTORY} rounds", "now", "avg", "min", "max",
               "total")  # fmt: skip
    title = f"every {interval:g} s ({time.strftime('%H:%M:%S')}); Ctrl-C stops"
    return _keep_whole(records_table(columns, rows, title=title), *columns)


class RatesDisplay(Protocol):
    def __call__(self, rates: Sequence[InterfaceRates]) -> None: ...


@contextmanager
def rates_display(*, as_json: bool, interval: float) -> Iterator[RatesDisplay]:
    """Where `ifaces --watch` sends each round of rates: a live view of sparklines on a
    terminal, one table per round when piped, or JSON Lines (one object per interface and
    round) with --json."""
    if as_json:

        def json_lines(rates: Sequence[InterfaceRates]) -> None:
            now = round(time.time(), 3)
            for r in rates:
                emit_json_line({"time": now, "interval": interval, **_asdict(r)})

        yield json_lines
        return
    console = stdout_console()
    if not console.is_terminal:

        def tables(rates: Sequence[InterfaceRates]) -> None:
            show(_rates_table(rates, interval))
            sys.stdout.flush()

        yield tables
        return
    from rich.live import Live

    history = RateHistory(interval)
    with Live(console=console, auto_refresh=False) as live:

        def live_view(rates: Sequence[InterfaceRates]) -> None:
            live.update(_trends_table(history.add(rates), interval), refresh=True)

        yield live_view


def _asdict(rates: InterfaceRates) -> dict[str, object]:
    import dataclasses

    return dataclasses.asdict(rates)
