"""A bulk batch cut into chunks, each worked on by one of a few worker processes, the results
in input order.

One Python process resolving names in bulk spends about 13 us of CPU a query (reading the name,
the query, the reply, the result, its line of output; measured on a 2-core machine), so it tops
out near a quarter of what dnsperf does against the same server, while the machine has other
cores. Workers forked
from the command each run the whole pipeline on a chunk of the input (their own engine,
sockets and server choice) and send back what the chunk came to, typically its output text,
which the parent writes in order. The protocol rules stay in one place: a worker runs the
engine as the command would.

Chunks go to the workers in turn and come back in the same turn, so the results keep input
order without a reorder buffer. Each worker has at most ``ahead`` chunks given to it and not
yet back, so memory is bounded whatever the input's length: the input is read as chunks are
handed out. Workers ignore Ctrl-C (the parent decides what an interruption means) and end when
the parent closes their pipe, or with it.
"""

import os
import signal
import sys
from collections.abc import Callable, Generator, Iterable
from contextlib import suppress
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

Item = TypeVar("Item")
Result = TypeVar("Result")


def worker_count() -> int:
    """Workers for a bulk batch: one a core, up to 4 (the server asked needs CPU too), and
    none (0: the batch stays in the command's process) on a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return 0 if cores < 2 else min(cores, 4)


class WorkerLostError(RuntimeError):
    """A worker process ended, or could not send a result, before its chunk was done."""


class _Failure:
    """What a worker sends back instead of a result when its work raised."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _serve(
    connection: "Connection", work: Callable[[list[Item]], Result], inherited: list["Connection"]
) -> None:
    """A worker's life: a chunk in, its result out, until the parent says stop (None) or
    closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for pipe in inherited:  # the parent's ends of the pipes made so far, copied by fork
        pipe.close()
    while True:
        try:
            chunk = connection.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        outcome: Result | _Failure
        try:
            outcome = work(chunk)
        except Exception as error:  # sent to the parent, which raises it
            outcome = _Failure(error)
        try:
            connection.send(outcome)
        except OSError:  # the parent has gone, or stopped reading
            return
        except Exception as error:  # an outcome pickle cannot write
            connection.send(_Failure(WorkerLostError(f"a worker's result was not sent: {error}")))


def ordered_chunks(
    work: Callable[[list[Item]], Result],
    items: Iterable[Item],
    *,
    workers: int,
    chunk: int,
    ahead: int = 2,
) -> Generator[Result, None, None]:
    """work(chunk) for each chunk of up to ``chunk`` items, run in ``workers`` forked
    processes, yielded in input order. An exception work raised is raised here.

    The workers start now, before the caller starts any thread (a progress display's): a fork
    copies only the thread that makes it, and a lock another thread held stays held in the
    child. Closing the generator (or leaving it by an exception) ends them."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    # A forked child starts with a copy of the parent's unwritten output, which it would write
    # again when it ends: write it now.
    sys.stdout.flush()
    sys.stderr.flush()
    pipes: list[Connection] = []
    processes: list[BaseProcess] = []
    try:
        for _ in range(workers):
            mine, theirs = context.Pipe()
            inherited = [*pipes, mine]
            process = context.Process(target=_serve, args=(theirs, work, inherited), daemon=True)
            process.start()
            theirs.close()
            pipes.append(mine)
            processes.append(process)
    except BaseException:
        _stop(pipes, processes, finished=False)
        raise
    return _in_order(pipes, processes, items, chunk, ahead)


def _in_order(
    pipes: list["Connection"],
    processes: list["BaseProcess"],
    items: Iterable[Item],
    chunk: int,
    ahead: int,
) -> Generator[Result, None, None]:
    """Hand chunks of items to the workers in turn and yield their results in the same turn."""
    workers = len(pipes)
    finished = False  # every result out: the workers are idle, waiting for a chunk
    try:
        source = iter(items)
        given = 0  # chunks handed out
        taken = 0  # results yielded
        exhausted = False
        while True:
            while not exhausted and given - taken < workers * ahead:
                part = list(islice(source, chunk))
                if not part:
                    exhausted = True
                    break
                try:
                    pipes[given % workers].send(part)
                except OSError:  # not BrokenPipeError: that would read as our output closed
                    raise WorkerLostError("a worker process ended before its chunk") from None
                given += 1
            if taken == given:
                finished = True
                return
            try:
                result = pipes[taken % workers].recv()
            except (EOFError, OSError):
                raise WorkerLostError("a worker process ended before its chunk was done") from None
            taken += 1
            if isinstance(result, _Failure):
                raise result.error
            yield result
    finally:
        _stop(pipes, processes, finished=finished)


def _stop(pipes: list["Connection"], processes: list["BaseProcess"], *, finished: bool) -> None:
    """End the workers: told to stop when they are idle; stopped early (Ctrl-C, a failure, the
    output closed), terminated at once, since one may be waiting out a timeout in a chunk
    whose result nobody wants now."""
    for pipe in pipes:
        with suppress(OSError):  # the worker has gone
            pipe.send(None)
        pipe.close()
    for process in processes:
        if not finished:
            process.terminate()
        process.join(timeout=1.0)
        if process.is_alive():
            process.kill()
            process.join()
