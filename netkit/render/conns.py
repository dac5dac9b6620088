"""Output for `netkit conns`: ss-style tables and JSON, streamed a row at a time.

Kept free of rich (rows.py draws the table itself): on a busy host the command's start-up is
part of what it costs, and ``ss -tanp`` starts in a millisecond.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from netkit.render.output import (
    emit_json,
    emit_json_array,
    emit_json_line,
    emit_lines,
    emit_message,
)
from netkit.render.rows import Column, Styled, row_stream
from netkit.sysinfo.connection import Connection
from netkit.sysinfo.conns import ConnectionListing
from netkit.sysinfo.socket_facts import SocketMemory, TcpInfo, Timer

if TYPE_CHECKING:  # imported by -s and --watch themselves: a listing does not pay for them
    from netkit.sysinfo.summary import SocketSummary
    from netkit.sysinfo.watch import ConnectionActivity, WatchRound

# The states netkit colours, made once: a Styled is a frozen dataclass (half a microsecond to
# make), and nearly every row of a busy host is ESTABLISHED.
_STYLED_STATES = {state: Styled(state, style)
                  for state, style in (("LISTEN", "green"), ("ESTABLISHED", "cyan"))}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConnectionColumns:
    """Which of ss's optional columns a table shows (JSON always carries every field)."""

    extended: bool = False  # -e: uid, inode, cookie
    timers: bool = False  # -o
    memory: bool = False  # -m
    info: bool = False  # -i


def _connection_columns(shown: ConnectionColumns) -> list[Column]:
    columns = [Column("proto"), Column("state"), Column("recv-q", "right"),
               Column("send-q", "right"), Column("local"), Column("remote"),
               Column("pid/process"), Column("user")]  # fmt: skip
    if shown.extended:
        columns += [Column("uid", "right"), Column("inode", "right"), Column("cookie", "right")]
    if shown.timers:
        columns.append(Column("timer"))
    if shown.memory:
        columns.append(Column("skmem"))
    if shown.info:
        columns.append(Column("tcp info"))
    return columns


def _connection_row(c: Connection, shown: ConnectionColumns) -> list[object]:
    state = c.state
    row: list[object] = [
        c.proto if c.family != "IPv6" else f"{c.proto}6",
        _STYLED_STATES.get(state, state) if state is not None else None,
        c.recv_q,
        c.send_q,
        c.local or ("*" if c.proto == "unix" else None),
        c.remote if c.peer_inode is None else f"* {c.peer_inode}",
        None if c.pid is None else f"{c.pid}/{c.process or '?'}",
        c.user,
    ]
    if shown.extended:
        row += [c.uid, c.inode, c.cookie]
    if shown.timers:
        row.append(None if c.timer is None else timer_text(c.timer))
    if shown.memory:
        row.append(None if c.memory is None else skmem_text(c.memory))
    if shown.info:
        info = c.info
        row.append(None if info is None else tcp_info_text(info, listening=c.state == "LISTEN"))
    return row


def render_connections(
    listing: ConnectionListing, *, as_json: bool, shown: ConnectionColumns = ConnectionColumns()
) -> None:
    """ss's columns, a row per socket, streamed: a busy host's 10,000 sockets print as they
    are turned into rows instead of after one layout of them all. JSON streams too: one object
    a line inside the array."""
    if as_json:
        emit_json_array(connection_json(c) for c in listing.connections)
    else:
        with row_stream(_connection_columns(shown), at_hand=True) as add:
            for c in listing.connections:
                add(_connection_row(c, shown))
    if listing.note is not None:
        emit_message("note", listing.note)


def connection_json(c: Connection) -> dict[str, object]:
    """One socket as a JSON object; timer, info and memory as objects of their own."""
    record: dict[str, object] = c._asdict()
    # Plain statements rather than a loop over the three: this runs once per socket.
    if c.timer is not None:
        record["timer"] = c.timer._asdict()
    if c.info is not None:
        record["info"] = c.info._asdict()
    if c.memory is not None:
        record["memory"] = c.memory._asdict()
    return record


# ss's notation for -o, -m and -i (misc/ss.c: print_ms_timer, print_skmeminfo, tcp_show_info).


def ms_text(ms: int) -> str:
    """ss's print_ms_timer: 1min59sec, 9.500ms style."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    text = ""
    if minutes:
        millis = 0
        text = f"{minutes}min"
        if minutes > 9:
            seconds = 0
    if seconds:
        if seconds > 9:
            millis = 0
        text += f"{seconds}{'.' if millis else 'sec'}"
    if millis:
        text += f"{millis:03d}ms"
    return text


def timer_text(timer: Timer) -> str:
    return f"timer:({timer.name},{ms_text(timer.expires_ms)},{timer.retransmits})"


def skmem_text(m: SocketMemory) -> str:
    drops = "" if m.drops is None else f",d{m.drops}"
    return (f"skmem:(r{m.rmem_alloc},rb{m.rcvbuf},t{m.wmem_alloc},tb{m.sndbuf},f{m.fwd_alloc},"
            f"w{m.wmem_queued},o{m.optmem},bl{m.backlog}{drops})")  # fmt: skip


def tcp_info_text(i: TcpInfo, *, listening: bool = False) -> str:  # noqa: PLR0912, PLR0915  # one if per ss field
    """The line ss -i prints under a connection, with the same names, order and units (a
    field ss leaves out when it is zero is left out too). Plain statements, for speed: it runs
    once per connection, so the fields are unpacked into locals in one step rather than read
    as 44 attributes."""
    (congestion, snd_wscale, rcv_wscale, rto_ms, backoff, rtt_ms, rttvar_ms, ato_ms, mss, pmtu,
     rcvmss, advmss, cwnd, ssthresh, bytes_sent, bytes_retrans, bytes_acked, bytes_received,
     segs_out, segs_in, data_segs_out, data_segs_in, send_bps, last_send_ms, last_recv_ms,
     last_ack_ms, pacing_rate_bps, delivery_rate_bps, delivered, app_limited, busy_ms, unacked,
     retrans, retrans_total, lost, sacked, reordering, rcv_rtt_ms, rcv_space, rcv_ssthresh,
     notsent, min_rtt_ms, snd_wnd, rcv_wnd) = i  # fmt: skip
    p = [congestion] if congestion else []
    if snd_wscale or rcv_wscale:
        p.append(f"wscale:{snd_wscale},{rcv_wscale}")
    if rto_ms and rto_ms != 3000:  # ss leaves out the initial RTO (TCP_TIMEOUT_INIT)
        p.append(f"rto:{rto_ms:g}")
    if backoff:
        p.append(f"backoff:{backoff}")
    if rtt_ms:
        p.append(f"rtt:{rtt_ms:g}/{rttvar_ms:g}")
    if ato_ms:
        p.append(f"ato:{ato_ms:g}")
    if mss:
        p.append(f"mss:{mss} pmtu:{pmtu} rcvmss:{rcvmss} advmss:{advmss}")
    p.append(f"cwnd:{cwnd}")
    if ssthresh:
        p.append(f"ssthresh:{ssthresh}")
    if bytes_sent:
        p.append(f"bytes_sent:{bytes_sent}")
    if bytes_retrans:
        p.append(f"bytes_retrans:{bytes_retrans}")
    if bytes_acked:
        p.append(f"bytes_acked:{bytes_acked}")
    if bytes_received:
        p.append(f"bytes_received:{bytes_received}")
    if segs_out:
        p.append(f"segs_out:{segs_out}")
    if segs_in:
        p.append(f"segs_in:{segs_in}")
    if data_segs_out:
        p.append(f"data_segs_out:{data_segs_out}")
    if data_segs_in:
        p.append(f"data_segs_in:{data_segs_in}")
    if send_bps:
        p.append(f"send {send_bps:.0f}bps")  # ss's sprint_bw without -h
    if last_send_ms:
        p.append(f"lastsnd:{last_send_ms}")
    if last_recv_ms:
        p.append(f"lastrcv:{last_recv_ms}")
    if last_ack_ms:
        p.append(f"lastack:{last_ack_ms}")
    if pacing_rate_bps:
        p.append(f"pacing_rate {pacing_rate_bps:.0f}bps")
    if delivery_rate_bps:
        p.append(f"delivery_rate {delivery_rate_bps:.0f}bps")
    if delivered:
        p.append(f"delivered:{delivered}")
    if app_limited:
        p.append("app_limited")
    if busy_ms:
        p.append(f"busy:{busy_ms}ms")
    if unacked:
        p.append(f"unacked:{unacked}")
    if retrans or retrans_total:
        p.append(f"retrans:{retrans}/{retrans_total}")
    if lost:
        p.append(f"lost:{lost}")
    if sacked and not listening:  # a listener's "sacked" is its backlog: ss hides it
        p.append(f"sacked:{sacked}")
    if reordering != 3:  # ss shows reordering only when it differs from the default, 3
        p.append(f"reordering:{reordering}")
    if rcv_rtt_ms:
        p.append(f"rcv_rtt:{rcv_rtt_ms:g}")
    if rcv_space:
        p.append(f"rcv_space:{rcv_space}")
    if rcv_ssthresh:
        p.append(f"rcv_ssthresh:{rcv_ssthresh}")
    if notsent:
        p.append(f"notsent:{notsent}")
    if min_rtt_ms:
        p.append(f"minrtt:{min_rtt_ms:g}")
    if snd_wnd:
        p.append(f"snd_wnd:{snd_wnd}")
    if rcv_wnd:
        p.append(f"rcv_wnd:{rcv_wnd}")
    return " ".join(p)


def render_summary(summary: SocketSummary, *, as_json: bool) -> None:
    """ss -s: its two lines of totals and its transport table, then the TCP sockets per state."""
    if as_json:
        emit_json(summary)
        return
    s = summary
    emit_lines([
        f"Total: {s.total}",
        f"TCP:   {s.tcp_total} (estab {s.tcp_established}, closed {s.tcp_closed}, "
        f"orphaned {s.tcp_orphaned}, timewait {s.tcp_timewait})",
        "",
    ])  # fmt: skip
    columns = [Column("transport"), Column("total", "right"), Column("ipv4", "right"),
               Column("ipv6", "right")]  # fmt: skip
    with row_stream(columns) as add:
        for t in s.transports:
            add((t.transport, t.total, t.ipv4, t.ipv6))
    sys.stdout.write("\n")
    with row_stream([Column("tcp state"), Column("sockets", "right")]) as add:
        for state, count in s.tcp_states.items():
            add((state, count))


# ---------------------------------------------------------------------------------------------
# --watch

_ACTIVITY_COLUMNS = ("proto", "state", "local", "remote", "pid/process", "sent", "received",
                     "sent/s", "received/s", "retrans", "rtt", "cwnd")  # fmt: skip


class ActivityDisplay(Protocol):
    def __call__(self, round_: WatchRound) -> None: ...


def _activity_rows(round_: WatchRound, limit: int | None = None) -> list[list[object]]:
    from netkit.render.sysinfo import human_bytes

    shown = round_.connections if limit is None else round_.connections[:limit]
    return [
        [
            a.proto,
            a.state,
            a.local,
            a.remote,
            None if a.pid is None else f"{a.pid}/{a.process or '?'}",
            human_bytes(a.sent_bytes),
            human_bytes(a.received_bytes),
            f"{human_bytes(a.sent_bytes_per_s)}/s",
            f"{human_bytes(a.received_bytes_per_s)}/s",
            Styled(a.retransmits, "red") if a.retransmits else a.retransmits,
            f"{a.rtt_ms:g}ms",
            a.cwnd,
        ]
        for a in shown
    ]


def _round_title(round_: WatchRound, shown: int) -> str:
    import time

    clock = time.strftime("%H:%M:%S", time.localtime(round_.taken_at))
    more = len(round_.connections) - shown
    rest = f", {more} quieter not shown" if more > 0 else ""
    return (f"{len(round_.connections)} TCP connections, busiest first, over {round_.interval:g} s "
            f"({clock}{rest}); Ctrl-C stops")  # fmt: skip


@contextmanager
def activity_display(*, as_json: bool) -> Iterator[ActivityDisplay]:
    """Where `conns --watch` sends each round: a live table of the busiest connections on a
    terminal (as many as fit), a whole table per round in a pipe, or JSON Lines with --json
    (one object per connection and round)."""
    if as_json:

        def json_lines(round_: WatchRound) -> None:
            for a in round_.connections:
                emit_json_line({"time": round_.taken_at, "interval": round_.interval, **_asdict(a)})

        yield json_lines
        return
    from netkit.render.output import terminal_like

    if not terminal_like(sys.stdout):

        def tables(round_: WatchRound) -> None:
            sys.stdout.write(_round_title(round_, len(round_.connections)) + "\n")
            with row_stream(_ACTIVITY_COLUMNS) as add:
                for row in _activity_rows(round_):
                    add(row)
            sys.stdout.flush()

        yield tables
        return
    from rich.live import Live

    from netkit.render.tables import records_table, stdout_console

    console = stdout_console()
    with Live(console=console, auto_refresh=False) as live:

        def live_table(round_: WatchRound) -> None:
            from netkit.render.charts import spark
            from netkit.sysinfo.watch import HISTORY

            fits = max(1, console.size.height - 6)  # the title, the header box and the footer
            rows = [
                [*(_rich_cell(v) for v in row), spark(activity.history, HISTORY)]
                for row, activity in zip(
                    _activity_rows(round_, fits), round_.connections, strict=False
                )
            ]
            title = _round_title(round_, len(rows))
            columns = (*_ACTIVITY_COLUMNS, f"last {HISTORY} rounds")
            live.update(records_table(columns, rows, title=title), refresh=True)

        yield live_table


def _rich_cell(value: object) -> object:
    """rows.py's Styled as a rich Text for records_table (escaped like every value)."""
    if isinstance(value, Styled):
        from netkit.render.tables import data

        return data(value.value, style=value.style)
    return value


def _asdict(activity: ConnectionActivity) -> dict[str, object]:
    import dataclasses

    fields = dataclasses.asdict(activity)
    del fields["history"]  # each line already carries its round's rates
    return fields
