"""Output for `netkit bench`: a live progress bar on a terminal, then a table or JSON."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from netkit.bench.load import Progress
from netkit.render.output import emit_json

if TYPE_CHECKING:
    from netkit.bench.runner import BenchResult, ProgressSink


def _micros(value: int | None) -> str | None:
    if value is None:
        return None
    return f"{value / 1000:.2f} ms" if value >= 10_000 else f"{value} µs"


def _size(size: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


def bench_title(result: BenchResult) -> str:
    rate = f", capped at {result.rate:g}/s" if result.rate else ""
    workers = f", {result.workers} workers" if result.workers > 1 else ""
    return (
        f"{result.transport} {result.target}: {result.connections} connections x "
        f"{_size(result.size)} for {result.duration_s:.1f} s{rate}{workers}"
    )


def render_bench(result: BenchResult, *, as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    from netkit.render.tables import error_text, records_table, show

    columns = ["requests", "req/s", "MiB/s", "p50", "p90", "p99", "max", "errors", "mismatches"]
    row: list[object] = [
        f"{result.requests:,}",
        f"{result.rps:,.0f}",
        f"{result.mibps:,.1f}",
        _micros(result.p50_us),
        _micros(result.p90_us),
        _micros(result.p99_us),
        _micros(result.max_us),
        result.errors,
        result.mismatches,
    ]
    if result.transport == "udp":
        columns.append("lost")
        row.append(result.lost)
    show(records_table(columns, [row], title=bench_title(result)))
    for sample in result.error_samples:
        show(error_text(f"error: {sample}"))


@contextmanager
def bench_progress(duration: float, title: str, *, enabled: bool) -> Iterator[ProgressSink]:
    """A progress bar on stderr while the load runs (on a terminal only); yields its updater."""
    if not enabled or not sys.stderr.isatty():
        yield lambda progress: None
        return
    from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    from netkit.render.tables import stderr_console

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=stderr_console(),
        transient=True,
        auto_refresh=False,
    )
    task = bar.add_task(title, total=duration, status="connecting")
    last = Progress(0, 0, 0, 0.0)

    def update(progress: Progress) -> None:
        nonlocal last
        span = progress.elapsed_s - last.elapsed_s
        rate = (progress.requests - last.requests) / span if span > 0 else 0.0
        problems = progress.errors + progress.mismatches
        status = f"{rate:,.0f} req/s  {progress.requests:,} done"
        if problems:
            status += f"  [red]{progress.errors} errors, {progress.mismatches} mismatches[/]"
        bar.update(task, completed=min(progress.elapsed_s, duration), status=status)
        bar.refresh()
        last = progress

    with bar:
        yield update
