"""Output for `netkit resolve`: hostent blocks, addrinfo tables, dig-style replies, batch tables."""

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from netkit.render.escape import json_safe, visible
from netkit.render.output import (
    Line,
    Styled,
    emit_details,
    emit_json,
    emit_lines,
)

if TYPE_CHECKING:  # the resolve cores load lazily; these names are for the type checker
    from netkit.resolve.query import DnsResult
    from netkit.resolve.system import LegacyResult, ModernResult
    from netkit.resolve.wire import Record

# rich lays out ~3,000 rows a second: beyond this many rows a batch prints as plain columns.
RICH_TABLE_ROWS = 300
PROGRESS_MIN = 200  # a progress bar for batches at least this long, on a terminal

LEGACY_NOTE = (
    "note: gethostbyname() is IPv4-only and obsolete (removed in POSIX.1-2008); "
    "--modern uses getaddrinfo()"
)


def _names(name: str, ascii_name: str) -> str:
    """'bücher.example (xn--bcher-kva.example)' for an IDN; the name alone otherwise."""
    return name if name == ascii_name else f"{name} ({ascii_name})"


def print_table(columns: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> None:
    """A rich table for a screenful; plain aligned columns for thousands of rows."""
    if len(rows) <= RICH_TABLE_ROWS:
        from netkit.render.tables import records_table, show

        show(records_table(columns, rows, title=title))
        return
    cells = [[("-" if value is None else visible(str(value))) for value in row] for row in rows]
    widths = [len(name) for name in columns]
    for row in cells:
        for position, value in enumerate(row):
            widths[position] = max(widths[position], _width(value))
    last = len(columns) - 1
    header = "  ".join(name.upper().ljust(widths[i]) for i, name in enumerate(columns)).rstrip()
    out: list[Line] = [title, [Styled(header, bold=True, fg="cyan")]]
    out.extend(
        "  ".join(
            value if i == last else value + " " * (widths[i] - _width(value))
            for i, value in enumerate(row)
        )
        for row in cells
    )
    emit_lines(out)


def _width(text: str) -> int:
    """Terminal cells: an IDN in CJK takes two a character."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


@contextmanager
def batch_progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a long batch on a terminal; None (no bar) otherwise."""
    if total < PROGRESS_MIN or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from netkit.render.tables import stderr_console

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%", markup=False, style="progress.percentage"),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=True,
    ) as progress:
        task = progress.add_task(visible(label), total=total)
        yield lambda done: progress.update(task, completed=done)


# -- legacy: gethostbyname ----------------------------------------------------------------------


def render_legacy(results: Sequence["LegacyResult"], *, as_json: bool, short: bool) -> None:
    if as_json:
        emit_json(results)
        return
    if short:
        emit_lines([line for r in results for line in _legacy_short(r)])
        return
    emit_lines([[Styled(LEGACY_NOTE, dim=True)]], stream=sys.stderr)
    if len(results) == 1 and results[0].error is None:
        result = results[0]
        rows: list[tuple[str, object]] = []
        # The name asked, when it differs; for a reverse lookup it is the address (the IP row).
        if result.name != result.canonical and result.ascii_name not in result.addresses:
            rows.append(("name", _names(result.name, result.ascii_name)))
        rows += [("alias", alias) for alias in result.aliases]
        rows += [("IP", address) for address in result.addresses]
        emit_details(f"Host: {result.canonical}", rows)
        return
    print_table(
        ("name", "canonical", "aliases", "addresses", "error"),
        [
            (
                _names(r.name, r.ascii_name),
                r.canonical,
                " ".join(r.aliases) or None,
                " ".join(r.addresses) or None,
                r.error,
            )
            for r in results
        ],
        title="gethostbyname_ex() / gethostbyaddr()",
    )


def _legacy_short(result: "LegacyResult") -> list[str]:
    """The addresses, or for a reverse lookup (the name asked is an address) the host name."""
    if result.error is not None:
        return []
    if result.ascii_name in result.addresses:
        return [str(result.canonical)]
    return list(result.addresses)


# -- modern: getaddrinfo ------------------------------------------------------------------------

_ADDRINFO_COLUMNS = ("family", "socktype", "protocol", "address", "port", "flowinfo", "scope id")


def render_modern(results: Sequence["ModernResult"], *, as_json: bool, short: bool) -> None:
    if as_json:
        emit_json(results)
        return
    if short:
        lines: list[str] = []
        for r in results:
            if r.error is None and not r.results:
                lines.append(str(r.canonical))
            lines += list(dict.fromkeys(info.address for info in r.results))
        emit_lines(lines)
        return
    if len(results) == 1 and results[0].error is None:
        result = results[0]
        if not result.results:  # getnameinfo
            rows: list[tuple[str, object]] = [("address", result.name)]
            if result.service is not None:
                rows.append(("service", result.service))
            emit_details(f"Host: {result.canonical}", rows)
            return
        title = f"getaddrinfo({_names(result.name, result.ascii_name)})"
        title += f": canonical name {result.canonical}" if result.canonical else ""
        print_table(
            _ADDRINFO_COLUMNS,
            [
                (i.family, i.socktype, i.protocol, i.address, i.port, i.flowinfo, i.scope_id)
                for i in result.results
            ],
            title=title,
        )
        return
    table_rows: list[tuple[object, ...]] = []
    for r in results:
        name = _names(r.name, r.ascii_name)
        if r.error is not None or not r.results:
            table_rows.append((name, r.canonical, None, None, None, None, None, r.error))
        for i in r.results:
            table_rows.append(
                (name, r.canonical, i.family, i.socktype, i.protocol, i.address, i.port, None)
            )
    columns = ("name", "canonical", "family", "socktype", "protocol", "address", "port", "error")
    print_table(columns, table_rows, title="getaddrinfo() / getnameinfo()")


# -- --dns: dig-style ---------------------------------------------------------------------------


def _dns_json_lines(results: Sequence["DnsResult"]) -> None:
    """A big batch as one JSON array with an object a line: valid JSON, grep-able, and written
    by json's C encoder (indent= falls back to the pure-Python one, ~5x slower)."""
    import dataclasses
    import json

    def plain(value: object) -> object:
        if isinstance(value, list):
            return [plain(item) for item in value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return value

    names = [f.name for f in dataclasses.fields(results[0])]
    objects = [{name: plain(getattr(r, name)) for name in names} for r in results]
    encode = json.JSONEncoder(ensure_ascii=False).encode
    sys.stdout.write(json_safe("[\n" + ",\n".join(encode(value) for value in objects) + "\n]\n"))


def render_dns(results: Sequence["DnsResult"], *, as_json: bool, short: bool) -> None:
    if as_json and len(results) > RICH_TABLE_ROWS:
        _dns_json_lines(results)
    elif as_json:
        emit_json(results)
    elif short:
        emit_lines([record.data for r in results for record in r.answers])
    elif len(results) == 1:
        emit_lines(dig_lines(results[0]))
    else:
        _dns_table(results)


def _record_lines(records: Sequence["Record"]) -> list[str]:
    if not records:
        return []
    name_width = max(len(r.name) for r in records)
    ttl_width = max(len(str(r.ttl)) for r in records)
    type_width = max(len(r.type) for r in records)
    return [
        f"{r.name:<{name_width}}  {r.ttl:>{ttl_width}}  {r.rdclass}  {r.type:<{type_width}}  "
        + r.data
        for r in records
    ]


def dig_lines(result: "DnsResult") -> list[Line]:
    """One reply the way dig prints it: header, flags, EDNS, sections, server and time."""
    from netkit.resolve.query import dns_status

    def heading(text: str) -> Line:
        return [Styled(text, fg="cyan")]

    lines: list[Line] = []
    if result.rcode is not None:
        status = dns_status(result)
        colour = "green" if result.error is None else "red"
        header: list[str | Styled] = [
            ";; ->>HEADER<<- opcode: QUERY, status: ",
            Styled(result.rcode, fg=colour, bold=True),
            f", id: {result.id}",
        ]
        if status != result.rcode:
            header += ["  (", Styled(status, fg="red"), ")"]
        lines.append(header)
        counts = (
            f"QUERY: 1, ANSWER: {len(result.answers)}, AUTHORITY: {len(result.authority)}, "
            f"ADDITIONAL: {len(result.additional) + (1 if result.edns else 0)}"
        )
        lines.append(f";; flags: {' '.join(result.flags)}; {counts}")
        if result.edns is not None:
            edns = result.edns
            lines += [
                "",
                heading(";; OPT PSEUDOSECTION:"),
                f"; EDNS: version: {edns.version}, flags:{' do' if edns.dnssec_ok else ''}; "
                f"udp: {edns.udp_size}",
            ]
    question = f";{result.qname}  IN  {result.type}"
    lines += ["", heading(";; QUESTION SECTION:"), question]
    if result.unicode_name is not None:
        lines.append(f"; (IDN: {result.unicode_name})")
    for title, records in (
        ("ANSWER", result.answers),
        ("AUTHORITY", result.authority),
        ("ADDITIONAL", result.additional),
    ):
        if records:
            lines += ["", heading(f";; {title} SECTION:"), *_record_lines(records)]
    lines.append("")
    if result.query_time_ms is not None:
        lines.append(f";; Query time: {result.query_time_ms:.1f} msec")
    if result.transport == "https":
        lines.append(f";; SERVER: {result.server} (HTTPS)")
    else:
        where = f"{result.server}#{result.port}({result.server})"
        lines.append(f";; SERVER: {where} ({result.transport.upper()})")
    if result.size is not None:
        lines.append(f";; MSG SIZE  rcvd: {result.size}")
    return lines


def _query_name(result: "DnsResult") -> str:
    """The name asked, in both forms for an IDN: 'bücher.example. (xn--bcher-kva.example.)'."""
    if result.unicode_name is None:
        return result.qname
    return f"{result.unicode_name} ({result.qname})"


def _dns_table(results: Sequence["DnsResult"]) -> None:
    from netkit.resolve.query import dns_status

    rows: list[tuple[object, ...]] = []
    for r in results:
        status = dns_status(r)
        if r.error is not None:
            # The name and server have their own columns and title: keep the reason.
            reason = r.error.removeprefix(f"{r.qname}: ").removeprefix(f"{r.qname} {r.type}: ")
            reason = reason.removesuffix(f" from {r.server}#{r.port}")
            rows.append((_query_name(r), r.type, None, reason, status))
            continue
        for record in r.answers:
            name = _query_name(r) if record.name == r.qname else record.name
            rows.append((name, record.type, record.ttl, record.data, status))
        if not r.answers:  # a referral
            rows.append((r.qname, r.type, None, None, status))
    failed = sum(1 for r in results if r.error is not None)
    servers = sorted({f"{r.server}#{r.port}" for r in results if r.server})
    transports = sorted({r.transport.upper() for r in results})
    title = (
        f"{len(results)} queries to {', '.join(servers)} over {'/'.join(transports)}: "
        f"{len(results) - failed} answered, {failed} failed"
    )
    print_table(("name", "type", "ttl", "data", "status"), rows, title=title)
