"""Batches at scale against NSD: every name once, in input order, with the right status, in
memory that does not grow with the batch.

The names mix the outcomes a bulk run meets: names that exist, NXDOMAIN, CNAMEs and names in
a zone whose servers never answer (a forwarder in front of NSD stays silent for that zone).
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.resolve.fake_servers import forwarder
from tests.resolve.nsd import Nsd, running_nsd
from tests.support import netkit_executable, require_tool

ORIGIN = "bulk.test."
SILENT_ZONE = "silent.test."
SCALE = 200_000
SILENT_EVERY = 20_000  # each one holds the queries behind it back for a timeout
TIMEOUT = "0.5"


def name_of(i: int) -> str:
    """The i-th name of a batch, and so what its result must be."""
    if i % SILENT_EVERY == SILENT_EVERY // 2:
        return f"s{i}.{SILENT_ZONE}"
    return f"{'axca'[i % 4]}{i}.{ORIGIN}"


def expected_status(name: str) -> str:
    return {"a": "NOERROR", "c": "NOERROR", "x": "NXDOMAIN", "s": "timeout"}[name[0]]


def zone_text(count: int) -> str:
    lines = [
        f"$ORIGIN {ORIGIN}",
        "$TTL 300",
        "@ IN SOA ns1 hostmaster 1 3600 600 86400 300",
        "@ IN NS ns1",
        "ns1 IN A 127.0.0.1",
    ]
    for i in range(count):
        if i % 4 in (0, 3):
            lines.append(f"a{i} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        elif i % 4 == 2:
            lines.append(f"c{i} IN CNAME a{i - 2}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def bulk_nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nsd]:
    binary = require_tool("nsd")
    directory = tmp_path_factory.mktemp("nsd-bulk")
    with running_nsd(binary, directory, {ORIGIN: zone_text(SCALE)}) as server:
        yield server


@pytest.fixture(scope="module")
def names_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "names.txt"
    path.write_text("".join(f"{name_of(i)}\n" for i in range(SCALE)))
    return path


def status(result: dict[str, object]) -> str:
    if result["rcode"] is None:
        assert str(result["error"]).startswith("no reply"), result
        return "timeout"
    return str(result["rcode"])


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_every_name_once_in_order_with_its_status(
    bulk_nsd: Nsd, names_file: Path, transport: str
) -> None:
    with forwarder(bulk_nsd.port, SILENT_ZONE) as port:
        done = subprocess.run(
            [netkit_executable(), "resolve", "--dns", "@127.0.0.1", "-p", str(port),
             "--timeout", TIMEOUT, "--retries", "0", "-f", str(names_file), "--jsonl",
             *(["--tcp"] if transport == "tcp" else [])],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr  # NXDOMAIN and timeouts among them
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == SCALE
    wrong = [
        (i, r["name"], status(r))
        for i, r in enumerate(results)
        if r["name"] != name_of(i) or status(r) != expected_status(name_of(i))
    ]
    assert wrong[:5] == []
    assert {r["transport"] for r in results} == {transport}
    cname = next(r for r in results if r["name"].startswith("c"))
    assert [a["type"] for a in cname["answers"]] == ["CNAME", "A"]
    silent = SCALE // SILENT_EVERY
    answered = SCALE - SCALE // 4 - silent
    summary = done.stderr.splitlines()[-1]
    assert summary.endswith(
        f": {answered:,} answered, {SCALE - answered:,} failed "
        f"({SCALE // 4:,} NXDOMAIN, {silent:,} timed out)"
    )


# Runs a command and prints its peak RSS. A child forked from pytest would start with pytest's
# own high-water mark (Linux carries it across fork and exec), so a small fresh Python starts
# the command, and its children's peak is the command's.
PEAK_RSS = """\
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kib(argv: list[str]) -> int:
    """The peak resident memory of a command run to its end, output thrown away."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    status, peak = done.stdout.split()
    assert status in ("0", "1")
    return int(peak)


@pytest.mark.parametrize("form", ["--short", "--jsonl", "--json", "--table"])
def test_memory_stays_flat(bulk_nsd: Nsd, names_file: Path, tmp_path: Path, form: str) -> None:
    # Only names that exist or not (no timeouts): the batch runs at full speed.
    lines = [line for line in names_file.read_text().splitlines() if line[0] != "s"][:100_000]
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_text("\n".join(lines[:5_000]) + "\n")
    large.write_text("\n".join(lines) + "\n")
    base = [netkit_executable(), "resolve", "--dns", "@127.0.0.1", "-p", str(bulk_nsd.port)]
    base += ["-q", *([] if form == "--table" else [form])]
    small_peak = peak_rss_kib([*base, "-f", str(small)])
    large_peak = peak_rss_kib([*base, "-f", str(large)])
    # 20 times the names; the bound for 100 times as many is 1.5 times the memory.
    assert large_peak <= 1.5 * small_peak, (small_peak, large_peak)
