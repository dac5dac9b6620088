"""resolve/split.py: chunks worked on in forked processes come back in input order, a worker's
failure is raised in the parent, and the workers end with the generator."""

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netkit.resolve.split import WorkerLostError, ordered_chunks, worker_count
from tests.support import interrupt, popen_netkit, run_netkit


def worked_by(chunk: list[int]) -> tuple[list[int], int]:
    # Uneven work: a later chunk may finish first; order must hold anyway.
    time.sleep(0.02 if chunk[0] % 3 == 0 else 0.0)
    return [n * n for n in chunk], os.getpid()


def test_results_come_in_input_order_from_several_processes() -> None:
    results = list(ordered_chunks(worked_by, range(1000), workers=3, chunk=64))
    assert [n for squares, _pid in results for n in squares] == [n * n for n in range(1000)]
    assert len(results) == 16  # 15 full chunks and the rest
    pids = {pid for _squares, pid in results}
    assert len(pids) == 3
    assert os.getpid() not in pids


def test_an_empty_input_gives_nothing() -> None:
    assert list(ordered_chunks(worked_by, [], workers=2, chunk=8)) == []


def fails_on_seven(chunk: list[int]) -> list[int]:
    if 7 in chunk:
        raise ValueError("seven")
    return chunk


def test_a_worker_failure_is_raised_in_order() -> None:
    seen: list[int] = []
    with pytest.raises(ValueError, match="seven"):
        for chunk in ordered_chunks(fails_on_seven, range(20), workers=2, chunk=2):
            seen += chunk
    assert seen == [0, 1, 2, 3, 4, 5]  # the chunks before the failing one


def test_the_input_is_read_as_chunks_are_handed_out() -> None:
    taken: list[int] = []

    def names() -> Iterator[int]:
        for n in range(10_000):
            taken.append(n)
            yield n

    chunks = ordered_chunks(len, names(), workers=2, chunk=10)
    assert next(chunks) == 10
    chunks.close()
    # At most workers x ahead chunks (and one being read) were taken: not the whole input.
    assert len(taken) <= 2 * 2 * 10 + 10


# A batch long enough to be split (cli/resolve.py BULK_CHUNK names), mixing what a bulk run
# meets: answers through the decoder's shortcuts (a wildcard), CNAME chains, NXDOMAIN, NODATA,
# a type without a fast decoder, and a reply too big for UDP (asked again over TCP).
MIXED = [
    "n{i}.wild.example.test",
    "www.example.test",
    "nx{i}.example.test",
    "mail2.example.test A",
    "example.test MX",
    "n{i}.wild.example.test AAAA",
]


def mixed_names(count: int) -> str:
    lines = [MIXED[i % len(MIXED)].format(i=i) for i in range(count)]
    lines[1500] = "big.example.test TXT"
    return "".join(line + "\n" for line in lines)


def masked(text: str) -> str:
    """JSON text without the values that differ from run to run (ids, times)."""
    text = re.sub(r'"id": \d+', '"id": 0', text)
    return re.sub(r'"query_time_ms": [\d.]+', '"query_time_ms": 0', text)


@pytest.mark.parametrize("form", [["--short"], ["--jsonl"], ["--json"], []])
def test_a_split_batch_writes_what_one_process_writes(
    at_nsd: list[str], tmp_path: Path, form: list[str]
) -> None:
    # From a regular file the batch is cut into chunks for worker processes; from standard
    # input it stays in one process (resolve/split.py, cli/resolve.py _bulk_workers).
    names = mixed_names(5000)
    path = tmp_path / "names.txt"
    path.write_text(names)
    split = run_netkit("resolve", *at_nsd, "-f", str(path), *form, timeout=120)
    whole = run_netkit("resolve", *at_nsd, "-f", "-", *form, input=names, timeout=120)
    assert split.returncode == whole.returncode == 1  # NXDOMAIN and NODATA among them
    assert masked(split.stdout) == masked(whole.stdout)
    assert split.stderr.splitlines()[:-1] == whole.stderr.splitlines()[:-1]  # but the timing
    timing = r"in [\d.]+ s, [\d,]+ q/s"
    summaries = [re.sub(timing, "", done.stderr.splitlines()[-1]) for done in (split, whole)]
    assert summaries[0] == summaries[1]
    assert summaries[0].startswith("netkit: summary: 5,000 queries")


def test_ctrl_c_ends_the_workers_and_closes_the_output(tmp_path: Path) -> None:
    # A server that never answers: every worker is waiting out its chunk's timeouts.
    expected = worker_count()
    if expected < 2:
        pytest.skip("a single core: the batch stays in one process")
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    path = tmp_path / "names.txt"
    path.write_text("".join(f"n{i}.example.test\n" for i in range(3000)))
    with silent, popen_netkit(
        "resolve", "--dns", "@127.0.0.1", "-p", str(silent.getsockname()[1]),
        "--timeout", "30", "-f", str(path), "--json",
    ) as process:  # fmt: skip
        deadline = time.monotonic() + 10
        workers: list[str] = []
        while len(workers) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
            found = subprocess.run(
                ["pgrep", "-P", str(process.pid)], capture_output=True, check=False
            )
            workers = found.stdout.decode().split()
        assert len(workers) == expected
        out, err = interrupt(process)  # not the 30 s of the timeouts
    assert process.returncode == 130
    assert json.loads(out) == []
    assert err.decode().splitlines()[-1].endswith(", interrupted")
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def dies_on_three(chunk: list[int]) -> list[int]:
    if 3 in chunk:
        os._exit(3)  # a worker killed mid-chunk (the OOM killer, say)
    return chunk


def unpicklable(chunk: list[int]) -> object:
    return lambda: chunk  # a result pickle cannot send


@pytest.mark.parametrize("work", [dies_on_three, unpicklable])
def test_a_lost_worker_is_an_error_not_a_hang(work: Callable[[list[int]], object]) -> None:
    with pytest.raises(WorkerLostError):
        list(ordered_chunks(work, range(10), workers=2, chunk=2))
