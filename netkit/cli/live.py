"""Running a --watch view until the user stops it, shared by the commands that have one."""

import signal
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from types import FrameType
from typing import TypeVar

from netkit.errors import ExitStatus

Round = TypeVar("Round")


def watch_until_stopped(
    display: AbstractContextManager[Callable[[Round], None]], rounds: Iterable[Round]
) -> int:
    """Show each round until the rounds end or Ctrl-C / SIGTERM arrives.

    Stopping is how a watch is meant to end: not a failure (exit 0), and the live view must
    get to restore the terminal (its cursor) on the way out, so SIGTERM is turned into the same
    KeyboardInterrupt as Ctrl-C for as long as the view runs.
    """
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with display as show:
            for round_ in rounds:
                show(round_)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return ExitStatus.OK


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
