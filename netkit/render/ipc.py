"""Output for `netkit ipc`: the demos' step tables, peer credentials, and the benchmark table."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from statistics import median

from rich.table import Table

from netkit.ipc.bench import BenchResult
from netkit.ipc.demos import DemoResult
from netkit.ipc.fdpass import FdPassResult
from netkit.ipc.steps import Step
from netkit.render.output import emit_json, emit_message
from netkit.render.tables import cell, data, records_table, show, stderr_console

_ACTOR_STYLE = {"parent": "cyan", "child": "magenta"}


def _steps_table(steps: Sequence[Step], title: str) -> Table:
    rows = [
        (
            index,
            f"{step.t_us:.1f}",
            data(step.actor, style=_ACTOR_STYLE.get(step.actor, "")),
            step.pid,
            step.call,
            step.result,
        )
        for index, step in enumerate(steps, 1)
    ]
    table = records_table(("#", "t (µs)", "who", "pid", "call", "result"), rows, title=title)
    table.columns[1].justify = "right"
    return table


_TITLES = {
    "pipe": "pipe(): who did what, in the order it took effect",
    "socketpair": "socketpair(): who did what, in the order it took effect",
}


def render_demo(result: DemoResult, *, as_json: bool, explain: bool = False) -> None:
    """The child printed its own line already; then the parent's line and the step table (with
    --explain the steps are narrated on stderr instead, as every command's calls are)."""
    if explain:
        from netkit.render.explain import narrate_steps

        narrate_steps(result.steps, as_json=as_json)
    if as_json:
        emit_json(result)
        return
    if result.parent_line is not None:
        show(result.parent_line)
    if not explain:
        show(_steps_table(result.steps, _TITLES[result.demo]))


def render_fdpass(result: FdPassResult, *, as_json: bool, explain: bool = False) -> None:
    if explain:
        from netkit.render.explain import narrate_steps

        narrate_steps(result.steps, as_json=as_json)
    if as_json:
        emit_json(result)
        return
    if not explain:
        show(_steps_table(result.steps, "SCM_RIGHTS: who did what, in the order it took effect"))
    real_pid = {"parent": result.child_pid, "child": result.parent_pid}
    rows = [
        (
            creds.seen_by,
            "the child" if creds.seen_by == "parent" else "the parent",
            creds.pid,
            creds.uid,
            creds.gid,
            "yes"
            if (creds.pid, creds.uid, creds.gid)
            == (real_pid[creds.seen_by], result.uid, result.gid)
            else data("NO", style="red"),
        )
        for creds in result.credentials
    ]
    columns = ("seen by", "peer", "pid", "uid", "gid", "matches the peer")
    show(records_table(columns, rows, title="SO_PEERCRED: the peer, as the kernel reports it"))
    where = "a nameless O_TMPFILE file" if result.file is None else result.file
    show(
        f"{where}: fd {result.parent_fd} in the parent, fd {result.child_fd} in the child "
        f"(SCM_RIGHTS); the child read {result.bytes_read} bytes through it"
    )


@contextmanager
def bench_progress(quiet: bool) -> Iterator[Callable[[str, int, int, int], None] | None]:
    """A spinner on stderr saying which run is going, on a terminal only."""
    console = stderr_console()
    if quiet or not console.is_terminal:
        yield None
        return
    with console.status(data("starting")) as status:

        def update(kind: str, size: int, index: int, runs: int) -> None:
            status.update(data(f"{kind} at {human_size(size)} ({index + 1}/{runs})"))

        yield update


def human_size(size: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


def note_left_out(left_out: Sequence[tuple[str, int]]) -> None:
    """A line on stderr for each channel asked for by name that some sizes could not run on."""
    from netkit.ipc.bench import datagram_sizes

    sizes_of: dict[str, list[int]] = {}
    for kind, size in left_out:
        sizes_of.setdefault(kind, []).append(size)
    for kind, sizes in sizes_of.items():
        low, high = datagram_sizes(kind)
        shown = ", ".join(human_size(size) for size in sizes)
        message = f"no {kind} run at {shown}: it carries {low} to {high} B a message"
        emit_message("note", message)


def _unix_vs_tcp(results: Sequence[BenchResult]) -> str | None:
    """The reference's claim, checked: Unix sockets beat TCP loopback, by this much."""
    by_key = {(r.kind, r.size): r for r in results}
    pairs = [
        (u, by_key[("tcp", u.size)])
        for u in results
        if u.kind == "unix" and ("tcp", u.size) in by_key
    ]
    if not pairs:
        return None
    speed = median(u.mibps / t.mibps for u, t in pairs if t.mibps > 0)
    latency = median(t.rtt_p50_us / u.rtt_p50_us for u, t in pairs if u.rtt_p50_us > 0)
    verdict = "holds" if speed > 1 and latency > 1 else "does not hold here"
    over = (
        "at " + human_size(pairs[0][0].size)
        if len(pairs) == 1
        else f"median over {len(pairs)} sizes"
    )
    return (
        f"Unix stream sockets vs TCP loopback: {speed:.2f}x the throughput, round trips "
        f"{latency:.2f}x faster ({over}): the reference's claim {verdict}."
    )


def _lost(result: BenchResult) -> str | None:
    if result.kind != "udp":
        return None
    sent = result.bytes // result.size + result.lost
    return f"{result.lost:,} ({100 * result.lost / sent:.0f}%)" if sent else "0"


def render_bench(results: Sequence[BenchResult], *, as_json: bool) -> None:
    if as_json:
        emit_json(results)
        return
    with_loss = any(r.kind == "udp" for r in results)
    columns = ["size", "kind", "MiB/s", "RTT p50 µs", "RTT p99 µs", "round trips"]
    columns += ["UDP lost"] if with_loss else []
    table = records_table(columns, [], title="IPC throughput and round trips")
    for index in range(2, len(columns)):
        table.columns[index].justify = "right"
    for index, r in enumerate(results):
        row: list[object] = [human_size(r.size), r.kind, f"{r.mibps:,.0f}"]
        row += [f"{r.rtt_p50_us:.1f}", f"{r.rtt_p99_us:.1f}", f"{r.round_trips:,}"]
        row += [_lost(r)] if with_loss else []
        last_of_size = index + 1 < len(results) and results[index + 1].size != r.size
        table.add_row(*(cell(value) for value in row), end_section=last_of_size)
    show(table)
    show("Throughput is child to parent; every byte received was checked against what was sent.")
    verdict = _unix_vs_tcp(results)
    if verdict is not None:
        show(verdict)
