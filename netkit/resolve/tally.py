"""A batch's counts by outcome, kept as its results stream past, for the progress display and
the summary line. Every mode's results pass through one: it holds counts, never results."""

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Literal, TypeVar

Outcome = Literal["answered", "NXDOMAIN", "SERVFAIL", "timeout", "other"]
Result = TypeVar("Result")
Chunk = TypeVar("Chunk")
# A tally's counts as one value (what a worker process sends back with a chunk's output):
# queries, answered, NXDOMAIN, SERVFAIL, timeouts, other.
Counts = tuple[int, int, int, int, int, int]

REFRESH_EVERY = 256  # results between two calls of the progress display's refresh


class Tally:
    """Counts of results by outcome, changed by count() alone."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.ended: float | None = None
        self.queries = 0
        self.answered = 0
        self.nxdomain = 0
        self.servfail = 0
        self.timeouts = 0
        self.other = 0  # NODATA, REFUSED, an invalid name, a refused connection, ...
        self.interrupted = False

    def count(
        self,
        results: Iterable[Result],
        outcome: Callable[[Result], Outcome],
        refresh: Callable[[], None] | None = None,
    ) -> Iterator[Result]:
        """Pass results on, counting each by its outcome; refresh the progress now and then."""
        try:
            for result in results:
                kind = outcome(result)
                self.queries += 1
                if kind == "answered":
                    self.answered += 1
                elif kind == "NXDOMAIN":
                    self.nxdomain += 1
                elif kind == "SERVFAIL":
                    self.servfail += 1
                elif kind == "timeout":
                    self.timeouts += 1
                else:
                    self.other += 1
                if refresh is not None and not self.queries % REFRESH_EVERY:
                    refresh()
                yield result
            if refresh is not None:
                refresh()
        finally:
            self.ended = time.monotonic()

    def counts(self) -> Counts:
        return (
            self.queries, self.answered, self.nxdomain, self.servfail, self.timeouts, self.other
        )  # fmt: skip

    def count_chunks(
        self,
        chunks: Iterable[tuple[Chunk, Counts]],
        refresh: Callable[[], None] | None = None,
    ) -> Iterator[Chunk]:
        """Pass on chunks of results already counted elsewhere (a worker process's tally of
        each comes with it), adding their counts; refresh the progress after each."""
        try:
            for chunk, counts in chunks:
                queries, answered, nxdomain, servfail, timeouts, other = counts
                self.queries += queries
                self.answered += answered
                self.nxdomain += nxdomain
                self.servfail += servfail
                self.timeouts += timeouts
                self.other += other
                if refresh is not None:
                    refresh()
                yield chunk
        finally:
            self.ended = time.monotonic()

    def stop(self, *, interrupted: bool) -> None:
        """The batch is over: the clock stops (if it has not), and whether Ctrl-C ended it."""
        self.ended = self.ended or time.monotonic()
        self.interrupted = interrupted

    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def rate(self) -> float:
        """Results a second so far."""
        elapsed = self.elapsed()
        return self.queries / elapsed if elapsed > 0 else 0.0

    @property
    def all_answered(self) -> bool:
        return self.answered == self.queries
