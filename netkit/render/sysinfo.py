"""Output for `netkit conns` and `netkit ifaces`: ss/ip-style tables, JSON, the live rates view."""

import dataclasses
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from rich.table import Table
from rich.text import Text

from netkit.render.output import emit_json, emit_json_array, emit_json_line, emit_message
from netkit.render.rows import Column, Styled, row_stream
from netkit.render.tables import data, records_table, show, stacked, stdout_console
from netkit.sysinfo.connection import Connection
from netkit.sysinfo.conns import ConnectionListing
from netkit.sysinfo.ifaces import Interface, InterfaceRates
from netkit.sysinfo.socket_facts import SocketMemory, TcpInfo, Timer

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KiB': IEC units, as `ip -h -s link` prints them."""
    value = float(count)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def note(message: str) -> None:
    """A one-line remark on stderr that does not change the exit status."""
    emit_message("note", message)


# ---------------------------------------------------------------------------------------------
# conns


_STATE_STYLES = {"LISTEN": "green", "ESTABLISHED": "cyan"}


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
    style = _STATE_STYLES.get(c.state or "")
    row: list[object] = [
        c.proto if c.family != "IPv6" else f"{c.proto}6",
        Styled(c.state, style) if style else c.state,
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
        row.append(None if c.info is None else tcp_info_text(c.info))
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
        with row_stream(_connection_columns(shown)) as add:
            for c in listing.connections:
                add(_connection_row(c, shown))
    if listing.note is not None:
        note(listing.note)


_SCALAR_FIELDS = tuple(
    f.name for f in dataclasses.fields(Connection) if f.name not in ("timer", "info", "memory")
)


def connection_json(c: Connection) -> dict[str, object]:
    """One socket as JSON: the same as dataclasses.asdict, several times faster."""
    record: dict[str, object] = {name: getattr(c, name) for name in _SCALAR_FIELDS}
    for name in ("timer", "info", "memory"):
        value = getattr(c, name)
        record[name] = None if value is None else _flat_json(value)
    return record


def _flat_json(value: object) -> dict[str, object]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # type: ignore[arg-type]  # a dataclass


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


def rate_text(bps: float) -> str:
    """ss's sprint_bw: 1.2Gbps, 840Mbps, 12Kbps."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if bps > limit:
            return f"{bps / limit:.1f}{suffix}bps"
    return f"{bps:g}bps"


def tcp_info_text(i: TcpInfo) -> str:
    """The line ss -i prints under a connection, with the same names, order and units."""
    parts = [i.congestion or "", f"wscale:{i.snd_wscale},{i.rcv_wscale}", f"rto:{i.rto_ms:g}"]
    if i.backoff:
        parts.append(f"backoff:{i.backoff}")
    if i.rtt_ms:
        parts.append(f"rtt:{i.rtt_ms:g}/{i.rttvar_ms:g}")
    if i.ato_ms:
        parts.append(f"ato:{i.ato_ms:g}")
    parts += [f"{name}:{value}" for name, value in (
        ("mss", i.mss), ("pmtu", i.pmtu), ("rcvmss", i.rcvmss), ("advmss", i.advmss),
        ("cwnd", i.cwnd), ("ssthresh", i.ssthresh), ("bytes_sent", i.bytes_sent),
        ("bytes_retrans", i.bytes_retrans), ("bytes_acked", i.bytes_acked),
        ("bytes_received", i.bytes_received), ("segs_out", i.segs_out), ("segs_in", i.segs_in),
        ("data_segs_out", i.data_segs_out), ("data_segs_in", i.data_segs_in),
    ) if value]  # fmt: skip
    if i.send_bps:
        parts.append(f"send {rate_text(i.send_bps)}")
    parts += [f"{name}:{value}" for name, value in (
        ("lastsnd", i.last_send_ms), ("lastrcv", i.last_recv_ms), ("lastack", i.last_ack_ms),
    ) if value]  # fmt: skip
    if i.pacing_rate_bps:
        parts.append(f"pacing_rate {rate_text(i.pacing_rate_bps)}")
    if i.delivery_rate_bps:
        parts.append(f"delivery_rate {rate_text(i.delivery_rate_bps)}")
    if i.delivered:
        parts.append(f"delivered:{i.delivered}")
    if i.app_limited:
        parts.append("app_limited")
    if i.busy_ms:
        parts.append(f"busy:{i.busy_ms}ms")
    if i.unacked:
        parts.append(f"unacked:{i.unacked}")
    if i.retrans or i.retrans_total:
        parts.append(f"retrans:{i.retrans}/{i.retrans_total}")
    parts += [f"{name}:{value}" for name, value in (
        ("lost", i.lost), ("sacked", i.sacked), ("reordering", i.reordering if i.reordering != 3
                                                   else 0),
    ) if value]  # fmt: skip
    if i.rcv_rtt_ms:
        parts.append(f"rcv_rtt:{i.rcv_rtt_ms:g}")
    parts += [f"{name}:{value}" for name, value in (
        ("rcv_space", i.rcv_space), ("rcv_ssthresh", i.rcv_ssthresh), ("notsent", i.notsent),
    ) if value]  # fmt: skip
    if i.min_rtt_ms:
        parts.append(f"minrtt:{i.min_rtt_ms:g}")
    if i.snd_wnd:
        parts.append(f"snd_wnd:{i.snd_wnd}")
    if i.rcv_wnd:
        parts.append(f"rcv_wnd:{i.rcv_wnd}")
    return " ".join(p for p in parts if p)


# ---------------------------------------------------------------------------------------------
# ifaces


def _link_state(up: bool) -> Text:
    return data("UP", style="green") if up else data("DOWN", style="red")


def _counter_lines(bytes_: int, packets: int, errors: int, drops: int) -> Text:
    lines = [human_bytes(bytes_), f"{packets} pkts"]
    if errors or drops:
        lines.append(f"{errors} errors, {drops} dropped")
    return stacked(lines)


def _keep_whole(table: Table, *names: str) -> Table:
    """Columns whose values must not be folded mid-word (a MAC, an address, a rate)."""
    for column in table.columns:
        if column.header in names:
            column.no_wrap = True
    return table


def render_interfaces(interfaces: Sequence[Interface], *, as_json: bool) -> None:
    if as_json:
        emit_json(list(interfaces))
        return
    with_speed = any(i.speed_mbps is not None for i in interfaces)  # none on virtual hosts
    rows = []
    for i in interfaces:
        c = i.counters
        row: list[object] = [i.name, _link_state(i.up), i.mtu]
        if with_speed:
            row.append(None if i.speed_mbps is None else f"{i.speed_mbps} Mb/s")
        row += [
            i.mac,
            stacked(a.cidr for a in i.addresses) if i.addresses else None,
            c and _counter_lines(c.bytes_recv, c.packets_recv, c.errors_in, c.drops_in),
            c and _counter_lines(c.bytes_sent, c.packets_sent, c.errors_out, c.drops_out),
        ]
        rows.append(row)
    columns = ["name", "state", "mtu", *(["speed"] if with_speed else []), "mac", "addresses",
               "rx", "tx"]  # fmt: skip
    show(_keep_whole(records_table(columns, rows), "name", "mac", "addresses"))


def _rates_table(rates: Sequence[InterfaceRates], interval: float) -> Table:
    rows = [
        (
            r.name,
            _link_state(r.up),
            f"{human_bytes(r.rx_bytes_per_s)}/s",
            f"{human_bytes(r.tx_bytes_per_s)}/s",
            f"{r.rx_packets_per_s:.0f}",
            f"{r.tx_packets_per_s:.0f}",
            data(f"{r.errors_per_s:.0f}", style="red") if r.errors_per_s else "0",
            data(f"{r.drops_per_s:.0f}", style="yellow") if r.drops_per_s else "0",
        )
        for r in rates
    ]
    columns = ("name", "state", "rx/s", "tx/s", "rx pps", "tx pps", "err/s", "drop/s")
    title = f"every {interval:g} s ({time.strftime('%H:%M:%S')}); Ctrl-C stops"
    return _keep_whole(records_table(columns, rows, title=title), *columns)


class RatesDisplay(Protocol):
    def __call__(self, rates: Sequence[InterfaceRates]) -> None: ...


@contextmanager
def rates_display(*, as_json: bool, interval: float) -> Iterator[RatesDisplay]:
    """Where `ifaces --watch` sends each round of rates: a live table on a terminal, one table
    per round when piped, or JSON Lines (one object per interface and round) with --json."""
    if as_json:

        def json_lines(rates: Sequence[InterfaceRates]) -> None:
            now = round(time.time(), 3)
            for r in rates:
                emit_json_line({"time": now, "interval": interval, **_asdict(r)})

        yield json_lines
        return
    console = stdout_console()
    if not console.is_terminal:

        def tables(rates: Sequence[InterfaceRates]) -> None:
            show(_rates_table(rates, interval))
            sys.stdout.flush()

        yield tables
        return
    from rich.live import Live

    with Live(console=console, auto_refresh=False) as live:

        def live_table(rates: Sequence[InterfaceRates]) -> None:
            live.update(_rates_table(rates, interval), refresh=True)

        yield live_table


def _asdict(rates: InterfaceRates) -> dict[str, object]:
    import dataclasses

    return dataclasses.asdict(rates)
