#!/usr/bin/env python3
"""Print the listener performance figures of issue 5 on this machine: netkit bench against
netkit listen in every design (no C reference needed; compare designs with each other).

With --load-vs-c DIR (a folder with echoload.c and refecho.c, compiled with gcc -O2), it
measures the load generator instead: the tuned C echo server on the server CPU, and the C load
generator and `netkit bench` taking turns on the load CPU (A B A B), printing each round's
req/s, the median ratio, and each load process's CPU time per request. A third contestant
takes its turn beside them: bare_load_loop.py, the same system calls with no other work per round
trip, which is the most any CPython load loop can reach here.

usage: python scripts/bench_listeners.py [--duration S] [--quick] [--mux epoll,poll]
                                        [--conns N] [--size BYTES] [--many N]
       python scripts/bench_listeners.py --load-vs-c ../shared/bench [--rounds N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from netkit.bench.load import LoadPlan
from netkit.bench.mux import ListenerProcess, MuxPlan, run_mux
from netkit.bench.runner import BenchResult, run_bench
from netkit.connect import Target
from netkit.errors import NetkitError
from netkit.listen.mux import BEST_FIRST
from netkit.listen.mux import available as available_designs
from netkit.listen.transport import raise_open_files_limit
from netkit.render.bench import render_mux


def pinning() -> tuple[int | None, set[int] | None]:
    """Server on the first CPU, load on the others (when there are two or more)."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        return None, None
    server = min(cpus)
    return server, cpus - {server}


def one_run(
    transport: str, design: str, plan: LoadPlan, server_cpu: int | None
) -> tuple[BenchResult, float, int]:
    """Load one fresh listener; return the figures, server CPU µs per request and its RSS."""
    listener = ListenerProcess(design, server_cpu, transport=transport)
    try:
        target = Target(transport, host="127.0.0.1", port=str(listener.port))  # type: ignore[arg-type]  # tcp or udp
        marks: list[float] = []
        result = run_bench(
            replace(plan, target=target), before_start=lambda: marks.append(listener.cpu_seconds())
        )
        cpu = listener.cpu_seconds() - marks[0]
        rss = listener.rss_bytes()
    finally:
        listener.stop()
    return result, cpu * 1e6 / max(result.requests, 1), rss


def line(label: str, result: BenchResult, cpu_per_request: float, extra: str = "") -> None:
    p99 = None if result.latency is None else result.latency.at(99.0)
    print(
        f"  {label:<34} {result.rps:>10,.0f} req/s  {result.mibps:>8,.1f} MiB/s  "
        f"server {cpu_per_request:5.1f} µs/req  p99 {p99} µs  "
        f"errors {result.errors + result.mismatches}{extra}"
    )


def load_vs_c(folder: str, rounds: int, duration: float, conns: int, size: int) -> int:
    """netkit bench against the C load generator, both loading the tuned C echo server, with
    the bare CPython loop (bare_load_loop.py) beside them: the ceiling of any CPython load
    loop making the same system calls, so that netkit's ratio to C can be read against it."""
    built = Path(tempfile.mkdtemp(prefix="bench-load-"))
    for name in ("echoload", "refecho"):
        source = Path(folder) / f"{name}.c"
        subprocess.run(["gcc", "-O2", "-o", str(built / name), str(source)], check=True)
    server_cpu, load_cpus = pinning()
    server_pin = ["taskset", "-c", str(server_cpu)] if server_cpu is not None else []
    load_pin = ["taskset", "-c", str(min(load_cpus))] if load_cpus else []
    port = 15566
    server = subprocess.Popen([*server_pin, str(built / "refecho"), "tcp", str(port)])
    time.sleep(0.3)

    def timed(argv: list[str]) -> tuple[str, float]:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        out = child.stdout.read() if child.stdout else ""
        _, _, usage = os.wait4(child.pid, 0)
        return out, usage.ru_utime + usage.ru_stime

    target = ["127.0.0.1", str(port)]
    shape = [str(conns), str(size), str(duration)]
    bare = [sys.executable, str(Path(__file__).with_name("bare_load_loop.py")), str(port), *shape]
    c_rps: list[float] = []
    bare_rps: list[float] = []
    nk_rps: list[float] = []
    c_cpu: list[float] = []
    nk_cpu: list[float] = []
    print(f"tuned C echo server; {conns} connections x {size} B, {duration:g} s runs")
    try:
        for _ in range(rounds):  # the three take turns: C, bare CPython loop, netkit
            out, cpu = timed([*load_pin, str(built / "echoload"), "tcp", *target, *shape])
            c_rps.append(float(out.split("rps=")[1].split()[0]))
            c_cpu.append(cpu / (c_rps[-1] * duration) * 1e6)
            out, _ = timed([*load_pin, *bare])
            bare_rps.append(float(out.split("rps=")[1]))
            argv = [sys.executable, "-m", "netkit", "bench", "tcp", *target, "-c", str(conns)]
            out, _ = timed([*load_pin, *argv, "-s", str(size), "-d", str(duration), "--json"])
            figures = json.loads(out)
            nk_rps.append(figures["rps"])
            busy = figures["load_cpu_percent"] / 100 * figures["duration_s"]
            nk_cpu.append(busy / figures["requests"] * 1e6)  # the run only, not start-up
            print(f"  C {c_rps[-1]:>10,.0f} req/s {c_cpu[-1]:5.2f} µs/req   "
                  f"bare CPython {bare_rps[-1]:>10,.0f} req/s   "
                  f"netkit {nk_rps[-1]:>10,.0f} req/s {nk_cpu[-1]:5.2f} µs/req")  # fmt: skip
    finally:
        server.terminate()
        server.wait()

    def median_ratio(these: list[float], those: list[float]) -> float:
        return statistics.median(a / b for a, b in zip(these, those, strict=True))

    print("medians of the rounds' req/s ratios:")
    print(f"  netkit bench / C load generator:  {median_ratio(nk_rps, c_rps):.2f}")
    print(f"  bare CPython loop / C:            {median_ratio(bare_rps, c_rps):.2f}")
    print(f"  netkit bench / bare CPython loop: {median_ratio(nk_rps, bare_rps):.2f}")
    cpu_ratio = statistics.median(c_cpu) / statistics.median(nk_cpu)
    print(f"CPU per request, C / netkit (medians): {cpu_ratio:.2f}")
    return 0


def main() -> int:  # noqa: PLR0915  # one run of each benchmark after the other, as the help lists them
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1,000 idle at most")
    parser.add_argument("--mux", default="", help="designs to run, comma-separated (default: all)")
    parser.add_argument("--conns", type=int, default=64, help="active connections")
    parser.add_argument("--size", type=int, default=512, help="message size in bytes")
    parser.add_argument("--many", type=int, default=10_000, help="clients for the crowd check")
    parser.add_argument("--load-vs-c", metavar="DIR", help="compare the load generator with C")
    parser.add_argument("--rounds", type=int, default=7, help="--load-vs-c rounds")
    args = parser.parse_args()
    duration = 1.0 if args.quick else args.duration
    if args.load_vs_c:
        return load_vs_c(args.load_vs_c, args.rounds, duration, args.conns, args.size)
    raise_open_files_limit()
    server_cpu, load_cpus = pinning()
    if load_cpus is not None:
        os.sched_setaffinity(0, load_cpus)
    where = "unpinned"
    if server_cpu is not None:
        where = f"server on CPU {server_cpu}, load on CPUs {sorted(load_cpus or [])}"
    print(f"netkit listen under netkit bench ({where})")
    small = LoadPlan(Target("tcp"), connections=args.conns, size=args.size, duration=duration)
    wanted = [name for name in args.mux.split(",") if name]
    designs = [d for d in available_designs() if d != "blocking" and (not wanted or d in wanted)]
    if not designs:
        parser.error(f"no such design here: {args.mux} (available: {available_designs()})")

    print(f"\nTCP, {args.conns} clients x {args.size} B:")
    for design in designs:
        result, cpu, _ = one_run("tcp", design, small, server_cpu)
        line(design, result, cpu)

    print("\nTCP, 16 clients x 256 KiB:")
    big = replace(small, connections=16, size=256 << 10)
    best = next((d for d in BEST_FIRST if d in designs), designs[-1])
    streaming: list[str] = [d for d in ("epoll", "poll") if d in designs] or [best]
    for design in streaming:
        result, cpu, _ = one_run("tcp", design, big, server_cpu)
        line(design, result, cpu)

    print("\nUDP, 16 peers x 512 B:")
    udp = replace(small, target=Target("udp"), connections=16, size=min(args.size, 65507))
    if best == "thread":
        print("  (UDP has no thread design: run with an event loop in --mux)")
    else:
        result, cpu, _ = one_run("udp", best, udp, server_cpu)
        line(best, result, cpu, f"  lost {result.lost}")

    many = min(args.many, 1_000) if args.quick else args.many
    print(f"\nTCP, {many:,} concurrent clients x {args.size} B ({best}):")
    crowd = replace(small, connections=many, timeout=30.0)
    result, cpu, rss = one_run("tcp", best, crowd, server_cpu)
    line(best, result, cpu, f"  alive {result.alive:,}  server RSS {rss / (1 << 20):.1f} MiB")

    print(
        f"\nIdle connections beside {args.conns} active ones (select and poll pay per descriptor):"
    )
    idle_levels = [0, 1_000] if args.quick else [0, 1_000, 5_000]
    compared = [d for d in designs if d in BEST_FIRST]
    mux_plan = MuxPlan(designs=compared, idle_levels=idle_levels, load=small)
    render_mux(run_mux(mux_plan), as_json=False)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except NetkitError as error:
        sys.exit(f"bench_listeners: {error.message}")
