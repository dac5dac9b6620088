"""The step log's ordering and the forked-child helper's promise: always reaped."""

import os
import time

import pytest

from netkit.errors import NetkitError
from netkit.ipc.child import Mailbox, forked
from netkit.ipc.steps import merge_steps


def test_merge_orders_by_time_relative_to_the_first_step() -> None:
    steps = merge_steps(
        ("parent", 10, [(1_000, "pipe(fd)", "ok"), (9_000, "waitpid(11)", "exited 0")]),
        ("child", 11, [(4_500, "read(3)", "18 bytes")]),
    )
    assert [(s.actor, s.call, s.t_us) for s in steps] == [
        ("parent", "pipe(fd)", 0.0),
        ("child", "read(3)", 3.5),
        ("parent", "waitpid(11)", 8.0),
    ]


def test_merge_of_nothing_is_empty() -> None:
    assert merge_steps() == ()


def test_child_exit_code_and_report_reach_the_parent() -> None:
    def main(mailbox: Mailbox) -> int:
        mailbox.put({"line": "hello"})
        return 3

    with forked(main) as child:
        ended = child.wait(timeout=10)
        assert ended.exit_code == 3
        assert child.mailbox.get() == {"line": "hello"}


def test_a_failing_block_kills_and_reaps_the_child() -> None:
    def main(mailbox: Mailbox) -> int:
        time.sleep(60)  # a child that would outlive the parent's failure
        return 0

    with pytest.raises(RuntimeError), forked(main) as child:
        raise RuntimeError("the parent failed")
    assert child.exit is not None
    assert child.exit.signal_name == "SIGKILL"
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # already reaped: no zombie left


def test_the_childs_exception_becomes_its_error_report() -> None:
    def main(mailbox: Mailbox) -> int:
        raise OSError(104, "Connection reset by peer")

    with forked(main) as child:
        error = child.failure("the demo failed")
    assert isinstance(error, NetkitError)
    assert error.message == (
        f"the demo failed: the child (pid {child.pid}) exited 1: Connection reset by peer"
    )


def test_a_child_whose_reader_went_away_makes_the_parent_stop_quietly() -> None:
    def main(mailbox: Mailbox) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    with forked(main) as child:
        error = child.failure("the demo failed")
    assert isinstance(error, BrokenPipeError)
