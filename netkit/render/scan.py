"""`netkit scan` output: a table that streams in port order, or one JSON list.

Banners and certificate subjects come from the scanned services: data, shown escaped."""

import sys
from collections.abc import Iterable

from netkit.render.output import emit_json
from netkit.render.rows import Column, Styled, row_stream
from netkit.scan.engine import PortResult

_STATE_STYLES = {"open": "bold green", "closed": "dim", "filtered": "yellow", "error": "red"}


def _columns(many_hosts: bool, banner: bool, tls: bool) -> list[Column]:
    columns = [Column("Host")] if many_hosts else []
    columns += [
        Column("Port", justify="right"),
        Column("State"),
        Column("Service"),
        Column("Time ms", justify="right"),
    ]
    if banner:
        columns.append(Column("Banner"))
    if tls:
        columns += [Column("Certificate"), Column("Expires"), Column("Days", justify="right")]
    columns.append(Column("Error"))
    return columns


def _row(result: PortResult, many_hosts: bool, banner: bool, tls: bool) -> list[object]:
    row: list[object] = [result.address] if many_hosts else []
    row += [
        result.port,
        Styled(result.state, _STATE_STYLES[result.state]),
        result.service,
        f"{result.time_ms:.1f}",
    ]
    if banner:
        row.append(None if result.banner is None else result.banner.rstrip("\r\n"))
    if tls:
        row += [result.tls_subject, result.tls_not_after, result.tls_days_left]
    row.append(result.error or result.tls_error)
    return row


def render_scan(  # noqa: PLR0913  # the scan's display switches, keyword-only
    results: Iterable[PortResult],
    *,
    as_json: bool,
    only_open: bool,
    many_hosts: bool,
    banner: bool,
    tls: bool,
    title: str,
) -> bool:
    """Write the results (streaming the table); return whether any port was open."""
    any_open = False
    if as_json:
        collected = []
        for result in results:
            any_open = any_open or result.state == "open"
            if result.state == "open" or not only_open:
                collected.append(result)
        emit_json(collected)
        return any_open
    with row_stream(_columns(many_hosts, banner, tls), title=title, stream=sys.stdout) as add:
        for result in results:
            any_open = any_open or result.state == "open"
            if result.state == "open" or not only_open:
                add(_row(result, many_hosts, banner, tls))
    return any_open
