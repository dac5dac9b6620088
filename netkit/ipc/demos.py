"""The reference's pipe and socketpair programs, run for real, with a log of every step."""

import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass

from netkit.errors import NetkitError, NetkitUsageError
from netkit.ipc.child import Child, Mailbox, forked
from netkit.ipc.steps import Step, StepLog, child_records, merge_steps
from netkit.render.escape import visible

# The reference's messages; like its C, they travel with their NUL (strlen(msg) + 1 bytes).
PIPE_MESSAGE = "Hello from parent"
SOCKETPAIR_MESSAGE = "Hi child"
SOCKETPAIR_REPLY = "Hi parent"
# PIPE_BUF: a write up to this size is atomic (pipe(7)), so one read() gets it whole.
MAX_MESSAGE_BYTES = 4096
_READ_SIZE = 4096


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What a demo printed and the steps that got it there."""

    demo: str  # "pipe", "socketpair" or "fdpass"
    child_line: str  # the line the child printed itself, as the reference's child does
    parent_line: str | None  # the parent's own line (socketpair), printed after the child's
    parent_pid: int
    child_pid: int
    child_exit_code: int
    steps: tuple[Step, ...]


def encode_message(text: str, what: str = "--message") -> bytes:
    """The text as the C sends it: the argument's own bytes with its terminating NUL.

    surrogateescape gives back bytes that were not UTF-8 on the command line, as C's argv has them.
    """
    data = text.encode(errors="surrogateescape") + b"\0"
    if b"\0" in data[:-1]:
        raise NetkitUsageError(f"{what} cannot contain a NUL character")
    if len(data) > MAX_MESSAGE_BYTES:
        raise NetkitUsageError(
            f"{what} is {len(data)} bytes with its NUL; at most {MAX_MESSAGE_BYTES} (PIPE_BUF)"
        )
    return data


def quoted(data: bytes) -> str:
    """A message as C source would write it: "Hi child\\0"."""
    text = data.decode(errors="replace").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\0", "\\0") + '"'


def text_of(data: bytes) -> str:
    """What printf("%s") shows of a received buffer: everything before the first NUL."""
    return data.split(b"\0", 1)[0].decode(errors="replace")


def print_line(fd: int | None, line: str) -> str:
    """The child's printf(): straight to the descriptor, unbuffered, so nothing waits in a buffer
    that fork() copied or that _exit() would drop. Returns the line, for the parent's report.

    The message is the user's, so the line is shown as data (control characters escaped) like
    everything netkit prints; the report keeps the exact line for --json."""
    data = memoryview((visible(line) + "\n").encode())
    try:
        while fd is not None and data:
            data = data[os.write(fd, data) :]
    except BrokenPipeError:  # the reader of stdout went away: the closed-output exit, quietly
        raise
    except OSError as error:
        raise NetkitError(f"could not print its line: {error.strerror}") from None
    return line


def crash_if_asked(fault: str | None) -> None:
    """Test hook: the child dies the way a crash would, before doing its part."""
    if fault == "child-crash":
        os.kill(os.getpid(), signal.SIGKILL)


def read_message(
    read: Callable[[int], bytes], log: StepLog, call: str, *, until_eof: bool = False
) -> bytes:
    """read() until the NUL that ends the message, or until EOF; each read is a step."""
    received = bytearray()
    while until_eof or not received.endswith(b"\0"):
        chunk = read(_READ_SIZE)
        log.add(log.now(), call, f"{len(chunk)} bytes" if chunk else "0: EOF")
        if not chunk:
            break
        received += chunk
    return bytes(received)


def finish_demo(child: Child, log: StepLog, what: str) -> int:
    """waitpid(), logged when it returns; a child that did not exit 0 is the demo's failure."""
    ended = child.wait(timeout=10)
    log.add(log.now(), f"waitpid({child.pid})", ended.describe())
    if not ended.ok:
        raise child.failure(what)
    return ended.exit_code or 0


def merged_steps(parent: StepLog, child: Child) -> tuple[Step, ...]:
    return merge_steps(
        (parent.actor, parent.pid, parent.records),
        ("child", child.pid, child_records(child.mailbox)),
    )


def _child_line(child: Child) -> str:
    line = child.mailbox.get().get("line")
    return line if isinstance(line, str) else ""


def run_pipe(
    message: str = PIPE_MESSAGE, *, child_stdout: int | None = 1, fault: str | None = None
) -> DemoResult:
    """pipe(), fork(); the parent writes the message, the child reads and prints it."""
    data = encode_message(message)
    log = StepLog("parent")
    t = log.now()
    read_end, write_end = os.pipe()
    log.add(t, "pipe(fd)", f"fd[0]={read_end} (read end), fd[1]={write_end} (write end)")

    def child_main(mailbox: Mailbox) -> int:
        clog = StepLog("child", mailbox)
        crash_if_asked(fault)
        t = clog.now()
        os.close(write_end)
        clog.add(t, f"close(fd[1]={write_end})", "0: the child only reads")
        # Until EOF, which comes only once every write end is closed: the child's own copy too.
        call = f"read(fd[0]={read_end})"
        got = read_message(lambda n: os.read(read_end, n), clog, call, until_eof=True)
        t = clog.now()
        os.close(read_end)
        clog.add(t, f"close(fd[0]={read_end})", "0")
        clog.publish(line=print_line(child_stdout, f"Child received: {text_of(got)}"))
        clog.add(clog.now(), "_exit(0)", "")
        return 0

    t = log.now()
    with forked(child_main) as child:
        log.add(t, "fork()", f"{child.pid} (the child's pid)")
        t = log.now()
        os.close(read_end)
        log.add(t, f"close(fd[0]={read_end})", "0: the parent only writes")
        try:
            t = log.now()
            written = os.write(write_end, data)
            log.add(t, f"write(fd[1]={write_end}, {quoted(data)}, {len(data)})", f"{written}")
        except BrokenPipeError:
            raise child.failure("write to the pipe failed with EPIPE (no reader)") from None
        finally:
            t = log.now()
            os.close(write_end)
            log.add(t, f"close(fd[1]={write_end})", "0: the reader will see EOF")
        status = finish_demo(child, log, "the pipe demo failed")
        steps, line = merged_steps(log, child), _child_line(child)
    return DemoResult("pipe", line, None, log.pid, child.pid, status, steps)


def run_socketpair(
    message: str = SOCKETPAIR_MESSAGE,
    reply: str = SOCKETPAIR_REPLY,
    *,
    child_stdout: int | None = 1,
    fault: str | None = None,
) -> DemoResult:
    """socketpair(), fork(); a message each way over the one pair of connected sockets."""
    data = encode_message(message)
    reply_data = encode_message(reply, "--reply")
    log = StepLog("parent")
    t = log.now()
    parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    p_fd, c_fd = parent_end.fileno(), child_end.fileno()
    log.add(t, "socketpair(AF_UNIX, SOCK_STREAM, 0, sv)", f"0: sv[0]={p_fd}, sv[1]={c_fd}")

    def child_main(mailbox: Mailbox) -> int:
        clog = StepLog("child", mailbox)
        crash_if_asked(fault)
        t = clog.now()
        parent_end.close()
        clog.add(t, f"close(sv[0]={p_fd})", "0: the child talks on sv[1]")
        got = read_message(child_end.recv, clog, f"read(sv[1]={c_fd})")
        clog.publish(line=print_line(child_stdout, f"Child got: {text_of(got)}"))
        t = clog.now()
        child_end.sendall(reply_data)
        call = f"write(sv[1]={c_fd}, {quoted(reply_data)}, {len(reply_data)})"
        clog.add(t, call, f"{len(reply_data)}")
        t = clog.now()
        child_end.close()
        clog.add(t, f"close(sv[1]={c_fd})", "0")
        clog.add(clog.now(), "_exit(0)", "")
        return 0

    with parent_end, child_end:
        t = log.now()
        with forked(child_main) as child:
            log.add(t, "fork()", f"{child.pid} (the child's pid)")
            t = log.now()
            child_end.close()
            log.add(t, f"close(sv[1]={c_fd})", "0: the parent talks on sv[0]")
            try:
                t = log.now()
                parent_end.sendall(data)
                log.add(t, f"write(sv[0]={p_fd}, {quoted(data)}, {len(data)})", f"{len(data)}")
                got = read_message(parent_end.recv, log, f"read(sv[0]={p_fd})")
            except OSError as error:  # EPIPE or ECONNRESET: the child is gone
                raise child.failure(f"the socket broke ({error.strerror})") from None
            if not got.endswith(b"\0"):
                raise child.failure("the child closed its end without replying")
            t = log.now()
            parent_end.close()
            log.add(t, f"close(sv[0]={p_fd})", "0")
            status = finish_demo(child, log, "the socketpair demo failed")
            steps, line = merged_steps(log, child), _child_line(child)
    return DemoResult(
        "socketpair",
        line,
        f"Parent got: {text_of(got)}",
        log.pid,
        child.pid,
        status,
        steps,
    )
