"""Batch DNS throughput: `dig -f` against `netkit resolve --dns -f`, side by side, one NSD.

Starts NSD on a free loopback port with a generated zone of N names, then times both tools on
the same names file in alternating rounds (output to /dev/null, as a user would pipe it) and
prints the median and best wall time of each and the ratio netkit/dig.

    python scripts/bench_resolve.py [--names 5000] [--rounds 11] [--tcp] [--against NETKIT]

With --tcp both ask over TCP (`dig +tcp`, `netkit resolve --tcp`). --against times another
netkit as well (the one of another checkout, say, to measure a change before and after) in
the same rounds, and prints the ratio of this netkit to it.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.resolve.nsd import running_nsd  # from the repo root, put on the path above

ORIGIN = "bench.test."


def zone_text(count: int) -> str:
    lines = [
        f"$ORIGIN {ORIGIN}",
        "$TTL 300",
        "@ IN SOA ns1 hostmaster 1 3600 600 86400 300",
        "@ IN NS ns1",
        "ns1 IN A 127.0.0.1",
    ]
    lines += [f"host{i} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(count)]
    return "\n".join(lines) + "\n"


# netkit as pip installs it: bytecode compiled once and reused (the first, checking, run
# writes it), not recompiled from source on every start as PYTHONDONTWRITEBYTECODE would.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=CHILD_ENV
    )
    return time.perf_counter() - started


def netkit_command() -> str:
    beside = Path(sys.executable).parent / "netkit"
    return str(beside) if beside.exists() else shutil.which("netkit") or "netkit"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--names", type=int, default=5000, help="names in the batch")
    parser.add_argument("--rounds", type=int, default=11, help="timed runs of each tool")
    parser.add_argument("--tcp", action="store_true", help="both tools ask over TCP")
    parser.add_argument("--against", metavar="NETKIT", help="another netkit to time alongside")
    args = parser.parse_args()
    nsd, dig = shutil.which("nsd"), shutil.which("dig")
    if nsd is None or dig is None:
        print("needs nsd and dig (scripts/install-test-deps.sh)", file=sys.stderr)
        return 1
    netkit = netkit_command()
    with tempfile.TemporaryDirectory(prefix="bench-resolve-") as temp:
        directory = Path(temp)
        names = directory / "names.txt"
        names.write_text("".join(f"host{i}.{ORIGIN}\n" for i in range(args.names)))
        with running_nsd(nsd, directory, {ORIGIN: zone_text(args.names)}) as server:
            at = ["@127.0.0.1", "-p", str(server.port)]
            dig_argv = [dig, *at, "-f", str(names), *(["+tcp"] if args.tcp else [])]
            netkit_argv = [netkit, "resolve", "--dns", *at, "-f", str(names)]
            netkit_argv += ["--tcp"] if args.tcp else []
            other_argv = [args.against, *netkit_argv[1:]] if args.against else None
            # Correctness first: every name answered, in input order.
            check = subprocess.run(
                [*netkit_argv, "--json"], capture_output=True, check=False, env=CHILD_ENV
            )
            results = json.loads(check.stdout)
            answered = sum(1 for r in results if r["rcode"] == "NOERROR" and r["answers"])
            in_order = all(r["name"] == f"host{i}.{ORIGIN}" for i, r in enumerate(results))
            over = "TCP" if args.tcp else "UDP"
            print(f"{args.names} names over {over}, NSD on 127.0.0.1#{server.port}, "
                  f"cpus={os.cpu_count()}")  # fmt: skip
            print(f"netkit answered {answered}/{len(results)}, input order kept: {in_order}")
            dig_times, netkit_times, other_times = [], [], []
            for _ in range(args.rounds):
                dig_times.append(timed(dig_argv))
                netkit_times.append(timed(netkit_argv))
                if other_argv is not None:
                    other_times.append(timed(other_argv))
    dig_median, netkit_median = statistics.median(dig_times), statistics.median(netkit_times)
    dig_name = "dig +tcp -f" if args.tcp else "dig -f"
    netkit_name = "netkit resolve --dns --tcp -f" if args.tcp else "netkit resolve --dns -f"
    width = len(netkit_name) + 1
    print(f"{dig_name:<{width}}median {dig_median:.3f} s  best {min(dig_times):.3f} s")
    print(f"{netkit_name:<{width}}median {netkit_median:.3f} s  best {min(netkit_times):.3f} s")
    # On a shared machine the load drifts: the ratio within each round (the two runs back to
    # back) is steadier than a ratio of medians taken over the whole run.
    per_round = statistics.median(n / d for n, d in zip(netkit_times, dig_times, strict=True))
    print(
        f"ratio netkit/dig: {per_round:.2f} (median of per-round ratios), "
        f"{netkit_median / dig_median:.2f} (of medians), "
        f"{min(netkit_times) / min(dig_times):.2f} (of bests)"
    )
    if other_times:
        print_against(args.against, netkit_times, other_times)
    return 0


def print_against(other: str, netkit_times: list[float], other_times: list[float]) -> None:
    other_median = statistics.median(other_times)
    print(f"against {other}\n  median {other_median:.3f} s  best {min(other_times):.3f} s")
    per_round = statistics.median(n / o for n, o in zip(netkit_times, other_times, strict=True))
    print(
        f"ratio netkit/against: {per_round:.2f} (median of per-round ratios), "
        f"{statistics.median(netkit_times) / other_median:.2f} (of medians), "
        f"{min(netkit_times) / min(other_times):.2f} (of bests)"
    )


if __name__ == "__main__":
    sys.exit(main())
