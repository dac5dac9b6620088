"""Threads that leave the stop signals (Ctrl-C's SIGINT, SIGTERM) to the main thread.

The kernel delivers a signal sent to a process to any one of its threads that does not block
it. CPython's C handler, run in whatever thread caught the signal, only notes it; the Python
handler (KeyboardInterrupt, the listener's stop) runs in the main thread. When the kernel
picks a worker thread, the main thread's blocking wait (a join, a Future's result, accept())
is not interrupted, and the stop waits until that wait ends by itself: up to a silent DNS
server's 30 s timeout. Every thread netkit starts therefore blocks the stop signals, so the
kernel can only hand them to the main thread, whose wait ends at once with EINTR.

A new thread inherits its creator's signal mask, so the signals are blocked around the start
itself: a thread never runs a moment without the mask, not even before its first line.

That is not quite enough. A signal that arrives after the interpreter last looked for one but
before the main thread blocks in a lock (a join, a Future's result) is handled by the C
handler then and there, and leaves no EINTR to end the wait that follows: the wait runs its
full length. So the main thread waits for its workers in slices (join_thread, future_result)
and looks again for a stop at the end of each.
"""

import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

# The signals that stop a netkit command by way of a Python handler in the main thread.
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})

# How long the main thread waits for a worker at a time: the most a stop signal that slipped
# in just before a wait can be kept waiting.
WAIT_SLICE = 0.1

Params = ParamSpec("Params")
Result = TypeVar("Result")


@contextmanager
def stop_signals_held() -> Iterator[None]:
    """Block the stop signals in this thread for the block's length: threads started inside
    inherit the block for good. A stop signal that arrives meanwhile is delivered (and its
    KeyboardInterrupt raised) when the block ends."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def start_thread(target: Callable[[], object], *, name: str) -> threading.Thread:
    """Start a daemon thread running target() that never receives a stop signal."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    with stop_signals_held():
        thread.start()
    return thread


def join_thread(thread: threading.Thread) -> None:
    """thread.join(), interrupted within WAIT_SLICE by a stop signal whatever its timing."""
    while thread.is_alive():
        thread.join(WAIT_SLICE)


def future_result(future: "Future[Result]") -> Result:
    """future.result(), interrupted within WAIT_SLICE by a stop signal whatever its timing."""
    while True:
        try:
            return future.result(WAIT_SLICE)
        except TimeoutError:
            # The slice ran out, or the work itself timed out (a socket's TimeoutError).
            if future.done():
                return future.result()


class WorkerPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor whose threads never receive a stop signal. The pool starts its
    threads inside submit(), as work arrives, so submit() is where the signals are held."""

    def submit(
        self, fn: Callable[Params, Result], /, *args: Params.args, **kwargs: Params.kwargs
    ) -> "Future[Result]":
        with stop_signals_held():
            return super().submit(fn, *args, **kwargs)
