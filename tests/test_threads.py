"""netkit.threads: every thread netkit starts leaves the stop signals to the main thread, and the
main thread's waits for them end within a slice."""

import signal
import threading
import time
from concurrent.futures import Future

import pytest

from netkit.threads import (
    STOP_SIGNALS,
    WAIT_SLICE,
    WorkerPool,
    future_result,
    join_thread,
    start_thread,
    stop_signals_held,
)


def _blocked_here() -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_a_started_thread_blocks_the_stop_signals_and_its_starter_does_not() -> None:
    before = _blocked_here()
    seen: list[set[int]] = []
    join_thread(start_thread(lambda: seen.append(_blocked_here()), name="test"))
    assert seen[0] >= STOP_SIGNALS
    assert _blocked_here() == before


def test_a_pools_threads_block_the_stop_signals() -> None:
    with WorkerPool(max_workers=3) as pool:
        masks = [future_result(pool.submit(_blocked_here)) for _ in range(6)]
    assert all(mask >= STOP_SIGNALS for mask in masks)
    assert not STOP_SIGNALS & _blocked_here()


def test_a_stop_signal_that_arrives_while_a_thread_starts_is_delivered_after() -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: received.append(number))
    try:
        with stop_signals_held():
            signal.raise_signal(signal.SIGTERM)
            held_back = not received
            thread = start_thread(lambda: None, name="test")
        assert held_back and received == [signal.SIGTERM]
        join_thread(thread)
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_result_that_takes_several_slices_is_returned() -> None:
    future: Future[str] = Future()
    timer = threading.Timer(3 * WAIT_SLICE, future.set_result, ["done"])
    timer.start()
    assert future_result(future) == "done"
    timer.join()


def test_a_timeout_raised_by_the_work_itself_is_raised_not_waited_on() -> None:
    future: Future[str] = Future()
    future.set_exception(TimeoutError("timed out"))  # a socket's timeout, say
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="timed out"):
        future_result(future)
    assert time.monotonic() - started < 5  # a bound on a hang, not a timing measurement


def test_joining_a_thread_that_ends_later_waits_for_it() -> None:
    ended = threading.Event()
    thread = start_thread(lambda: (time.sleep(3 * WAIT_SLICE), ended.set()), name="test")
    join_thread(thread)
    assert ended.is_set() and not thread.is_alive()
