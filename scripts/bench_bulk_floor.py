"""How low a bulk query's CPU can go: `resolve --dns -f` step by step, and CPython's floor.

Runs the bulk pipeline in this process against one NSD, the chunks a worker process would
take done inline (so the figure is a worker's work, without the fork and the pipes), and
prints its CPU time per query: as it is, then with its per-reply steps replaced one after
another by their first value, reused. The steps are the JSON line, then the result (DnsResult
and its status), then decoding the reply. What is left is the engine, the names and the
system calls. Beside it, in the same rounds: dnsperf's queries a second, and a bare loop of
the same system calls with no DNS work (send and recv_into on one socket, dnsperf's window),
CPython's own floor.

bench_bulk.py measures the commands as people run them; this says what each step costs and
how much would be left with a step free, as CPU per query (the steadier figure on a shared
machine: the minimum of the rounds).

    python scripts/bench_bulk_floor.py [--names 50000] [--rounds 3]
"""

import argparse
import contextlib
import os
import resource
import shutil
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# From the repo root, put on the path above.
from scripts.bench_bulk import ORIGIN, dnsperf_qps, write_inputs, zone_text
from tests.resolve.nsd import running_nsd

TYPES = ("A", "AAAA")
WINDOW = 256  # queries in flight: dnsperf -q 256, and netkit --concurrency 256
# Each step is removed on top of those before it.
STEPS = ("as it is", "without the JSON line", "without the result", "without decoding")


def _first_reused(function: Callable[..., Any]) -> Callable[..., Any]:
    """function, which computes its first value and returns that one from then on."""
    kept: list[Any] = []

    def first(*args: Any, **kwargs: Any) -> Any:
        if not kept:
            kept.append(function(*args, **kwargs))
        return kept[0]

    return first


def _inline(work: Callable[[list[Any]], Any], items: Iterable[Any], **sizes: int) -> Iterator[Any]:
    """resolve.split.ordered_chunks without the worker processes: each chunk worked here."""
    source = iter(items)
    while chunk := [item for _, item in zip(range(sizes["chunk"]), source, strict=False)]:
        yield work(chunk)


def _patches(step: int) -> list[Any]:
    import netkit.render.resolve
    import netkit.resolve.engine
    import netkit.resolve.query
    import netkit.resolve.split

    patches = [mock.patch.object(netkit.resolve.split, "ordered_chunks", _inline)]
    replaced = [
        (netkit.render.resolve, "dns_json_line"),
        (netkit.resolve.query, "_result"),
        (netkit.resolve.engine, "parse_reply"),
    ]
    for module, name in replaced[:step]:
        patches.append(mock.patch.object(module, name, _first_reused(getattr(module, name))))
    return patches


def pipeline_cpu(argv: list[str], step: int, queries: int) -> float:
    """CPU microseconds a query of `netkit ARGV` run here, with the first ``step`` steps free."""
    import netkit.cli

    with contextlib.ExitStack() as stack:
        for patch in _patches(step):
            stack.enter_context(patch)
        devnull = stack.enter_context(open(os.devnull, "w"))
        stack.enter_context(contextlib.redirect_stdout(devnull))
        before = resource.getrusage(resource.RUSAGE_SELF)
        with contextlib.suppress(SystemExit):
            netkit.cli.run(argv)
        after = resource.getrusage(resource.RUSAGE_SELF)
    spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return spent / queries * 1e6


def _query(index: int, name: str, rdtype: int) -> bytes:
    labels = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label)
    header = struct.pack("!HHHHHH", index & 0xFFFF, 0x0100, 1, 0, 0, 0)
    return header + labels + b"\0" + struct.pack("!HH", rdtype, 1)


def bare_loop(port: int, queries: list[bytes]) -> tuple[float, float]:
    """Queries a second and CPU microseconds a query of send and recv_into alone, WINDOW in
    flight on one connected socket: no ids checked, nothing decoded, nothing written."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.settimeout(2)
        buffer = bytearray(4096)
        receive, send = sock.recv_into, sock.send
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        for query in queries[:WINDOW]:
            send(query)
        for query in queries[WINDOW:]:
            receive(buffer)
            send(query)
        for _ in range(min(WINDOW, len(queries))):
            receive(buffer)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return len(queries) / wall, spent / len(queries) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--names", type=int, default=50_000, help="names in the batch")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the minimum is shown)")
    args = parser.parse_args()
    nsd, dnsperf = shutil.which("nsd"), shutil.which("dnsperf")
    if nsd is None or dnsperf is None:
        print("needs nsd and dnsperf (scripts/install-test-deps.sh)", file=sys.stderr)
        return 1
    count = args.names * len(TYPES)
    cpu: dict[tuple[str, int], float] = {}
    bare: list[tuple[float, float]] = []
    perf: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as temp:
        directory = Path(temp)
        names, data = write_inputs(directory, args.names, TYPES)
        wires = [_query(i, f"h{i}.{ORIGIN}", t) for i in range(args.names) for t in (1, 28)]
        with running_nsd(nsd, directory, {ORIGIN: zone_text(args.names)}) as server:
            argv = ["resolve", "--dns", "@127.0.0.1", "-p", str(server.port), "-q"]
            argv += ["-t", "A", "-t", "AAAA", "-f", str(names), "--concurrency", str(WINDOW)]
            for _ in range(args.rounds):
                perf.append(dnsperf_qps(dnsperf, server.port, data, WINDOW))
                bare.append(bare_loop(server.port, wires))
                for form in ("--short", "--jsonl"):
                    for step in range(len(STEPS)):
                        if form == "--short" and step == 1:
                            continue  # --short writes no JSON line
                        spent = pipeline_cpu([*argv, form], step, count)
                        cpu[form, step] = min(cpu.get((form, step), spent), spent)
    print(f"{args.names:,} names x {'/'.join(TYPES)}, {WINDOW} in flight, NSD on loopback; "
          f"CPU a query in one process, the least of {args.rounds} rounds:")  # fmt: skip
    print(f"  {'':<24}{'--short':>9}{'--jsonl':>9}")
    for step, label in enumerate(STEPS):
        short = cpu.get(("--short", step))
        cells = [f"{short:7.2f} us" if short is not None else f"{'-':>10}"]
        cells.append(f"{cpu['--jsonl', step]:6.2f} us")
        print(f"  {label:<24}{cells[0]}{cells[1]:>9}")
    qps, spent = max(bare)
    reference = max(perf)
    print(f"  bare send/recv loop: {spent:.2f} us a query, {qps:,.0f} queries/s = "
          f"{qps / reference:.2f}x dnsperf's {reference:,.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
