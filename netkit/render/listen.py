"""How `netkit listen` shows itself: the readiness line, the connection log (text or JSON Lines),
the --print data on stdout (raw or hex dump), the live --stats panel and the summary table."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TextIO

from netkit.listen.events import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionRefused,
    Listening,
    Notice,
    Observer,
    PeerSeen,
    StatsSnapshot,
)
from netkit.render.escape import TerminalStream, json_safe, visible
from netkit.render.output import emit_json_line


def readiness_line(event: Listening) -> str:
    return f"listening on {event.transport} {event.address} ({event.mux})"


def event_fields(kind: str, record: object) -> dict[str, object]:
    """One --json log line: the same core fields first on every event (the event's name and
    its Unix time), then the record's own. An event that has a time of its own keeps it."""
    fields: dict[str, object] = {"event": kind, "time": round(time.time(), 6)}
    fields.update(asdict(record))  # type: ignore[call-overload]  # records are dataclasses
    return fields


def emit_note(message: str, *, as_json: bool, stream: TextIO | None = None) -> None:
    """A note before the listener runs (the TLS certificate): a JSON notice with --json, so
    that every line of the log stays JSON."""
    if as_json:
        emit_json_line(event_fields("notice", Notice(message)), stream or sys.stderr)
        return
    from netkit.render.output import emit_message

    emit_message("note", message)


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover


def make_observer(
    *, verbose: bool, as_json: bool, quiet: bool, stream: TextIO, live: bool = False
) -> Observer:
    """Wire the engine's callbacks to stderr. Without -v nothing is built per connection.
    With the live panel on, lines go through its console so they print above the panel."""

    def write(line: str) -> None:
        if live:
            from netkit.render.tables import print_line, stderr_console

            print_line(stderr_console(), line)
            return
        stream.write(visible(line) + "\n")
        stream.flush()

    def event(kind: str, record: object) -> None:
        value = event_fields(kind, record)
        if live:  # through the panel's console too, or the JSON line garbles the panel
            import json

            write(json_safe(json.dumps(value, ensure_ascii=False)))
            return
        emit_json_line(value, stream)

    def listening(record: Listening) -> None:
        # Always: scripts and tests wait for this line. With --json it is the first JSON line,
        # so that every line of the log is JSON and a reader learns the port of --port 0.
        if as_json:
            event("listening", record)
        else:
            write(readiness_line(record))

    def notice(record: Notice) -> None:
        if as_json:
            event("notice", record)
        else:
            write(f"note: {record.message}")

    def refused(record: ConnectionRefused) -> None:
        if as_json:
            event("refused", record)
        else:
            write(f"refused {record.peer}: {record.reason}")

    def opened(record: ConnectionOpened) -> None:
        if as_json:
            event("open", record)
        else:
            write(f"connection from {record.peer}")

    def peer_seen(record: PeerSeen) -> None:
        if as_json:
            event("peer", record)
        else:
            write(f"datagrams from {record.peer}")

    def closed(record: ConnectionClosed) -> None:
        if as_json:
            event("close", record)
        else:
            write(
                f"closed {record.peer} ({record.reason}): {human_bytes(record.bytes_in)} in, "
                f"{human_bytes(record.bytes_out)} out, {record.duration_s:.3f} s"
            )

    def silent(record: object) -> None:
        return None

    return Observer(
        listening=listening,
        notice=silent if quiet else notice,
        refused=silent if quiet else refused,
        opened=opened if verbose and not quiet else None,
        closed=closed if verbose and not quiet else None,
        peer_seen=peer_seen if verbose and not quiet else None,
    )


def raw_sink(stream: TextIO | None = None) -> Callable[[str, bytes], None]:
    """--print: the bytes as they arrive, like `nc -l`."""
    out = (stream or sys.stdout).buffer

    def sink(peer: str, data: bytes) -> None:
        out.write(data)
        out.flush()

    return sink


class TerminalSink:
    """--print on a terminal: text reads as it is, control sequences show escaped.

    One decoder serves every peer: chunks from two peers interleave on screen as they do in
    the raw stream, and a character split across their chunks still cannot become a control
    sequence, since whatever the decoder makes of it is escaped. ``finish()`` shows what the
    decoder still holds (a trailing CR, half a character) when the listener stops.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.out = stream or sys.stdout
        self.decoder = TerminalStream()

    def __call__(self, peer: str, data: bytes) -> None:
        self.out.write(self.decoder.feed(data))
        self.out.flush()

    def finish(self) -> None:
        self.out.write(self.decoder.finish())
        self.out.flush()


@contextmanager
def print_sink(*, hex_dump: bool, raw: bool) -> Iterator[Callable[[str, bytes], None]]:
    """Where --print sends what arrives: a hex dump, the raw bytes (a pipe or a file, or a
    terminal with --raw, as nc), or escaped text on a terminal, finished when the server stops."""
    if hex_dump:
        yield hex_sink()
    elif raw or not sys.stdout.isatty():
        yield raw_sink()
    else:
        terminal = TerminalSink()
        try:
            yield terminal
        finally:
            terminal.finish()


def hex_dump(data: bytes, width: int = 16) -> Iterator[str]:
    """`hexdump -C` style lines: offset, hex bytes in two groups, printable text."""
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hex_part = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hex_part += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        yield f"{offset:08x}  {hex_part:<{width * 3}}  |{text}|"


def hex_sink(stream: TextIO | None = None) -> Callable[[str, bytes], None]:
    """--print --hex: a header per chunk (direction, time, peer, length), then the dump."""
    out = stream or sys.stdout

    def sink(peer: str, data: bytes) -> None:
        now = time.time()  # one reading: two could straddle a second (12:00:00.999 for :01.000)
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        lines = [f"< {stamp} from {visible(peer)} {len(data)} bytes", *hex_dump(data)]
        out.write("\n".join(lines) + "\n")
        out.flush()

    return sink


def _summary_rows(snapshot: StatsSnapshot, live: bool = False) -> list[tuple[str, str]]:
    rows = [
        ("listened on", f"{snapshot.transport} {snapshot.address} ({snapshot.mux})"),
        ("uptime", f"{snapshot.uptime_s:.1f} s"),
    ]
    if snapshot.transport == "udp":
        rows += [
            ("datagrams in", str(snapshot.datagrams_in)),
            ("datagrams out", str(snapshot.datagrams_out)),
        ]
    else:
        if live:  # at exit every connection is closed: "now" is always 0 there
            rows.append(("connections now", str(snapshot.connections_now)))
        rows += [
            ("connections total", str(snapshot.connections_total)),
            ("connections peak", str(snapshot.connections_peak)),
        ]
    rows += [
        ("refused", str(snapshot.refused)),
        ("bytes in", f"{snapshot.bytes_in} ({human_bytes(snapshot.bytes_in)})"),
        ("bytes out", f"{snapshot.bytes_out} ({human_bytes(snapshot.bytes_out)})"),
    ]
    return rows


def render_summary(snapshot: StatsSnapshot, *, as_json: bool, stream: TextIO) -> None:
    """The totals on exit: a table for people, one JSON line with --json."""
    if as_json:
        emit_json_line(event_fields("summary", snapshot), stream)
        return
    from netkit.render.tables import records_table, stderr_console

    table = records_table(("", ""), _summary_rows(snapshot), title="listener summary")
    table.show_header = False
    stderr_console().print(table)


class _Rates:
    """Turns successive snapshots into per-second rates for the live panel."""

    def __init__(self) -> None:
        self.previous: tuple[float, int, int] | None = None

    def update(self, snapshot: StatsSnapshot) -> tuple[float, float]:
        now = time.monotonic()
        rate_in = rate_out = 0.0
        if self.previous is not None:
            then, was_in, was_out = self.previous
            elapsed = max(now - then, 1e-6)
            rate_in = (snapshot.bytes_in - was_in) / elapsed
            rate_out = (snapshot.bytes_out - was_out) / elapsed
        self.previous = (now, snapshot.bytes_in, snapshot.bytes_out)
        return rate_in, rate_out


STATS_LINE_INTERVAL = 1.0  # seconds between two --stats lines when stderr is no terminal


@contextmanager
def stats_lines(
    snapshot: Callable[[], StatsSnapshot], *, as_json: bool, stream: TextIO
) -> Iterator[Callable[[], None]]:
    """--stats when stderr is not a terminal (a log file, a pipe): no panel to redraw, so one
    plain line (a JSON line with --json) per second, as vmstat prints; yields a function that
    stops them (before the summary is printed)."""
    import threading

    from netkit.threads import start_thread

    stopped = threading.Event()
    rates = _Rates()
    rates.update(snapshot())

    def report() -> None:
        while not stopped.wait(STATS_LINE_INTERVAL):
            current = snapshot()
            rate_in, rate_out = rates.update(current)
            if as_json:
                fields = event_fields("stats", current)
                fields.update(rate_in_bps=round(rate_in, 1), rate_out_bps=round(rate_out, 1))
                emit_json_line(fields, stream)
                continue
            rows = dict(_summary_rows(current, live=True)[1:])
            parts = [f"{name} {value}" for name, value in rows.items()]
            parts += [f"rate in {human_bytes(rate_in)}/s", f"rate out {human_bytes(rate_out)}/s"]
            stream.write("stats: " + ", ".join(parts) + "\n")
            stream.flush()

    reporter = start_thread(report, name="netkit-stats")

    def stop() -> None:
        stopped.set()
        reporter.join()

    try:
        yield stop
    finally:
        stop()


@contextmanager
def live_stats(
    snapshot: Callable[[], StatsSnapshot], *, as_json: bool = False, stream: TextIO | None = None
) -> Iterator[Callable[[], None]]:
    """--stats: a rich panel on stderr, refreshed from its own thread twice a second; yields
    a function that takes the panel away early (before the summary is printed). When stderr
    is not a terminal, plain lines instead (``stats_lines``)."""
    out = stream or sys.stderr
    if not out.isatty():
        with stats_lines(snapshot, as_json=as_json, stream=out) as stop:
            yield stop
        return
    from rich.live import Live
    from rich.panel import Panel
    from rich.table import Table

    from netkit.render.tables import cell, data, stderr_console
    from netkit.threads import stop_signals_held

    rates = _Rates()

    def panel() -> Panel:
        current = snapshot()
        rate_in, rate_out = rates.update(current)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="cyan")
        grid.add_column(justify="right")
        rows = [
            *_summary_rows(current, live=True)[1:],
            ("rate in", f"{human_bytes(rate_in)}/s"),
            ("rate out", f"{human_bytes(rate_out)}/s"),
        ]
        for name, value in rows:
            grid.add_row(cell(name), cell(value))
        title = data(f"{current.transport} {current.address} ({current.mux})")
        return Panel(grid, title=title, title_align="left", expand=False)

    live = Live(
        get_renderable=panel,
        console=stderr_console(),
        refresh_per_second=2,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with stop_signals_held():  # rich's refresh thread starts here; Ctrl-C is the main thread's
        live.start(refresh=True)
    with live:  # entering a started display only makes sure it is stopped at the end
        yield live.stop  # stopping twice is harmless: the context's exit stops it again
