#!/usr/bin/env python3
"""Print the listener performance figures of issue 5 on this machine: netkit bench against
netkit listen in every design (no C reference needed; compare designs with each other).

usage: python scripts/bench_listeners.py [--duration S] [--quick] [--mux epoll,poll]
                                        [--conns N] [--size BYTES] [--many N]
"""

import argparse
import os
import sys
from dataclasses import replace

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1,000 idle at most")
    parser.add_argument("--mux", default="", help="designs to run, comma-separated (default: all)")
    parser.add_argument("--conns", type=int, default=64, help="active connections")
    parser.add_argument("--size", type=int, default=512, help="message size in bytes")
    parser.add_argument("--many", type=int, default=10_000, help="clients for the crowd check")
    args = parser.parse_args()
    duration = 1.0 if args.quick else args.duration
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
