"""The latency histogram: nearest-rank percentiles over exact microsecond counters."""

import math

from hypothesis import given
from hypothesis import strategies as st

from netkit.bench.latency import SLOTS, Latencies, new_counters, sparse


def latencies_of(samples: list[int]) -> Latencies:
    counters = new_counters()
    slow = []
    for micros in samples:
        if micros < SLOTS:
            counters[micros] += 1
        else:
            slow.append(micros)
    merged = Latencies()
    merged.add_counters(counters, slow)
    return merged


def test_nearest_rank_percentiles() -> None:
    merged = latencies_of(list(range(1, 101)))  # 1..100 µs, once each
    assert merged.percentiles(0.5, 0.9, 0.99, 1.0) == [50, 90, 99, 100]
    assert merged.maximum() == 100
    assert merged.total == 100


def test_no_samples() -> None:
    assert Latencies().percentiles(0.5) == [None]
    assert Latencies().maximum() is None


def test_slow_samples_beyond_the_counters_are_exact() -> None:
    merged = latencies_of([10, 20, SLOTS + 5, 3 * SLOTS])
    assert merged.percentiles(0.5, 1.0) == [20, 3 * SLOTS]


@given(st.lists(st.integers(min_value=0, max_value=2 * SLOTS), min_size=1, max_size=200))
def test_matches_sorting_the_samples(samples: list[int]) -> None:
    merged = latencies_of(samples)
    ordered = sorted(samples)
    for fraction in (0.5, 0.9, 0.99):
        rank = max(1, math.ceil(fraction * len(samples) - 1e-9))  # the nearest-rank definition
        assert merged.percentiles(fraction)[0] == ordered[rank - 1]


def test_sparse_pairs_merge_like_counters() -> None:
    counters = new_counters()
    counters[7] = 3
    counters[1000] = 1
    pairs = sparse(counters, [SLOTS + 1])
    assert pairs == [(7, 3), (1000, 1), (SLOTS + 1, 1)]
    merged = Latencies()
    merged.add_sparse(pairs)
    merged.add_sparse(pairs)
    assert merged.total == 10
