"""Fork a child that is always waited for, and hear back from it without an extra descriptor."""

import json
import mmap
import os
import signal
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from netkit.errors import ExitStatus, NetkitError

_LENGTH = struct.Struct("=I")
# waitpid(WNOHANG) polling starts fine-grained (a demo's child exits within microseconds).
_FIRST_POLL_SECONDS = 0.00005
_MAX_POLL_SECONDS = 0.01


class Mailbox:
    """A shared anonymous mapping the child writes JSON into and the parent reads after wait().

    It is created before fork() and needs no file descriptor, so the demos' descriptor numbers
    are exactly what the C program would get.
    """

    def __init__(self, size: int = 1 << 20) -> None:
        self._map = mmap.mmap(-1, size)  # MAP_SHARED | MAP_ANONYMOUS: both sides see one page set

    def put(self, value: object) -> None:
        data = json.dumps(value).encode()
        if len(data) + _LENGTH.size > len(self._map):
            data = json.dumps({"error": "report too large for the mailbox"}).encode()
        self._map[_LENGTH.size : _LENGTH.size + len(data)] = data
        _LENGTH.pack_into(self._map, 0, len(data))

    def get(self) -> dict[str, object]:
        (length,) = _LENGTH.unpack_from(self._map, 0)
        if length == 0:
            return {}
        value = json.loads(self._map[_LENGTH.size : _LENGTH.size + length])
        return value if isinstance(value, dict) else {}

    def close(self) -> None:
        self._map.close()


@dataclass(frozen=True, slots=True)
class ChildExit:
    """How a child ended, from its wait status."""

    pid: int
    exit_code: int | None  # None when a signal killed it
    signal_name: str | None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        if self.signal_name is not None:
            return f"killed by {self.signal_name}"
        return f"exited {self.exit_code}"


def _exit_from_status(pid: int, status: int) -> ChildExit:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return ChildExit(pid, None, name)
    return ChildExit(pid, os.waitstatus_to_exitcode(status), None)


class Child:
    """The parent's handle on a forked child: wait for it once, or kill and reap it."""

    def __init__(self, pid: int, mailbox: Mailbox) -> None:
        self.pid = pid
        self.mailbox = mailbox
        self.exit: ChildExit | None = None

    def wait(self, timeout: float | None = None) -> ChildExit:
        """waitpid() the child; after ``timeout`` seconds kill it (SIGKILL) rather than hang."""
        if self.exit is not None:
            return self.exit
        if timeout is None:
            _, status = os.waitpid(self.pid, 0)
            self.exit = _exit_from_status(self.pid, status)
            return self.exit
        deadline = time.monotonic() + timeout
        pause = _FIRST_POLL_SECONDS
        while (ended := self.poll()) is None:
            if time.monotonic() >= deadline:
                return self.kill()
            time.sleep(pause)
            pause = min(pause * 2, _MAX_POLL_SECONDS)
        return ended

    def poll(self) -> ChildExit | None:
        """The child's exit if it has ended (reaping it), else None: waitpid(WNOHANG)."""
        if self.exit is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.exit = _exit_from_status(pid, status)
        return self.exit

    def kill(self) -> ChildExit:
        """SIGKILL (it cannot be caught, so the reap below cannot hang) and reap the child."""
        if self.exit is not None:
            return self.exit
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.exit = _exit_from_status(self.pid, status)
        return self.exit

    def failure(self, what: str) -> NetkitError | BrokenPipeError:
        """A one-line error for a child that did not exit 0, with the reason it left, if any;
        a child whose stdout's reader went away makes the parent stop as quietly as it did."""
        ended = self.wait(timeout=5)
        if ended.exit_code == ExitStatus.OUTPUT_CLOSED:
            return BrokenPipeError()
        reason = self.mailbox.get().get("error")
        detail = f": {reason}" if isinstance(reason, str) and reason else ""
        return NetkitError(f"{what}: the child (pid {self.pid}) {ended.describe()}{detail}")


def _run_child(main: Callable[[Mailbox], int], mailbox: Mailbox, mask: Iterable[int]) -> None:
    """The child's whole life: run ``main`` and _exit() without returning into the parent's code.

    os._exit skips atexit handlers and stdio flushing, so nothing the parent had buffered (or
    click's cleanup) runs twice. Ctrl-C is let through only inside the try, for the same reason.
    """
    status = 1
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        status = main(mailbox)
    except KeyboardInterrupt:
        status = ExitStatus.INTERRUPTED
    except BrokenPipeError:  # its stdout's reader went away: the parent stops quietly too
        status = ExitStatus.OUTPUT_CLOSED
    except BaseException as error:  # report every failure to the parent, never a traceback
        detail = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        try:
            report = mailbox.get()
            report["error"] = detail or type(error).__name__
            mailbox.put(report)
        except BaseException:  # the report is best effort: exiting non-zero is what matters
            pass
    finally:
        os._exit(status)


@contextmanager
def forked(main: Callable[[Mailbox], int], *, wait_timeout: float = 30) -> Iterator[Child]:
    """fork(); the child runs ``main(mailbox)`` and exits with what it returns.

    The parent's block may wait() the child itself; whatever happens (an error, Ctrl-C), the
    child is reaped before this returns, and killed first if the block did not finish normally.
    """
    mailbox = Mailbox()
    # Anything still buffered would be copied into the child and printed twice.
    sys.stdout.flush()
    sys.stderr.flush()
    # Hold Ctrl-C back until the parent holds the child's pid inside the try below, so that no
    # KeyboardInterrupt can leave a child nobody waits for.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        mailbox.close()
        raise
    if pid == 0:
        _run_child(main, mailbox, held)
    child = Child(pid, mailbox)
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a pending Ctrl-C is raised here
        yield child
    except BaseException:
        child.kill()
        raise
    else:
        child.wait(timeout=wait_timeout)
    finally:
        if child.exit is None:
            child.kill()
        mailbox.close()
