"""Output for `netkit bench`: a live progress bar on a terminal, then a table or JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from netkit.bench.latency import percentile_name
from netkit.bench.load import Progress
from netkit.render.escape import visible
from netkit.render.output import (
    emit_json,
    emit_json_line,
    emit_lines,
    emit_message,
    terminal_like,
    to_jsonable,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

    from netkit.bench.latency import LatencyFigures
    from netkit.bench.mux import MuxPlan, MuxResult
    from netkit.bench.runner import BenchResult, IntervalResult, IntervalSink, ProgressSink


LOAD_LIMIT_PERCENT = 90
_CLOCK = "{task.completed:4.1f}/{task.total:g} s"  # elapsed of planned: the run has a fixed length


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
    interrupted = " (interrupted: the figures so far)" if result.interrupted else ""
    return (
        f"{result.transport} {result.target}: {result.connections} connections x "
        f"{_size(result.size)} for {result.duration_s:.1f} s{rate}{workers}{interrupted}"
    )


def bench_json(result: BenchResult) -> dict[str, object]:
    """The --json object: the run's fields with the latency ones at the top level (p50_us ...
    max_us, mean_us, stdev_us, histogram) and the uncorrected ones in ``uncorrected``."""
    out: dict[str, object] = {}
    fields = to_jsonable(result)
    assert isinstance(fields, dict)  # a dataclass becomes a dict
    for name, value in fields.items():
        if name == "latency":
            out.update(_latency_fields(result.latency, result.percentiles))
        elif name in ("uncorrected", "connect"):
            figures: LatencyFigures | None = getattr(result, name)
            out[name] = None if figures is None else figures.fields()
        else:
            out[name] = value
    return out


def _latency_fields(
    latency: LatencyFigures | None, percentiles: Sequence[float]
) -> dict[str, object]:
    if latency is not None:
        return latency.fields()
    empty: dict[str, object] = {percentile_name(p): None for p in percentiles}
    empty.update(max_us=None, mean_us=None, stdev_us=None, histogram=None)
    return empty


def render_bench(result: BenchResult, *, as_json: bool, as_lines: bool = False) -> None:
    """The summary: a table (and on a terminal the latency histogram under it), or JSON; with
    ``as_lines`` one compact JSON line, after --interval's JSON Lines."""
    if as_json:
        if as_lines:
            emit_json_line(bench_json(result))
        else:
            emit_json(bench_json(result))
        return
    from netkit.render.tables import data, records_table, show

    columns = ["requests", "req/s", "MiB/s", "errors", "mismatches"]
    row: list[object] = [
        f"{result.requests:,}",
        f"{result.rps:,.0f}",
        f"{result.mibps:,.1f}",
        result.errors,
        result.mismatches,
    ]
    if result.transport == "udp":
        columns += ["lost", "reordered", "duplicates", "jitter"]
        jitter = None if result.jitter_us is None else f"{result.jitter_us:.1f} µs"
        row += [result.lost, result.reordered, result.duplicates, jitter]
    show(data(bench_title(result)))  # its own line: a table title wraps at the table's width
    show(records_table(columns, [row]))
    if result.latency is not None:
        show(_latency_table(result))
        if terminal_like(sys.stdout):  # a picture for people; nothing in a pipe
            from netkit.render.charts import histogram_chart

            show(histogram_chart(result.latency.log_buckets(), title="latency histogram"))
    if result.load_cpu_percent >= LOAD_LIMIT_PERCENT:
        emit_message(
            "note",
            f"a load process used {result.load_cpu_percent:.0f}% of a CPU, so the load "
            "generator may be the limit: add --workers if there are idle cores",
        )
    for sample in result.error_samples:  # on stderr, with the other messages
        emit_message("error", sample)


def _latency_table(result: BenchResult) -> RenderableType:
    from netkit.render.tables import records_table

    columns = ["latency"] + [f"p{p:g}" for p in result.percentiles] + ["max", "mean", "stdev"]
    rows: list[list[object]] = []
    timings = [("from send", result.latency)]
    if result.rate is not None:
        timings = [("from schedule", result.latency), ("uncorrected", result.uncorrected)]
    if result.connect is not None:  # --connect-rate: a request counts from its connect call
        first = ("from connect", result.latency) if result.rate is None else timings[0]
        timings = [("connect", result.connect), first, *timings[1:]]
    for name, figures in timings:
        if figures is None:
            continue
        row: list[object] = [name]
        row += [_micros(value) for _, value in figures.percentiles]
        row += [_micros(figures.max_us), _micros(round(figures.mean_us))]
        row.append(_micros(round(figures.stdev_us)))
        rows.append(row)
    return records_table(columns, rows)


def interval_printer(*, as_json: bool) -> IntervalSink:
    """--interval: a text line, or a JSON line, per interval as it ends."""
    if as_json:
        return emit_json_line

    def line(result: IntervalResult) -> None:
        p50, p99 = _micros(result.p50_us) or "-", _micros(result.p99_us) or "-"
        problems = result.errors + result.mismatches
        emit_lines(
            [
                f"{f'{result.start_s:.1f}-{result.end_s:.1f} s':>13}  {result.rps:>10,.0f} req/s  "
                f"{result.mibps:>9,.2f} MiB/s  p50 {p50:>10}  p99 {p99:>10}  "
                f"{problems} errors"
            ]
        )
        sys.stdout.flush()

    return line


@contextmanager
def bench_progress(duration: float, title: str, *, enabled: bool) -> Iterator[ProgressSink]:
    """A progress bar on stderr while the load runs (on a terminal only); yields its updater."""
    if not enabled or not sys.stderr.isatty():
        yield lambda progress: None
        return
    from rich.progress import BarColumn, TextColumn
    from rich.progress import Progress as Bar

    from netkit.render.tables import stderr_console

    bar = Bar(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn(_CLOCK, markup=False),
        TextColumn("{task.fields[status]}", markup=False),
        TextColumn("{task.fields[problems]}", markup=False, style="red"),
        console=stderr_console(),
        transient=True,
        auto_refresh=False,
    )
    task = bar.add_task(visible(title), total=duration, status="connecting", problems="")
    last = Progress(0, 0, 0, 0.0)

    def update(progress: Progress) -> None:
        nonlocal last
        span = progress.elapsed_s - last.elapsed_s
        rate = (progress.requests - last.requests) / span if span > 0 else 0.0
        status = f"{rate:,.0f} req/s  {progress.requests:,} done"
        problems = ""
        if progress.errors or progress.mismatches:
            problems = f"{progress.errors} errors, {progress.mismatches} mismatches"
        bar.update(
            task,
            completed=min(progress.elapsed_s, duration),
            status=status,
            problems=problems,
        )
        bar.refresh()
        last = progress

    with bar:
        yield update


def _ratio(value: float | None, best: float) -> str | None:
    return None if value is None or not best else f"{value / best:.2f}"


def _cpu_per_request(micros: float | None) -> str | None:
    return None if micros is None else f"{micros:.1f} µs"


def render_mux(results: Sequence[MuxResult], *, as_json: bool) -> None:
    """One table per idle level: the designs side by side."""
    if as_json:
        emit_json(list(results))
        return
    from netkit.render.tables import records_table, show

    levels = sorted({r.idle for r in results})
    first = True
    for level in levels:
        rows = [r for r in results if r.idle == level]
        best = max((r.rps or 0.0 for r in rows), default=0.0)
        columns = ["mux", "req/s", "vs best", "server CPU/req", "server CPU", "p50", "p99"]
        columns += ["idle held"] if level else []
        columns += ["errors", "note"]
        table_rows: list[list[object]] = []
        for r in rows:
            row: list[object] = [
                r.mux,
                None if r.rps is None else f"{r.rps:,.0f}",
                _ratio(r.rps, best),
                None
                if r.server_cpu_us_per_request is None
                else f"{r.server_cpu_us_per_request:.1f} µs",
                None if r.server_cpu_percent is None else f"{r.server_cpu_percent:.0f}%",
                _micros(r.p50_us),
                _micros(r.p99_us),
            ]
            row += [None if r.idle_held is None else f"{r.idle_held:,}"] if level else []
            row += [r.errors + r.mismatches, r.note]
            table_rows.append(row)
        # The blocking design runs with one connection: title the table with everyone else's.
        sample = next((r for r in rows if r.mux != "blocking"), rows[0])
        title = (
            f"netkit listen tcp, {sample.connections} active connections x {_size(sample.size)}, "
            f"{level:,} idle"
        )
        if not first:
            show("")
        show(records_table(columns, table_rows, title=title))
        if terminal_like(sys.stdout):  # a picture for people; nothing in a pipe
            show(*_mux_charts(rows))
        first = False
    capped = [f"{r.mux} ({r.idle:,} idle)" for r in results
              if (r.load_cpu_percent or 0) >= LOAD_LIMIT_PERCENT]  # fmt: skip
    if capped:
        emit_message(
            "note",
            f"the load process used >= {LOAD_LIMIT_PERCENT}% of a CPU in: "
            f"{', '.join(capped)}; there the load generator may be the limit (try --workers)",
        )


def _mux_charts(rows: Sequence[MuxResult]) -> list[RenderableType]:
    """Requests/s and p99 per design as bars, under the table of one idle level."""
    from netkit.render.charts import bar_chart

    rps = [(r.mux, r.rps, f"{r.rps:,.0f}" if r.rps else "") for r in rows]
    p99 = [(r.mux, r.p99_us, _micros(r.p99_us) or "") for r in rows]
    return [bar_chart(rps, title="req/s"), bar_chart(p99, title="p99 latency")]


@contextmanager
def mux_progress(
    plan: MuxPlan, *, enabled: bool
) -> Iterator[tuple[Callable[[str], None], ProgressSink]]:
    """A progress bar per stage (design and idle level) on a terminal; nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield (lambda stage: None), (lambda progress: None)
        return
    from rich.progress import BarColumn, TextColumn
    from rich.progress import Progress as Bar

    from netkit.render.tables import stderr_console

    bar = Bar(
        TextColumn("{task.description:<28}", markup=False),
        BarColumn(),
        TextColumn(_CLOCK, markup=False),
        TextColumn("{task.fields[status]}", markup=False),
        TextColumn("{task.fields[problems]}", markup=False, style="red"),
        console=stderr_console(),
        transient=True,
        auto_refresh=False,
    )
    duration = plan.load.duration
    task = bar.add_task("starting", total=duration, status="", problems="")

    def stage(text: str) -> None:
        bar.update(task, description=visible(text), completed=0, status="", problems="")
        bar.refresh()

    def progress(update: Progress) -> None:
        rate = update.requests / update.elapsed_s if update.elapsed_s else 0.0
        problems = update.errors + update.mismatches
        bar.update(
            task,
            completed=min(update.elapsed_s, duration),
            status=f"{rate:,.0f} req/s",
            problems=f"{problems} errors" if problems else "",
        )
        bar.refresh()

    with bar:
        yield stage, progress
