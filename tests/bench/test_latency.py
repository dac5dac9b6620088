"""Latencies: raw counters folded into an HDR histogram, percentiles to its precision, merging."""

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from netkit.bench.latency import (
    HIGHEST_US,
    SLOTS,
    Snapshots,
    changes,
    figures,
    fold,
    merge,
    new_counters,
    new_histogram,
    percentile_name,
    quick_percentiles,
    record_samples,
)

PRECISION = 1e-3  # 3 significant digits: a value is known to within 0.1 %


def folded(samples: list[int]) -> object:
    counters = new_counters()
    slow = []
    for micros in samples:
        if micros < SLOTS:
            counters[micros] += 1
        else:
            slow.append(micros)
    return fold(counters, slow)


def nearest_rank(ordered: list[int], percentile: float) -> int:
    return ordered[max(1, math.ceil(percentile / 100 * len(ordered) - 1e-9)) - 1]


def test_percentiles_of_a_known_distribution_to_the_histograms_precision() -> None:
    # A log-normal latency distribution (median ~ 400 µs, a long tail into seconds).
    generator = random.Random(19)
    samples = [max(1, int(generator.lognormvariate(6.0, 1.2))) for _ in range(50_000)]
    samples += [2_500_000, 4_000_000]  # beyond the raw counters: kept exactly until folded
    ordered = sorted(samples)
    chosen = (50.0, 75.0, 90.0, 99.0, 99.9, 99.99)
    result = figures(folded(samples), chosen)
    assert result is not None
    assert result.count == len(samples)
    for percentile, value in result.percentiles:
        exact = nearest_rank(ordered, percentile)
        assert abs(value - exact) <= max(1, exact * PRECISION), (percentile, value, exact)
    assert abs(result.max_us - ordered[-1]) <= ordered[-1] * PRECISION
    mean = sum(samples) / len(samples)
    assert abs(result.mean_us - mean) <= mean * PRECISION
    stdev = math.sqrt(sum((s - mean) ** 2 for s in samples) / len(samples))
    assert abs(result.stdev_us - stdev) <= stdev * 2 * PRECISION


def test_merged_worker_histograms_equal_one_histogram_of_all_samples() -> None:
    generator = random.Random(7)
    parts = [[generator.randrange(1, 3_000_000) for _ in range(2000)] for _ in range(3)]
    encoded = [folded(part).encode() for part in parts]  # type: ignore[attr-defined]
    merged = merge(e.decode() for e in encoded)
    whole = new_histogram()
    record_samples(whole, [s for part in parts for s in part])
    assert merged.equals(whole)
    assert figures(merged, (50.0, 99.0)) == figures(whole, (50.0, 99.0))


def test_values_out_of_range_are_clamped_not_lost() -> None:
    result = figures(folded([0, 5, 10 * HIGHEST_US]), (50.0,))
    assert result is not None
    assert result.count == 3
    assert abs(result.max_us - HIGHEST_US) <= HIGHEST_US * PRECISION


def test_no_samples_no_figures() -> None:
    assert figures(new_histogram(), (50.0,)) is None


def test_changes_reads_only_what_grew() -> None:
    counters = new_counters()
    counters[3] = 2
    counters[SLOTS - 1] = 1
    assert changes(counters.tobytes(), None) == [(3, 2), (SLOTS - 1, 1)]
    snapshots, slow = Snapshots(), [SLOTS + 9]
    assert snapshots.take(counters, slow) == [(3, 2), (SLOTS - 1, 1), (SLOTS + 9, 1)]
    counters[3] += 5
    counters[70_000] += 1
    slow.append(SLOTS + 1)
    assert snapshots.take(counters, slow) == [(3, 5), (70_000, 1), (SLOTS + 1, 1)]
    assert snapshots.take(counters, slow) == []


@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=200))
def test_quick_percentiles_match_sorting(samples: list[int]) -> None:
    ordered = sorted(samples)
    pairs = [(s, 1) for s in samples]
    assert quick_percentiles(pairs, 0.5, 0.99) == [
        nearest_rank(ordered, 50),
        nearest_rank(ordered, 99),
    ]


def test_field_names() -> None:
    assert [percentile_name(p) for p in (50, 99.9, 99.99, 99.999)] == [
        "p50_us",
        "p99_9_us",
        "p99_99_us",
        "p99_999_us",
    ]


def test_log_buckets_are_a_1_2_5_series_from_first_to_last() -> None:
    result = figures(folded([15, 15, 30, 700, 700, 700, 1500]), (50.0,))
    assert result is not None
    assert result.log_buckets() == [(20, 2), (50, 1), (100, 0), (200, 0), (500, 0), (1000, 3),
                                    (2000, 1)]  # fmt: skip
