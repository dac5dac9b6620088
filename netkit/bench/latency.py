"""Latencies: raw counters on the hot path, an HDR histogram everywhere else.

Why two structures. The load loops record a round trip with ``counters[micros] += 1`` into a
preallocated array of one counter per microsecond up to a second (4 MiB, no object per
request), and keep the rare slower ones in a list. That costs about 40 ns; the pure-Python
``HdrHistogram.record_value`` costs about 650 ns, which on a loop that does a round trip in a
few microseconds of Python would cut the load generator's rate by several percent. So the
array is folded into an HdrHistogram (1 µs to 60 s, 3 significant digits, Gil Tene's
structure) off the hot path: at the end of a run, and for ``--interval`` once per interval.
Workers send their histogram to the parent in HdrHistogram's compressed form and the parent
adds them up, which loses nothing: the sum of histograms is the histogram of all samples.

Folding does not walk a million counters in Python: it compares the array block by block
with the previous snapshot (a memcmp each) and reads only the blocks that changed.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]  # the package has no hints

SLOTS = 1 << 20  # microseconds counted one by one: 4 MiB of counters, no per-request objects
LOWEST_US = 1
HIGHEST_US = 60_000_000  # one minute: slower than that is clamped to it
SIGNIFICANT_DIGITS = 3
DEFAULT_PERCENTILES = (50.0, 75.0, 90.0, 99.0, 99.9, 99.99)
LOG_BOUNDS = [m * 10**e for e in range(8) for m in (1, 2, 5)]  # 1 µs ... 500 s
_BLOCK = 1024  # counters compared at once while folding (4 KiB)
_ZERO_BLOCK = bytes(4 * _BLOCK)


def new_counters() -> array[int]:
    return array("I", bytes(4 * SLOTS))


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def changes(now: bytes, before: bytes | None) -> list[tuple[int, int]]:
    """(microseconds, count) pairs that grew from ``before`` to ``now`` (two snapshots of a
    counter array as bytes; None: from zero). Only changed 4 KiB blocks are read value by value."""
    pairs: list[tuple[int, int]] = []
    step = 4 * _BLOCK
    for start in range(0, len(now), step):
        block = now[start : start + step]
        old = _ZERO_BLOCK if before is None else before[start : start + step]
        if block == old:
            continue
        base = start // 4
        new_values, old_values = array("I", block), array("I", old)
        pairs.extend(
            (base + offset, value - previous)
            for offset, (value, previous) in enumerate(zip(new_values, old_values, strict=True))
            if value != previous
        )
    return pairs


def record_pairs(histogram: HdrHistogram, pairs: Iterable[tuple[int, int]]) -> None:
    for micros, count in pairs:
        histogram.record_value(min(max(micros, LOWEST_US), HIGHEST_US), count)


def record_samples(histogram: HdrHistogram, samples: Iterable[int]) -> None:
    for micros in samples:
        histogram.record_value(min(max(micros, LOWEST_US), HIGHEST_US))


def fold(counters: array[int], slow: Sequence[int]) -> HdrHistogram:
    """One worker's raw latencies as an HDR histogram."""
    histogram = new_histogram()
    record_pairs(histogram, changes(counters.tobytes(), None))
    record_samples(histogram, slow)
    return histogram


class Snapshots:
    """--interval: what a worker's raw latencies gained since the last call."""

    def __init__(self) -> None:
        self.before: bytes | None = None
        self.slow_seen = 0

    def take(self, counters: array[int], slow: Sequence[int]) -> list[tuple[int, int]]:
        now = counters.tobytes()
        pairs = changes(now, self.before)
        pairs.extend((micros, 1) for micros in slow[self.slow_seen :])
        self.before, self.slow_seen = now, len(slow)
        return pairs


def merge(encoded: Iterable[str]) -> HdrHistogram:
    """The sum of histograms sent in HdrHistogram's compressed form."""
    total = new_histogram()
    for payload in encoded:
        total.decode_and_add(payload)
    return total


def percentile_name(percentile: float) -> str:
    """The JSON field of a percentile: 50 -> p50_us, 99.9 -> p99_9_us, 99.999 -> p99_999_us."""
    return "p" + f"{percentile:g}".replace(".", "_") + "_us"


@dataclass(frozen=True, slots=True)
class LatencyFigures:
    """Percentiles (µs, to the histogram's 3 significant digits), mean, stdev and the histogram
    itself (HdrHistogram V2 compressed and base64, as HdrHistogram log files carry it)."""

    percentiles: tuple[tuple[float, int], ...]
    max_us: int
    mean_us: float
    stdev_us: float
    count: int
    histogram: str

    def fields(self) -> dict[str, object]:
        """The --json fields: p50_us ... max_us, mean_us, stdev_us, histogram."""
        out: dict[str, object] = {percentile_name(p): value for p, value in self.percentiles}
        out.update(max_us=self.max_us, mean_us=self.mean_us, stdev_us=self.stdev_us)
        out["histogram"] = self.histogram
        return out

    def at(self, percentile: float) -> int | None:
        return dict(self.percentiles).get(percentile)

    def log_buckets(self) -> list[tuple[int, int]]:
        """(upper bound µs, count) per bucket of a 1-2-5 series (10, 20, 50, 100 µs ...: even
        steps on a log scale, round numbers for people), from the first sample's to the last's."""
        histogram = HdrHistogram.decode(self.histogram)
        counts = [0] * len(LOG_BOUNDS)
        for item in histogram.get_recorded_iterator():
            index = bisect.bisect_right(LOG_BOUNDS, int(item.value_iterated_to))
            counts[min(index, len(LOG_BOUNDS) - 1)] += item.count_added_in_this_iter_step
        used = [i for i, count in enumerate(counts) if count]
        if not used:
            return []
        return [(LOG_BOUNDS[i], counts[i]) for i in range(used[0], used[-1] + 1)]


def figures(histogram: HdrHistogram, percentiles: Sequence[float]) -> LatencyFigures | None:
    """What a histogram says; None when it holds nothing."""
    if not histogram.get_total_count():
        return None
    values = histogram.get_percentile_to_value_dict(list(percentiles))
    stdev = histogram.get_stddev()
    return LatencyFigures(
        percentiles=tuple((p, int(values[p])) for p in percentiles),
        max_us=int(histogram.get_max_value()),
        mean_us=round(histogram.get_mean_value(), 1),
        stdev_us=round(stdev, 1) if math.isfinite(stdev) else 0.0,
        count=int(histogram.get_total_count()),
        histogram=histogram.encode().decode("ascii"),
    )


def quick_percentiles(pairs: Iterable[tuple[int, int]], *fractions: float) -> list[int | None]:
    """Nearest-rank percentiles of a few (µs, count) pairs: one interval's p50 and p99, exact
    and without building a histogram."""
    ordered = sorted(pairs)
    total = sum(count for _, count in ordered)
    answers: list[int | None] = []
    for fraction in fractions:
        if not total:
            answers.append(None)
            continue
        rank = max(1, math.ceil(fraction * total - 1e-9))
        seen = 0
        for micros, count in ordered:
            seen += count
            if seen >= rank:
                answers.append(micros)
                break
    return answers
