"""The step log of a demo: who called what, with which result, in the order it took effect."""

import os
import time
from dataclasses import dataclass

from netkit.ipc.child import Mailbox


@dataclass(frozen=True, slots=True)
class Step:
    """One system call of a demo, as the process that made it saw it."""

    t_us: float  # when it took effect, in microseconds after the demo's first step
    actor: str  # "parent" or "child"
    pid: int
    call: str  # the call as C would spell it, with the real descriptor numbers
    result: str  # what it returned and what that means


class StepLog:
    """Steps of one process. Sends are stamped when issued and receives when they return.

    CLOCK_MONOTONIC is one clock for every process on the machine, and stamping that way means a
    read never sorts before the write it got, nor a waitpid() before the child's exit.
    """

    def __init__(self, actor: str, mailbox: Mailbox | None = None) -> None:
        self.actor = actor
        self.pid = os.getpid()
        self.records: list[tuple[int, str, str]] = []
        self.facts: dict[str, object] = {}
        self._mailbox = mailbox

    @staticmethod
    def now() -> int:
        return time.monotonic_ns()

    def add(self, t_ns: int, call: str, result: str) -> None:
        self.records.append((t_ns, call, result))
        self.publish()

    def publish(self, **facts: object) -> None:
        """Hand the steps (and facts such as the printed line) to the parent, if this is the child.

        Called after every step, so a child that crashes still leaves its trail.
        """
        self.facts.update(facts)
        if self._mailbox is not None:
            self._mailbox.put({**self.facts, "steps": self.records})


def merge_steps(*logs: tuple[str, int, list[tuple[int, str, str]]]) -> tuple[Step, ...]:
    """Interleave the processes' steps by time, relative to the earliest one."""
    stamped = [
        (t_ns, actor, pid, call, result)
        for actor, pid, records in logs
        for t_ns, call, result in records
    ]
    stamped.sort(key=lambda record: record[0])
    start = stamped[0][0] if stamped else 0
    return tuple(
        Step(round((t_ns - start) / 1000, 1), actor, pid, call, result)
        for t_ns, actor, pid, call, result in stamped
    )


def child_records(mailbox: Mailbox) -> list[tuple[int, str, str]]:
    """The child's steps, as it left them in the mailbox (JSON turned the tuples into lists)."""
    steps = mailbox.get().get("steps")
    if not isinstance(steps, list):
        return []
    return [(int(t), str(call), str(result)) for t, call, result in steps]
