"""Output for `netkit connect`: -v lines or a JSON Lines log, both on stderr (stdout is data)."""

import sys

from netkit.connect import SessionEvent, SessionSummary
from netkit.render.output import emit_json_line


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

    def event(self, event: SessionEvent) -> None:
        if self.as_json:
            emit_json_line(event, sys.stderr)
        elif self.verbose:
            sys.stderr.write(f"netkit: {_event_line(event)}\n")
            sys.stderr.flush()

    def summary(self, summary: SessionSummary) -> None:
        if self.as_json:
            emit_json_line(summary, sys.stderr)
        elif self.verbose:
            sys.stderr.write(f"netkit: {_summary_line(summary)}\n")
            sys.stderr.flush()
