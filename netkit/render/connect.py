"""Output for `netkit connect`: -v lines or a JSON Lines log, both on stderr (stdout is data)."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from netkit.connect import OutputSink, SessionEvent, SessionSummary, write_all
from netkit.render.escape import TerminalStream, visible
from netkit.render.output import emit_json_line


@contextmanager
def peer_output(*, raw: bool) -> Iterator[OutputSink]:
    """Where the peer's bytes go: stdout byte for byte (a pipe, a file, or a terminal with
    --raw, as nc), or on a terminal as text with control sequences escaped."""
    fd = sys.stdout.fileno()
    if raw or not os.isatty(fd):
        yield lambda data: write_all(fd, data)
        return
    terminal = TerminalStream()
    try:
        yield lambda data: write_all(fd, memoryview(terminal.feed(data).encode()))
    finally:
        write_all(fd, memoryview(terminal.finish().encode()))


def _event_line(event: SessionEvent) -> str:
    if event.event == "connected":
        return f"connected to {event.peer} ({event.transport}) from {event.local}"
    if event.event == "connect-failed":
        return f"connect to {event.peer} ({event.transport}) failed: {event.detail}"
    return str(event.detail or event.event)


def _summary_line(summary: SessionSummary) -> str:
    if summary.ended == "connect only":
        return f"connection to {summary.peer} ({summary.transport}) succeeded"
    sent, received = f"{summary.bytes_sent} bytes", f"{summary.bytes_received} bytes"
    if summary.datagrams_sent is not None:
        sent += f" in {summary.datagrams_sent} datagrams"
        received += f" in {summary.datagrams_received} datagrams"
    return f"sent {sent}, received {received} in {summary.duration_s:.3f} s ({summary.ended})"


class SessionLog:
    """Writes session events to stderr: readable lines with -v, JSON Lines with --json."""

    def __init__(self, *, verbose: bool, as_json: bool) -> None:
        self.verbose = verbose
        self.as_json = as_json
        # A failed attempt is shown when the next attempt starts: when it was the last one,
        # the error message says the same, and -v should not print it twice.
        self._held_failure: str | None = None

    def event(self, event: SessionEvent) -> None:
        if self.as_json:
            emit_json_line(event, sys.stderr)
        elif self.verbose:
            self._write_held()
            line = f"netkit: {visible(_event_line(event))}\n"
            if event.event == "connect-failed":
                self._held_failure = line
                return
            sys.stderr.write(line)
            sys.stderr.flush()

    def _write_held(self) -> None:
        if self._held_failure is not None:
            sys.stderr.write(self._held_failure)
            self._held_failure = None

    def summary(self, summary: SessionSummary) -> None:
        if self.as_json:
            emit_json_line(summary, sys.stderr)
        elif self.verbose:
            sys.stderr.write(f"netkit: {visible(_summary_line(summary))}\n")
            sys.stderr.flush()
