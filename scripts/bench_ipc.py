#!/usr/bin/env python3
"""Compare `netkit ipc bench` with the C baseline ipcbench.c, side by side, and print the ratios.

    scripts/bench_ipc.py [--ipcbench PATH|ipcbench.c] [--size 65536] [--total 1024] [--rounds 7]

Runs alternate (netkit, C, C, netkit, ...) per channel so that load from other processes hits
both alike; the ratio is the median of the ratios of back-to-back pairs. Without ipcbench
(given, on PATH, or /tmp/ipcbench) it prints netkit's figures alone.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

KINDS = ("pipe", "socketpair", "unix", "tcp")


def find_ipcbench(given: str | None) -> str | None:
    """A runnable ipcbench: the given binary, or the given .c compiled with gcc -O2."""
    if given is not None and given.endswith(".c"):
        binary = Path(tempfile.mkdtemp(prefix="ipcbench-")) / "ipcbench"
        subprocess.run(["gcc", "-O2", "-o", str(binary), given], check=True)
        return str(binary)
    candidates = [given] if given else [shutil.which("ipcbench"), "/tmp/ipcbench"]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def netkit_run(kind: str, size: int, total_mib: int) -> tuple[float, float]:
    command = [sys.executable, "-m", "netkit", "ipc", "bench", "--kind", kind]
    command += ["--size", str(size), "--total", str(total_mib), "--json"]
    result = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)[0]
    return float(result["mibps"]), float(result["rtt_p50_us"])


def c_run(binary: str, kind: str, size: int, total_mib: int) -> tuple[float, float]:
    output = subprocess.run(
        [binary, kind, str(size), str(total_mib)], check=True, capture_output=True, text=True
    ).stdout
    fields = dict(re.findall(r"(\w+)=(\S+)", output))
    if fields.get("ok") != "1":
        raise SystemExit(f"ipcbench failed: {output.strip()}")
    return float(fields["mibps"]), float(fields["rtt_us_p50"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ipcbench", help="the ipcbench binary, or ipcbench.c to compile")
    parser.add_argument("--size", type=int, default=65536)
    parser.add_argument("--total", type=int, default=1024, help="MiB per throughput run")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--kind", action="append", choices=KINDS, help="default: all four")
    args = parser.parse_args()
    binary = find_ipcbench(args.ipcbench)
    if binary is None:
        print(
            "no ipcbench (give --ipcbench PATH or ipcbench.c): netkit's figures alone",
            file=sys.stderr,
        )
    kinds = args.kind or list(KINDS)
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_number in range(args.rounds):
        for kind in kinds:
            order = ["netkit", "c"] if round_number % 2 == 0 else ["c", "netkit"]
            for who in order:
                if who == "c" and binary is None:
                    continue
                run = (
                    netkit_run(kind, args.size, args.total)
                    if who == "netkit"
                    else c_run(binary or "", kind, args.size, args.total)
                )
                figures.setdefault((kind, who), []).append(run)
    print(f"size {args.size} B, {args.total} MiB per run, {args.rounds} alternated runs each")
    print("ratio: netkit / C throughput, the median of the ratios of runs made back to back")
    print(f"{'kind':<11} {'netkit MiB/s':>12} {'C MiB/s':>9} {'ratio':>6}   "
          f"{'netkit RTT µs':>13} {'C RTT µs':>9}   pair ratios")  # fmt: skip
    for kind in kinds:
        ours = figures[(kind, "netkit")]
        mibps, rtt = statistics.median(m for m, _ in ours), statistics.median(r for _, r in ours)
        if (kind, "c") not in figures:
            print(f"{kind:<11} {mibps:>12.0f} {'-':>9} {'-':>6}   {rtt:>13.1f} {'-':>9}")
            continue
        theirs = figures[(kind, "c")]
        c_mibps = statistics.median(m for m, _ in theirs)
        c_rtt = statistics.median(r for _, r in theirs)
        ratios = [n / c for (n, _), (c, _) in zip(ours, theirs, strict=True)]
        print(
            f"{kind:<11} {mibps:>12.0f} {c_mibps:>9.0f} {statistics.median(ratios):>6.2f}   "
            f"{rtt:>13.1f} {c_rtt:>9.1f}   {' '.join(f'{r:.2f}' for r in ratios)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
