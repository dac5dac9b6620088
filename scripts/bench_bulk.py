"""Bulk resolving against dnsperf: queries a second and peak memory, as ratios, one NSD.

Starts NSD on a free loopback port with a generated zone (an A and an AAAA record for each of
N names), then, in alternating rounds, runs dnsperf (the C load tool DNS operators use, Debian's
``dnsperf`` package: the practical ceiling here) once through the same queries, and
``netkit resolve --dns -f`` in each output form, stdout to /dev/null as a pipe would take it.
Prints each form's queries a second as a ratio to dnsperf's in the same round (the median of
the rounds), and netkit's peak RSS. Before timing, one run per form is checked: every query
answered, once, in input order, and --json one valid array.

    python scripts/bench_bulk.py [--names 200000] [--rounds 3] [--forms short,jsonl,json,table]
    python scripts/bench_bulk.py --concurrency 256          # as many in flight as dnsperf -q 256
    python scripts/bench_bulk.py --memory 10000,1000000    # peak RSS only, per form and size

With --memory the names are asked for type A, the timing is skipped, and the peak RSS of each
form at each size is printed with the ratio of the largest size to the smallest.
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
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.resolve.nsd import running_nsd  # from the repo root, put on the path above

ORIGIN = "bulk.test."
FORMS = {"short": ["--short"], "jsonl": ["--jsonl"], "json": ["--json"], "table": []}
# netkit as pip installs it: bytecode compiled once and reused.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def zone_text(count: int) -> str:
    lines = [
        f"$ORIGIN {ORIGIN}",
        "$TTL 300",
        "@ IN SOA ns1 hostmaster 1 3600 600 86400 300",
        "@ IN NS ns1",
        "ns1 IN A 127.0.0.1",
    ]
    for i in range(count):
        lines.append(f"h{i} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        lines.append(f"h{i} IN AAAA 2001:db8::{i >> 16 & 0xFFFF:x}:{i & 0xFFFF:x}")
    return "\n".join(lines) + "\n"


def write_inputs(directory: Path, count: int, types: Sequence[str]) -> tuple[Path, Path]:
    """The batch's names file for netkit (h0 to h<count-1>, one a line) and the same queries
    as dnsperf's data file (a name and a type a line)."""
    names = directory / "names.txt"
    names.write_text("".join(f"h{i}.{ORIGIN}\n" for i in range(count)))
    data = directory / "dnsperf.txt"
    data.write_text("".join(f"h{i}.{ORIGIN} {t}\n" for i in range(count) for t in types))
    return names, data


# A child forked from this script would start with the script's own high-water mark (Linux
# carries it across fork and exec): a small fresh Python runs the command and reports its peak.
PEAK_RSS = """\
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - started
print(done.returncode, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_measured(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of a command whose output goes to /dev/null."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *argv],
        capture_output=True, text=True, check=True, env=CHILD_ENV,
    )  # fmt: skip
    status, wall, peak = done.stdout.split()
    if status not in ("0", "1"):
        raise RuntimeError(f"{argv[0]} failed: {status}")
    return float(wall), int(peak)


def dnsperf_qps(dnsperf: str, port: int, data: Path, outstanding: int) -> float:
    done = subprocess.run(
        [dnsperf, "-s", "127.0.0.1", "-p", str(port), "-d", str(data), "-n", "1",
         "-q", str(outstanding), "-t", "2"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Queries per second:\s+([\d.]+)", done.stdout)
    lost = re.search(r"Queries lost:\s+(\d+)", done.stdout)
    if found is None:
        raise RuntimeError(f"dnsperf printed no rate:\n{done.stdout}\n{done.stderr}")
    if lost is not None and int(lost.group(1)):
        print(f"  (dnsperf lost {lost.group(1)} queries)")
    return float(found.group(1))


def check(argv: list[str], form: str, names: int, types: list[str]) -> None:
    """Every query answered once, in input order (the JSON forms say which name each is)."""
    if form not in ("json", "jsonl"):
        return
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=CHILD_ENV)
    if form == "json":
        results = json.loads(done.stdout)
    else:
        results = [json.loads(line) for line in done.stdout.splitlines()]
    expected = [(f"h{i}.{ORIGIN}", t) for i in range(names) for t in types]
    got = [(r["name"], r["type"]) for r in results]
    answered = sum(1 for r in results if r["error"] is None)
    print(f"  {form}: {answered}/{len(expected)} answered, in input order: {got == expected}")


def netkit_command() -> str:
    beside = Path(sys.executable).parent / "netkit"
    return str(beside) if beside.exists() else shutil.which("netkit") or "netkit"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--names", type=int, default=200_000, help="names in the batch")
    parser.add_argument("--types", default="A,AAAA", help="record types asked for each name")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds")
    parser.add_argument("--forms", default="short,jsonl,json,table", help="netkit output forms")
    parser.add_argument("--outstanding", type=int, default=256, help="dnsperf -q")
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="netkit --concurrency (default: netkit's own, 64; --outstanding's value gives "
        "netkit the same queries in flight as dnsperf)",
    )
    parser.add_argument("--memory", metavar="SIZES", help="peak RSS at these sizes instead")
    parser.add_argument(
        "--netkit", metavar="PATH", help="the netkit command to measure (another build, say)"
    )
    args = parser.parse_args()
    nsd, dnsperf = shutil.which("nsd"), shutil.which("dnsperf")
    if nsd is None or dnsperf is None:
        print("needs nsd and dnsperf (scripts/install-test-deps.sh)", file=sys.stderr)
        return 1
    forms = args.forms.split(",")
    if args.memory:
        sizes = [int(size) for size in args.memory.split(",")]
        return memory(args.netkit or netkit_command(), nsd, forms, sizes)
    types = args.types.split(",")
    netkit = args.netkit or netkit_command()
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as temp:
        directory = Path(temp)
        names, data = write_inputs(directory, args.names, types)
        queries = args.names * len(types)
        with running_nsd(nsd, directory, {ORIGIN: zone_text(args.names)}) as server:
            base = [netkit, "resolve", "--dns", "@127.0.0.1", "-p", str(server.port)]
            base += [arg for t in types for arg in ("-t", t)] + ["-f", str(names), "-q"]
            if args.concurrency is not None:
                base += ["--concurrency", str(args.concurrency)]
            print(f"{args.names:,} names x {'/'.join(types)} = {queries:,} queries over UDP, "
                  f"NSD on 127.0.0.1#{server.port}, cpus={os.cpu_count()}")  # fmt: skip
            for form in forms:
                check(base + FORMS[form], form, args.names, types)
            ratios: dict[str, list[float]] = {form: [] for form in forms}
            peaks: dict[str, int] = {}
            perf: list[float] = []
            for _ in range(args.rounds):
                for form in forms:  # dnsperf beside each form: A B A B
                    reference = dnsperf_qps(dnsperf, server.port, data, args.outstanding)
                    wall, peak = run_measured(base + FORMS[form])
                    perf.append(reference)
                    ratios[form].append(queries / wall / reference)
                    peaks[form] = max(peaks.get(form, 0), peak)
    print(f"dnsperf -q {args.outstanding}: median {statistics.median(perf):,.0f} queries/s")
    for form in forms:
        ratio = statistics.median(ratios[form])
        print(
            f"netkit {form:<6} {ratio:.2f}x dnsperf "
            f"(~{ratio * statistics.median(perf):,.0f} q/s), peak RSS {peaks[form] / 1024:.0f} MiB"
        )
    return 0


def memory(netkit: str, nsd: str, forms: list[str], sizes: list[int]) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as temp:
        directory = Path(temp)
        with running_nsd(nsd, directory, {ORIGIN: zone_text(max(sizes))}) as server:
            base = [netkit, "resolve", "--dns", "@127.0.0.1", "-p", str(server.port), "-q"]
            peaks: dict[tuple[str, int], int] = {}
            for size in sizes:
                names = directory / f"names-{size}.txt"
                names.write_text("".join(f"h{i}.{ORIGIN}\n" for i in range(size)))
                for form in forms:
                    _wall, peaks[form, size] = run_measured([*base, "-f", str(names), *FORMS[form]])
    smallest, largest = min(sizes), max(sizes)
    for form in forms:
        figures = ", ".join(f"{size:,}: {peaks[form, size] / 1024:.1f} MiB" for size in sizes)
        ratio = peaks[form, largest] / peaks[form, smallest]
        print(f"netkit {form:<6} peak RSS {figures}; {largest:,}/{smallest:,} = {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
