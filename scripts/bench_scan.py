#!/usr/bin/env python3
"""Benchmark: `netkit scan` against `nmap -sT` on the same closed loopback ports.

Both are run as whole commands (start-up included), several times each, on ports 20001-21000 of
127.0.0.1 where nothing listens (the script checks). It also samples netkit's open descriptors
while it scans, to show the in-flight bound holds. Prints figures; it is not a pass/fail test.

    python scripts/bench_scan.py [--runs 5] [--concurrency 256]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

FIRST, LAST = 20001, 21000  # below Linux's ephemeral ports (32768-60999)


def _closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def _scan_phase_times(nmap: str | None, spec: str, concurrency: int, runs: int) -> None:
    """The scan alone, without interpreter start-up: netkit's engine timed in this process,
    nmap's own "scanned in" figure."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from netkit.scan.engine import Scanner
    from netkit.scan.targets import parse_ports, resolve_hosts

    hosts, ports = resolve_hosts(["127.0.0.1"], socket.AF_INET), parse_ports(spec)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        results = list(Scanner(hosts, ports, concurrency=concurrency, timeout=1).results())
        times.append(time.perf_counter() - started)
        assert all(result.state == "closed" for result in results)
    print(f"{'netkit core':<12} median {statistics.median(times) * 1000:7.1f} ms  (the scan alone)")
    if nmap:
        figures = []
        for _ in range(runs):
            out = subprocess.run(
                [nmap, "-sT", "-n", "-Pn", "-p", spec, "127.0.0.1"],
                capture_output=True, text=True, check=False,
            ).stdout  # fmt: skip
            match = re.search(r"scanned in ([\d.]+) seconds", out)
            if match:
                figures.append(float(match.group(1)))
        if figures:
            median = statistics.median(figures) * 1000
            print(f"{'nmap own':<12} median {median:7.1f} ms  (its 'scanned in' figure)")


def _peak_descriptors(argv: list[str]) -> int:
    """The most descriptors the process had open at once, sampled every millisecond."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    folder = Path(f"/proc/{process.pid}/fd")
    while process.poll() is None:
        try:
            peak = max(peak, len(os.listdir(folder)))
        except OSError:
            break
        time.sleep(0.001)
    process.wait()
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=256)
    args = parser.parse_args()
    if not all(_closed(port) for port in range(FIRST, LAST + 1)):
        print(f"something listens on 127.0.0.1:{FIRST}-{LAST}; free the range first")
        return 1
    netkit = shutil.which("netkit") or str(Path(sys.executable).parent / "netkit")
    spec = f"{FIRST}-{LAST}"
    commands = {
        "netkit scan": [netkit, "scan", "127.0.0.1", spec, "-c", str(args.concurrency)],
    }
    nmap = shutil.which("nmap")
    if nmap:
        commands["nmap -sT"] = [nmap, "-sT", "-n", "-Pn", "-p", spec, "127.0.0.1"]
    else:
        print("nmap is not installed (apt-get install nmap): netkit alone")
    medians = {}
    for label, argv in commands.items():
        _timed(argv)  # warm the page cache
        times = [_timed(argv) for _ in range(args.runs)]
        medians[label] = statistics.median(times)
        print(
            f"{label:<12} median {medians[label] * 1000:7.1f} ms  "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, {args.runs} runs)"
        )
    _scan_phase_times(nmap, spec, args.concurrency, args.runs)
    peak = _peak_descriptors(commands["netkit scan"])
    print(
        f"netkit peak open descriptors: {peak} (in-flight bound {args.concurrency}, plus stdio "
        "and the epoll descriptor)"
    )
    if "nmap -sT" in medians:
        ratio = medians["netkit scan"] / medians["nmap -sT"]
        print(
            f"netkit / nmap, whole commands: {ratio:.2f}x (the goal: under 2x; Python and "
            "click start-up alone take about 60 ms here)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
