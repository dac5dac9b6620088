"""strace as the judge of --explain: run netkit under `strace -f` and check that every call the
narration lists is in the trace, in the same order, with the same descriptor and result.

The narration uses the C API's names; the kernel's differ in places (send is sendto, recv is
recvfrom, select is pselect6 in glibc, accept is accept4), and strace names the level
IPPROTO_TCP SOL_TCP. The trace holds more than the narration (the interpreter's own calls,
--explain's own getsockopt(TCP_INFO) and sock_diag queries), so the narration must be a
subsequence of it, not equal to it.
"""

import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import netkit_executable, require_tool

TRACED = (
    "trace=network,poll,ppoll,select,pselect6,epoll_create1,epoll_ctl,epoll_wait,epoll_pwait,"
    "epoll_pwait2,close,shutdown,ioctl"
)
KERNEL_NAMES = {
    "send": ("sendto", "send"),
    "recv": ("recvfrom", "recv"),
    "select": ("pselect6", "select"),
    "poll": ("poll", "ppoll"),
    "accept": ("accept4", "accept"),
    "epoll_wait": ("epoll_wait", "epoll_pwait", "epoll_pwait2"),
}
_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:\s+(E[A-Z0-9_]+))?")


@dataclass(frozen=True)
class Syscall:
    pid: int
    name: str
    args: str
    result: int
    errno: str | None


def parse_trace(path: Path) -> list[Syscall]:
    """The completed calls of a `strace -f -o` file, an interrupted call joined to its end."""
    pending: dict[int, str] = {}
    calls = []
    for line in path.read_text(errors="replace").splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        pid, rest = int(match.group(1)), match.group(2)
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest.removesuffix("<unfinished ...>").rstrip()
            continue
        if rest.startswith("<..."):
            rest = pending.pop(pid, "") + rest.split("resumed>", 1)[1]
        call = _CALL.match(rest)
        if call is not None:
            name, args, result, errno = call.groups()
            if result == "?" and (errno or "").startswith("ERESTART"):
                # A signal interrupted the call and the process has a handler (installed
                # without SA_RESTART): the process sees -1 EINTR.
                result, errno = "-1", "EINTR"
            if result != "?":
                calls.append(Syscall(pid, name, args, int(result), errno))
    return calls


def _first_arg(args: str) -> str:
    fd = re.match(r"\[?\{fd=(\d+)", args)  # poll's array: its first descriptor
    return fd.group(1) if fd else args.split(",", 1)[0].strip()


def _matches(narrated: dict[str, Any], syscall: Syscall) -> bool:
    if syscall.name not in KERNEL_NAMES.get(narrated["call"], (narrated["call"],)):
        return False
    expected_result = -1 if narrated["errno"] else narrated["result"]
    if (syscall.result, syscall.errno) != (expected_result, narrated["errno"]):
        return False
    args = narrated["args"]
    if narrated["call"] == "socket":
        return syscall.args.startswith(args[0])  # the family; the descriptor is the result
    if _first_arg(syscall.args) != _first_arg(args[0]):
        return False
    if narrated["call"] in ("getsockopt", "setsockopt"):  # the option, not another one
        level = "SOL_TCP" if args[1] == "IPPROTO_TCP" else args[1]
        return f"{level}, {args[2]}" in syscall.args
    return True


def _descriptor_of(call: dict[str, Any]) -> str:
    if call["call"] in ("socket", "epoll_create1"):
        return str(call["result"])
    return _first_arg(call["args"][0]) if call["args"] else ""


def _syscall_descriptor(syscall: Syscall) -> str:
    if syscall.name in ("socket", "epoll_create1"):
        return str(syscall.result)
    return _first_arg(syscall.args)


def assert_narration_is_true(
    narration: Sequence[dict[str, Any]], trace: list[Syscall], *, by_descriptor: bool = False
) -> None:
    """Every narrated call in the trace, in order, with the same descriptor and result.

    ``by_descriptor``: the order is checked per descriptor, for a process whose threads make
    calls at the same moments (the order between threads is then the scheduler's)."""
    assert narration, "nothing was narrated"
    if by_descriptor:
        for fd in {_descriptor_of(call) for call in narration}:
            mine = [call for call in narration if _descriptor_of(call) == fd]
            assert_narration_is_true(mine, [c for c in trace if _syscall_descriptor(c) == fd])
        return
    position = 0
    for call in narration:
        for index in range(position, len(trace)):
            if _matches(call, trace[index]):
                position = index + 1
                break
        else:
            shown = "\n".join(f"{c.pid} {c.name}({c.args}) = {c.result} {c.errno or ''}"
                              for c in trace[position:position + 30])  # fmt: skip
            raise AssertionError(f"narrated {call} is not in the trace after here:\n{shown}")


def run_traced(
    tmp_path: Path, *args: str, input: bytes = b"", timeout: float = 60
) -> tuple[subprocess.CompletedProcess[bytes], list[dict[str, Any]], list[Syscall]]:
    """`netkit ARGS --explain --json` under strace -f: the process, the narrated calls (the
    JSON lines on stderr that have a "call") and the trace."""
    strace = require_tool("strace")
    trace_file = tmp_path / "trace.txt"
    argv = [strace, "-f", "-qq", "-e", TRACED, "-o", str(trace_file), netkit_executable(), *args]
    done = subprocess.run(argv, input=input, capture_output=True, timeout=timeout, check=False,
                          env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    narration = []
    for line in done.stderr.decode(errors="replace").splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if "call" in record:
                narration.append(record)
    return done, narration, parse_trace(trace_file)
