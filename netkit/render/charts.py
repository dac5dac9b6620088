"""Small terminal charts: horizontal bars, a log-bucket histogram and sparklines.

Drawn with block characters into rich tables, so they line up with netkit's other tables and
take no dependency. Every label goes through ``tables.data()``: an interface name or a design
name is data, never markup. The drawing functions are pure (numbers in, text out) so that
they can be checked at a fixed width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from netkit.render.tables import cell, data

EIGHTHS = " ▏▎▍▌▋▊▉█"  # a bar's last cell in eighths of a character
SPARKS = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 30  # with the labels, a chart fits in 60 columns


def bar(value: float, peak: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar ``value / peak`` of ``width`` characters long, to an eighth of one."""
    if peak <= 0 or value <= 0:
        return ""
    eighths = max(1, round(min(value / peak, 1.0) * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def sparkline(values: Sequence[float], width: int | None = None) -> str:
    """The last ``width`` values as one line of block heights, scaled from 0 to their peak."""
    shown = list(values[-width:]) if width else list(values)
    peak = max(shown, default=0.0)
    if peak <= 0:
        return SPARKS[0] * len(shown)
    top = len(SPARKS) - 1
    return "".join(SPARKS[min(top, round(v / peak * top))] if v > 0 else " " for v in shown)


def spark(values: Sequence[float], width: int, style: str = "cyan") -> Text:
    """A sparkline as a table cell of a fixed ``width``: the newest value at the right, blank
    where there is no history yet (ifaces --watch; conns --watch can use it the same way)."""
    return data(sparkline(values, width).rjust(width), style=style)


def _grid(title: str | None) -> Table:
    table = Table.grid(padding=(0, 1))
    if title is not None:
        table.title = data(title)
        table.title_justify = "left"
    return table


def bar_chart(rows: Sequence[tuple[str, float | None, str]], *, title: str | None = None) -> Table:
    """One bar per (label, value, value as text); a missing value gets no bar."""
    peak = max((value or 0.0 for _, value, _ in rows), default=0.0)
    table = _grid(title)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="cyan")
    table.add_column(justify="right", no_wrap=True)
    for label, value, text in rows:
        table.add_row(data(label), data(bar(value or 0.0, peak)), cell(text if value else None))
    return table


def histogram_chart(buckets: Sequence[tuple[int, int]], *, title: str | None = None) -> Table:
    """Latency counts per power-of-two bucket (upper bound µs, count): a bar, the count and
    the share of all requests per bucket."""
    total = sum(count for _, count in buckets) or 1
    peak = max((count for _, count in buckets), default=0)
    table = _grid(title)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True, style="cyan")
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for bound, count in buckets:
        table.add_row(
            data(f"< {_duration(bound)}"),
            data(bar(count, peak)),
            data(f"{count:,}"),
            data(f"{count * 100 / total:.1f}%"),
        )
    return table


def _duration(micros: int) -> str:
    if micros >= 1_000_000:
        return f"{micros / 1e6:g} s"
    if micros >= 1000:
        return f"{micros / 1000:g} ms"
    return f"{micros} µs"
