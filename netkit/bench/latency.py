"""Latency histogram: one counter per microsecond up to a second, exact samples beyond."""

from __future__ import annotations

from array import array
from collections.abc import Iterable

SLOTS = 1 << 20  # microseconds counted one by one: 4 MiB of counters, no per-request objects


def new_counters() -> array[int]:
    return array("I", bytes(4 * SLOTS))


class Latencies:
    """Merged latencies of every worker; answers percentiles."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    def add_counters(self, counters: array[int], slow: Iterable[int]) -> None:
        for micros, count in enumerate(counters):
            if count:
                self.counts[micros] = self.counts.get(micros, 0) + count
        for micros in slow:
            self.counts[micros] = self.counts.get(micros, 0) + 1

    def add_sparse(self, pairs: Iterable[tuple[int, int]]) -> None:
        for micros, count in pairs:
            self.counts[micros] = self.counts.get(micros, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def percentiles(self, *fractions: float) -> list[int | None]:
        """The latency (µs) below which each fraction of requests finished; None if no data."""
        total = self.total
        if not total:
            return [None for _ in fractions]
        ordered = sorted(self.counts.items())
        answers: list[int | None] = []
        for fraction in fractions:
            rank = max(1, int(fraction * total + 0.999999))  # nearest-rank definition
            seen = 0
            for micros, count in ordered:
                seen += count
                if seen >= rank:
                    answers.append(micros)
                    break
        return answers

    def maximum(self) -> int | None:
        return max(self.counts) if self.counts else None


def sparse(counters: array[int], slow: Iterable[int]) -> list[tuple[int, int]]:
    """Only the non-empty counters, to send from a worker process to the parent."""
    pairs = [(micros, count) for micros, count in enumerate(counters) if count]
    pairs.extend((micros, 1) for micros in slow)
    return pairs
