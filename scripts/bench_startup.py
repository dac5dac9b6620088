#!/usr/bin/env python3
"""Start-up cost of `netkit conv ip` against importing click and rich.table, side by side.

Runs both commands alternately (so machine noise hits both alike) and prints the medians and
the ratio. The target is a ratio of at most 1.2.

    python scripts/bench_startup.py [--runs 40]
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    netkit = shutil.which("netkit", path=str(Path(sys.executable).parent)) or shutil.which("netkit")
    if netkit is None:
        sys.exit("netkit is not installed in this environment")
    commands = {
        "baseline": [sys.executable, "-c", "import click, rich.table"],
        "netkit": [netkit, "conv", "ip", "192.168.1.1"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(3):  # warm the page cache and .pyc files
        for command in commands.values():
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    for _ in range(args.runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:>9}: {median * 1000:6.1f} ms  ({' '.join(commands[name])})")
    print(f"    ratio: {medians['netkit'] / medians['baseline']:.2f}  (target <= 1.20)")


if __name__ == "__main__":
    main()
