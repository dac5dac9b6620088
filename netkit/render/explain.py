"""--explain output on stderr: one line per socket call in C syntax, or JSON Lines with --json.

A line reads like strace's, with the time since the command started in front and, after the
result, what it means and the TCP state the kernel reported (shown when it changed):

    +0.000031  connect(3, {AF_INET, 127.0.0.1:5566}, 16) = -1 EINPROGRESS   handshake started

The arguments hold outside data (payload previews, Unix socket paths, addresses): the previews
are C string literals already, and the whole line still passes through visible(), so nothing a
peer sends can act on the terminal. JSON carries the same fields as the record.
"""

import re
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TextIO

from netkit.render.escape import visible
from netkit.render.output import emit_json_line
from netkit.sockcalls import Call

if TYPE_CHECKING:
    from netkit.ipc.steps import Step

MEANING_COLUMN = 64  # where the meaning starts, when the call is shorter


def call_text(call: Call) -> str:
    """The call and its result: ``recv(3, "hi", 65536, 0) = 2``."""
    # A step of an ipc demo may be several calls in one (socket() + bind() + listen()).
    text = call.call if "(" in call.call else f"{call.call}({', '.join(call.args)})"
    if call.errno is not None:  # -1 for a system call; a library's own code, or ? if unseen
        return f"{text} = {'?' if call.result is None else call.result} {call.errno}"
    return text if call.result is None else f"{text} = {call.result}"


def _descriptor(call: Call) -> str:
    """The descriptor a call is about: its first argument ({fd=3, ...} for poll), or the
    result of socket() and accept()."""
    if call.call in ("socket", "accept"):
        return str(call.result)
    found = re.match(r"\D*(\d+)", call.args[0]) if call.args else None
    return found.group(1) if found else ""


class ExplainLog:
    """Writes each narrated call to ``stream`` as it is made."""

    def __init__(self, *, as_json: bool, stream: TextIO | None = None) -> None:
        self.as_json = as_json
        self.stream = stream or sys.stderr
        self._states: dict[str, str | None] = {}  # descriptor -> last state shown

    def __call__(self, call: Call) -> None:
        if self.as_json:
            emit_json_line(call, self.stream)
            return
        line = visible(f"+{call.t:.6f}  {call_text(call)}")  # escaped first: then aligned
        notes = [call.meaning] if call.meaning else []
        fd = _descriptor(call)
        if call.tcp_state is not None and self._states.get(fd) != call.tcp_state:
            notes.append(f"({call.tcp_state})")
            self._states[fd] = call.tcp_state
        if call.call == "close":
            self._states.pop(fd, None)
        if notes:
            line = line.ljust(MEANING_COLUMN) + "  " + visible(" ".join(notes))
        self.stream.write(line + "\n")
        self.stream.flush()

    def profile(self, counts: Mapping[str, int], *, connections: int, datagrams: int) -> None:
        """The count of every call made over the run (the syscall profile), and per connection
        or datagram, which makes designs comparable."""
        total = sum(counts.values())
        if self.as_json:
            document = {"profile": dict(sorted(counts.items())), "calls": total,
                        "connections": connections, "datagrams": datagrams}  # fmt: skip
            emit_json_line(document, self.stream)
            return
        served = connections or datagrams
        unit = "connection" if connections else "datagram"
        per = f", {total / served:.1f} per {unit}" if served else ""
        parts = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        self.stream.write(f"calls: {total}{per} ({parts})\n")
        self.stream.flush()


_RESULT = re.compile(r"^(-?\d+)(?::\s*|\s+)?(.*)$")


def _split_args(text: str) -> tuple[str, ...]:
    """A call's argument list split at the commas outside string literals and brackets."""
    args, current, depth, quoted, escaped = [], "", 0, False, False
    for char in text:
        if quoted:
            quoted = char != '"' or escaped
            escaped = char == "\\" and not escaped
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        current += char
    return (*args, current.strip()) if current.strip() else tuple(args)


def step_call(step: "Step") -> Call:
    """An ipc demo's step as a narrated call: the same record --explain writes elsewhere."""
    t = round(step.t_us / 1e6, 6)
    who = f"{step.actor} {step.pid}"
    args: tuple[str, ...] = ()
    if ") + " in step.call:  # several calls in one step: kept whole
        name = step.call
    else:
        name, _, rest = step.call.partition("(")
        args = _split_args(rest[:-1] if rest.endswith(")") else rest)
    found = _RESULT.match(step.result)
    if found is None:
        meaning = f"{who}: {step.result}" if step.result else who
        return Call(t, name, args, None, None, meaning, None)
    result, detail = int(found.group(1)), found.group(2)
    errno = None
    if result == -1 and detail.startswith("E"):
        errno, _, detail = detail.partition(" ")
    detail = "" if detail == "bytes" else detail  # the result says how many already
    return Call(t, name, args, result, errno, f"{who}: {detail}" if detail else who, None)


def narrate_steps(steps: Iterable["Step"], *, as_json: bool) -> None:
    """ipc --explain: a demo's steps in the narration's form, on stderr."""
    log = ExplainLog(as_json=as_json)
    for step in steps:
        log(step_call(step))
