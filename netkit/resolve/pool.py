"""Blocking lookups on a bounded thread pool, results in input order, input read as needed.

The system resolver's calls (gethostbyname, getaddrinfo) and dnspython's DoT and DoH queries
block; a batch of them spends its time waiting, so a few threads wait at once. At most
``ahead`` lookups are submitted beyond the oldest result not yet out, so a long input costs
the memory of that many results, and results leave in the order of the input.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

from netkit.threads import WorkerPool, future_result

Item = TypeVar("Item")
Result = TypeVar("Result")


def ordered_map(
    function: Callable[[Item], Result], items: Iterable[Item], *, workers: int, ahead: int
) -> Iterator[Result]:
    """function(item) for each item, run on up to workers threads, yielded in input order.

    Closing the generator early (Ctrl-C) cancels the lookups not started yet and waits for the
    running ones, which the system resolver bounds by its own timeout.
    """
    pool = WorkerPool(max_workers=max(1, workers))
    pending: deque[Future[Result]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= max(ahead, workers):
                yield future_result(pending.popleft())
        while pending:
            yield future_result(pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
