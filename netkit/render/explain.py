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
from collections.abc import Mapping
from typing import TextIO

from netkit.render.escape import visible
from netkit.render.output import emit_json_line
from netkit.sockcalls import Call

MEANING_COLUMN = 64  # where the meaning starts, when the call is shorter


def call_text(call: Call) -> str:
    """The call and its result: ``recv(3, "hi", 65536, 0) = 2``."""
    text = f"{call.call}({', '.join(call.args)})"
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
        line = f"+{call.t:.6f}  {call_text(call)}"
        notes = [call.meaning] if call.meaning else []
        fd = _descriptor(call)
        if call.tcp_state is not None and self._states.get(fd) != call.tcp_state:
            notes.append(f"({call.tcp_state})")
            self._states[fd] = call.tcp_state
        if call.call == "close":
            self._states.pop(fd, None)
        if notes:
            line = line.ljust(MEANING_COLUMN) + "  " + " ".join(notes)
        self.stream.write(visible(line) + "\n")
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
