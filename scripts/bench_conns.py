#!/usr/bin/env python3
"""`netkit conns` against ss on the same many sockets: wall time ratios and memory.

Opens SOCKETS established TCP sockets on loopback (connections whose both ends are held here),
spread over several holder processes since a process may hold at most RLIMIT_NOFILE descriptors
(20,000 here), then times each pair of commands side by side, in rounds A B A B, so that the
load of a shared machine falls on both alike:

    netkit conns -t           to a pipe       vs  ss -tanp to a pipe
    netkit conns -t           to a terminal   vs  ss -tanp to the same kind of terminal (a pty)
    netkit conns -t --json    to a pipe       vs  ss -tanp to a pipe
    netkit conns -t -i        to a pipe       vs  ss -tani to a pipe, and vs ss -tanpi

and two floors against ss -tani: the import of netkit's command line alone, and
bare_conns_info.py, the least any CPython program takes to print what ss -tani prints.

It prints the median of each side, their ratio (netkit / ss; the issue's target is 2x at most) and
netkit's peak memory (ru_maxrss) over that of a listing of an idle host, per 10,000 sockets. It
also prints the median CPU time (user + system) of each side and their ratio: on a machine shared
with other work the wall times wait for the CPU as much as they use it, and the CPU ratio is the
steadier figure (a command's wall time is its CPU time when the machine is otherwise idle).

    python scripts/bench_conns.py                 # 10,000 sockets, 5 rounds
    python scripts/bench_conns.py --sockets 50000 --rounds 3

Everything is bounded: holders exit when this script's pipe to them closes (or after --hold-max
seconds), and each timed command has a timeout.
"""

import argparse
import os
import pty
import resource
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

PER_HOLDER = 8_000  # connections per holder process: 16,000 descriptors, under 20,000


def hold(connections: int, ready_fd: int, max_seconds: float) -> None:
    """In a holder process: open ``connections`` loopback connections, say so, and wait."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * connections + 64), hard))
    server = socket.create_server(("127.0.0.1", 0), backlog=4096)
    port = server.getsockname()[1]
    held: list[socket.socket] = []
    for _ in range(connections):
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        accepted, _ = server.accept()
        held += [client, accepted]
    os.write(ready_fd, f"{port}\n".encode())
    # Wait until the parent closes our stdin (or the bound passes).
    import select

    select.select([sys.stdin], [], [], max_seconds)
    # Reset rather than close: thousands of TIME_WAIT sockets would weigh on the next run.
    linger = struct.pack("ii", 1, 0)
    for sock in held:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        sock.close()


def start_holders(sockets: int, max_seconds: float, stack: ExitStack) -> None:
    connections = sockets // 2
    while connections > 0:
        count = min(PER_HOLDER, connections)
        connections -= count
        read_end, write_end = os.pipe()
        holder = subprocess.Popen(
            [sys.executable, __file__, "--hold", str(count), "--ready-fd", str(write_end),
             "--hold-max", str(max_seconds)],
            stdin=subprocess.PIPE, pass_fds=(write_end,),
        )  # fmt: skip
        os.close(write_end)
        stack.callback(_stop, holder)
        with os.fdopen(read_end) as ready:
            if not ready.readline():
                raise SystemExit(f"a holder of {count} connections did not start")


def _stop(holder: subprocess.Popen[bytes]) -> None:
    if holder.stdin is not None:
        holder.stdin.close()
    try:
        holder.wait(30)
    except subprocess.TimeoutExpired:
        holder.kill()
        holder.wait(10)


class Run(NamedTuple):
    wall: float  # seconds
    peak_kib: int  # ru_maxrss
    cpu: float  # user + system seconds


def run_to_pipe(argv: Sequence[str], timeout: float) -> Run:
    """Wall time, peak RSS and CPU time of ``argv`` with stdout read through a pipe."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    deadline = started + timeout
    while child.stdout.read(1 << 16):
        if time.perf_counter() > deadline:
            child.kill()
            raise SystemExit(f"{argv} took longer than {timeout} s")
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{argv} failed with status {child.returncode}")
    return Run(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


def run_to_terminal(argv: Sequence[str], timeout: float) -> Run:
    """The same with stdout on a pseudo-terminal 200 columns wide, drained as it is written."""
    import fcntl
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    started = time.perf_counter()
    env["TERM"] = "xterm-256color"
    child = subprocess.Popen(
        argv, stdout=terminal, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env
    )
    os.close(terminal)

    def drain() -> None:
        try:
            while os.read(controller, 1 << 16):
                pass
        except OSError:  # EIO: the terminal's last writer has gone
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    reader.join(timeout)
    os.close(controller)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed on a terminal")
    return Run(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


def compare(
    name: str, netkit: list[str], ss: list[str], *, rounds: int, terminal: bool, timeout: float
) -> tuple[float, int]:
    run = run_to_terminal if terminal else run_to_pipe
    ours, theirs = [], []
    for _ in range(rounds):  # A B A B: both sides see the same load
        ours.append(run(netkit, timeout))
        theirs.append(run(ss, timeout))
    median = statistics.median
    a, b = median(r.wall for r in ours), median(r.wall for r in theirs)
    cpu_a, cpu_b = median(r.cpu for r in ours), median(r.cpu for r in theirs)
    print(f"{name:<38} netkit {a:6.3f} s   ss {b:6.3f} s   ratio {a / b:5.2f}x   "
          f"CPU {cpu_a:6.3f} s / {cpu_b:6.3f} s = {cpu_a / cpu_b:5.2f}x", flush=True)  # fmt: skip
    return a / b, max(r.peak_kib for r in ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--hold", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hold-max", type=float, default=900, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hold is not None:
        hold(args.hold, args.ready_fd, args.hold_max)
        return
    netkit = shutil.which("netkit", path=os.path.dirname(sys.executable)) or "netkit"
    # An installed netkit has its bytecode compiled; with PYTHONDONTWRITEBYTECODE set (as in
    # some development shells) an editable one would compile its modules on every run.
    import compileall

    import netkit as package

    compileall.compile_dir(os.path.dirname(package.__file__), quiet=1)
    ss = shutil.which("ss") or sys.exit("ss is not installed")
    baseline = run_to_pipe([netkit, "conns", "-t", "--json"], args.timeout).peak_kib
    with ExitStack() as stack:
        started = time.perf_counter()
        start_holders(args.sockets, args.hold_max, stack)
        listed = int(subprocess.run([ss, "-tanH"], capture_output=True, text=True,
                                    check=True).stdout.count("\n"))  # fmt: skip
        took = time.perf_counter() - started
        print(f"{args.sockets} sockets held in {took:.1f} s (ss lists {listed} TCP sockets); "
              f"medians of {args.rounds} rounds A B A B")  # fmt: skip
        peaks = []
        for name, ours, theirs, terminal in (
            ("table to a pipe (-t vs -tanp)", ["conns", "-t"], ["-tanp"], False),
            ("table to a terminal (-t vs -tanp)", ["conns", "-t"], ["-tanp"], True),
            ("--json (-t --json vs -tanp)", ["conns", "-t", "--json"], ["-tanp"], False),
            ("--info (-ti vs -tani)", ["conns", "-ti"], ["-tani"], False),
            ("--info with processes (vs -tanpi)", ["conns", "-ti"], ["-tanpi"], False),
        ):
            _, peak = compare(name, [netkit, *ours], [ss, *theirs], rounds=args.rounds,
                              terminal=terminal, timeout=args.timeout)  # fmt: skip
            peaks.append(peak)
        # The floors: what CPython takes before netkit does anything, and the least any
        # CPython program takes to print this listing (see bare_conns_info.py).
        bare = str(Path(__file__).with_name("bare_conns_info.py"))
        for name, ours in (
            ("floor: import netkit.cli (vs -tani)", [sys.executable, "-c", "import netkit.cli"]),
            ("floor: bare CPython -tani (vs -tani)", [sys.executable, bare]),
        ):
            compare(name, ours, [ss, "-tani"], rounds=args.rounds, terminal=False,
                    timeout=args.timeout)  # fmt: skip
        grown = (max(peaks) - baseline) / 1024
        print(f"peak memory: {max(peaks) / 1024:.1f} MB (idle host: {baseline / 1024:.1f} MB), "
              f"{grown * 10_000 / args.sockets:.1f} MB per 10,000 sockets")  # fmt: skip


if __name__ == "__main__":
    main()
