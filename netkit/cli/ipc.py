"""`netkit ipc`: pipe, socketpair and SCM_RIGHTS demos between a parent and a child, and a bench."""

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from netkit.cli.options import json_option, list_option
from netkit.errors import ExitStatus

_FAULTS = click.Choice(["child-crash"])
_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20}
_MAX_SIZE = 64 << 20


if TYPE_CHECKING:  # click >= 8.4 is generic; older click (allowed by pyproject) is not
    _IntParamType = click.ParamType[int]
else:
    _IntParamType = click.ParamType


class ByteSize(_IntParamType):
    """A byte count: 65536, 64K, 64KiB, 1M."""

    name = "bytes"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", str(value))
        unit = match and _SIZE_UNITS.get(match.group(2).lower())
        if match is None or unit is None:
            self.fail(f"{value!r} is not a size like 65536, 64K or 1M", param, ctx)
        size = int(match.group(1)) * unit
        if not 1 <= size <= _MAX_SIZE:
            self.fail(f"{value!r} is outside 1 B .. 64 MiB", param, ctx)
        return size


@click.group()
def ipc() -> None:
    """Inter-process communication between a parent and a forked child.

    \b
      netkit ipc pipe                 pipe(), fork(): the parent writes, the child prints
      netkit ipc socketpair           socketpair(): a message each way on one pair
      netkit ipc fdpass               an open file passed with SCM_RIGHTS, and SO_PEERCRED
      netkit ipc bench                throughput and round trips: pipe, socketpair, unix, tcp

    The demos print the reference's lines, then every step in the order it took effect, with
    the real descriptor numbers and pids.
    """


_inject_fault = click.option("--inject-fault", type=_FAULTS, hidden=True, help="Test hook.")
_explain = click.option(
    "--explain",
    is_flag=True,
    help="Narrate the steps on stderr as --explain narrates every command's calls (JSON Lines "
    "with --json), instead of the step table.",
)
_show_c = click.option(
    "--show-c",
    is_flag=True,
    help="Print the equivalent C program, with the message filled in, instead of running the "
    "demo (build it with cc -Wall -Wextra -O2).",
)


def _print_program(source: str, as_json: bool) -> int:
    """--show-c: the generated C on stdout. It is plain printable ASCII by construction (every
    outside byte is escaped in it), so it is written as it is."""
    if as_json:
        raise click.UsageError("--show-c prints C source: it has no --json form")
    sys.stdout.write(source)
    return ExitStatus.OK


def _refuse_explain(explain: bool) -> None:
    if explain:
        raise click.UsageError("--show-c and --explain exclude each other: the demo does not run")


@ipc.command()
@click.option(
    "-m",
    "--message",
    default="Hello from parent",
    show_default=True,
    help="What the parent sends: at most 4095 bytes, so that with its NUL it fits PIPE_BUF.",
)
@json_option
@_show_c
@_explain
@_inject_fault
def pipe(message: str, as_json: bool, show_c: bool, explain: bool, inject_fault: str | None) -> int:
    """pipe() and fork(): the parent writes a message, the child reads it and prints it.

    Like the C, the message travels with its NUL (strlen + 1 bytes) and must fit in PIPE_BUF
    (4096 bytes), so the write is atomic.
    """
    if show_c:
        from netkit.showc.ipc import pipe_program

        _refuse_explain(explain)
        return _print_program(pipe_program(message), as_json)
    from netkit.ipc.demos import run_pipe
    from netkit.render.ipc import render_demo

    result = run_pipe(message, child_stdout=None if as_json else 1, fault=inject_fault)
    render_demo(result, as_json=as_json, explain=explain)
    return ExitStatus.OK


@ipc.command()
@click.option("-m", "--message", default="Hi child", show_default=True, help="Parent to child.")
@click.option("-r", "--reply", default="Hi parent", show_default=True, help="Child to parent.")
@json_option
@_show_c
@_explain
@_inject_fault
def socketpair(  # click hands each option over by name
    message: str, reply: str, as_json: bool, show_c: bool, explain: bool, inject_fault: str | None
) -> int:
    """socketpair(AF_UNIX, SOCK_STREAM) and fork(): one message each way on the same pair."""
    if show_c:
        from netkit.showc.ipc import socketpair_program

        _refuse_explain(explain)
        return _print_program(socketpair_program(message, reply), as_json)
    from netkit.ipc.demos import run_socketpair
    from netkit.render.ipc import render_demo

    stdout = None if as_json else 1
    result = run_socketpair(message, reply, child_stdout=stdout, fault=inject_fault)
    render_demo(result, as_json=as_json, explain=explain)
    return ExitStatus.OK


@ipc.command()
@click.option(
    "-f",
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Pass this file (default: a nameless O_TMPFILE file only the descriptor reaches).",
)
@json_option
@_explain
@_inject_fault
def fdpass(path: Path | None, as_json: bool, explain: bool, inject_fault: str | None) -> int:
    """Pass an open file to the child with SCM_RIGHTS; both ends show SO_PEERCRED.

    The child connects to the parent's Unix socket; only then does the parent open the file
    and send its descriptor, so the child reads a file it never inherited. The descriptor
    number differs on each side: the kernel installs the file at the child's lowest free one.
    Linux only (SO_PEERCRED, the abstract socket namespace).
    """
    from netkit.ipc.fdpass import run_fdpass
    from netkit.render.ipc import render_fdpass

    result = run_fdpass(path, child_stdout=None if as_json else 1, fault=inject_fault)
    render_fdpass(result, as_json=as_json, explain=explain)
    return ExitStatus.OK


@ipc.command()
@list_option(
    "-k",
    "--kind",
    "kinds",
    item=click.Choice(
        ["pipe", "socketpair", "unix", "tcp", "udp", "unix-dgram"], case_sensitive=False
    ),
    help="Channels to measure (comma list or repeatable; default: all, UDP and Unix "
    "datagrams as extras).",
)
@click.option(
    "-s", "--size", type=ByteSize(), help="One message size (default: 64 B to 1 MiB, x4 steps)."
)
@click.option(
    "--total",
    "total_mib",
    type=click.IntRange(1, 16384),
    help="MiB per throughput run (default: 65536 messages, at most 256 MiB).",
)
@click.option(
    "--round-trips",
    type=click.IntRange(1, 1_000_000),
    default=20000,
    show_default=True,
    help="At most this many round trips per run (also at most 0.25 s of them).",
)
@json_option
@click.option("--inject-fault", type=click.Choice(["corrupt"]), hidden=True, help="Test hook.")
def bench(
    *,
    kinds: tuple[str, ...],
    size: int | None,
    total_mib: int | None,
    round_trips: int,
    as_json: bool,
    inject_fault: str | None,
) -> int:
    """One-way throughput and round-trip latency between a parent and its child.

    \b
    For each channel and size a child is forked: it writes the bytes in SIZE-byte writes
    while the parent reads and times them (from fork() to the last byte, as the C baseline
    ipcbench.c does), then the parent sends SIZE-byte messages the child echoes back.
    Every byte is checked against the pattern that was sent; a mismatch is an error.
    UDP carries at most 65507 bytes and loses datagrams it cannot queue (shown as lost).
    """
    from netkit.ipc.bench import SIZES, BenchSettings, fits, run_bench
    from netkit.ipc.channels import KINDS
    from netkit.render.ipc import bench_progress, note_left_out, render_bench

    settings = BenchSettings(
        total_bytes=None if total_mib is None else total_mib << 20,
        max_round_trips=round_trips,
        inject_corruption=inject_fault == "corrupt",
    )
    sizes = SIZES if size is None else (size,)
    with bench_progress(as_json) as progress:
        results = run_bench(kinds or KINDS, sizes, settings, on_start=progress)
    if not results:
        raise click.UsageError(f"no channel among {', '.join(kinds)} carries {size}-byte messages")
    render_bench(results, as_json=as_json)
    # A channel the user named is never left out silently (by default the limits are in --help).
    note_left_out([(k, s) for k in dict.fromkeys(kinds) for s in sizes if not fits(k, s)])
    return ExitStatus.OK
