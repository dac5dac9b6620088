"""resolve/split.py: chunks worked on in forked processes come back in input order, a worker's
failure is raised in the parent, and the workers end with the generator."""

import os
import time
from collections.abc import Iterator

import pytest

from netkit.resolve.split import ordered_chunks


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
