#!/usr/bin/env python3
"""What a big `netkit conv ip -` costs as a table (to a pipe and to a terminal) against --json.

Feeds the same addresses on stdin to each form, alternately (so machine noise hits all alike),
and prints the median wall time and the peak RSS of each process, with the ratios to --json.
The target is a table at most 1.5x the cost of its JSON. Then the peak RSS of a piped table at
two sizes, which streaming should keep flat.

    python scripts/bench_conv.py [--rows 50000] [--runs 3]
"""

import argparse
import os
import pty
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def write_addresses(path: Path, count: int, seed: int = 20) -> None:
    """A mix like a log's: IPv4 mostly, some IPv6, some with a prefix, a few invalid.

    Written line by line on purpose: a child started with vfork (as subprocess does) inherits
    its parent's peak RSS in ru_maxrss, so this process must stay smaller than netkit.
    """
    rng = random.Random(seed)
    with path.open("w") as out:
        for i in range(count):
            kind = i % 10
            if kind < 6:
                line = ".".join(str(rng.randrange(256)) for _ in range(4))
            elif kind < 8:
                line = ":".join(f"{rng.randrange(65536):x}" for _ in range(8))
            elif kind == 8:
                line = f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/{rng.randrange(8, 31)}"
            else:
                line = f"1.2.{rng.randrange(300)}"
            out.write(line + "\n")


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # EIO once the child has closed the terminal
        pass


def measure(command: list[str], stdin_path: Path, *, terminal: bool) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run, its output thrown away."""
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "160"}
    env.pop("NO_COLOR", None)
    master = slave = -1
    if terminal:
        master, slave = pty.openpty()
        reader = threading.Thread(target=_drain, args=(master,), daemon=True)
        reader.start()
    with open(stdin_path, "rb") as stdin:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdin=stdin,
            stdout=slave if terminal else subprocess.DEVNULL,
            env=env,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if terminal:
        os.close(slave)
        reader.join(5)
        os.close(master)
    if process.returncode not in (0, 1):
        sys.exit(f"{command} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    netkit = shutil.which("netkit", path=str(Path(sys.executable).parent)) or shutil.which("netkit")
    if netkit is None:
        sys.exit("netkit is not installed in this environment")
    forms = {
        "--json, piped": ([netkit, "conv", "ip", "--json", "-"], False),
        "table, piped": ([netkit, "conv", "ip", "-"], False),
        "table, terminal": ([netkit, "conv", "ip", "-"], True),
    }
    with tempfile.TemporaryDirectory() as scratch:
        stdin_path = Path(scratch) / "addresses"
        write_addresses(stdin_path, args.rows)
        times: dict[str, list[float]] = {name: [] for name in forms}
        peaks: dict[str, list[float]] = {name: [] for name in forms}
        for _ in range(args.runs):
            for name, (command, terminal) in forms.items():
                seconds, peak = measure(command, stdin_path, terminal=terminal)
                times[name].append(seconds)
                peaks[name].append(peak)
        print(f"netkit conv ip - with {args.rows:,} addresses (median of {args.runs} runs)")
        base_time = statistics.median(times["--json, piped"])
        base_peak = max(peaks["--json, piped"])
        for name in forms:
            seconds, peak = statistics.median(times[name]), max(peaks[name])
            print(
                f"  {name:<16} {seconds:6.2f} s ({seconds / base_time:4.2f}x)  "
                f"peak RSS {peak:6.1f} MB ({peak / base_peak:4.2f}x)"
            )
        print("peak RSS of a piped table by size (flat when it streams)")
        sizes = (10_000, 200_000)
        rss = {}
        for size in sizes:
            write_addresses(stdin_path, size)
            _, rss[size] = measure([netkit, "conv", "ip", "-"], stdin_path, terminal=False)
            print(f"  {size:>7,} rows  {rss[size]:6.1f} MB")
        print(f"  ratio {rss[sizes[1]] / rss[sizes[0]]:.2f}x")


if __name__ == "__main__":
    main()
