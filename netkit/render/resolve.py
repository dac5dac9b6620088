"""Output for `netkit resolve`: hostent blocks, addrinfo tables, dig-style replies, batch tables."""

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeVar

from netkit.render.dns_json import dns_json_line
from netkit.render.escape import visible
from netkit.render.output import (
    Line,
    Styled,
    emit_details,
    emit_json,
    emit_json_array,
    emit_lines,
    emit_message,
    json_line,
)
from netkit.render.rows import Column, row_stream
from netkit.render.rows import Styled as Painted

if TYPE_CHECKING:  # the resolve cores load lazily; these names are for the type checker
    from netkit.resolve.edns import EdnsOption
    from netkit.resolve.query import DnsResult
    from netkit.resolve.system import LegacyResult, ModernResult
    from netkit.resolve.tally import Tally
    from netkit.resolve.wire import Record

Result = TypeVar("Result")
SystemResult = TypeVar("SystemResult", "LegacyResult", "ModernResult")

# How a batch's results are written: a table, +short answers, one JSON array, or JSON Lines.
BatchForm = Literal["table", "short", "json", "jsonl"]

LEGACY_NOTE = (
    "note: gethostbyname() is IPv4-only and obsolete (removed in POSIX.1-2008); "
    "--modern uses getaddrinfo()"
)


def _names(name: str, ascii_name: str) -> str:
    """'bücher.example (xn--bcher-kva.example)' for an IDN; the name alone otherwise."""
    return name if name == ascii_name else f"{name} ({ascii_name})"


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], title: str | None
) -> None:
    """Rows as they come: rich's box on a terminal, plain columns in a pipe (render/rows.py)."""
    with row_stream(columns, title=title) as add:
        for row in rows:
            add(row)


@contextmanager
def batch_progress(total: int | None, tally: "Tally") -> Iterator[Callable[[], None] | None]:
    """A progress display on stderr while a batch runs on a terminal; None (none) otherwise.

    It shows what tally has counted: done of total (when the input's length is known),
    answered, failed, queries a second and the time left. The returned function refreshes it.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from netkit.render.tables import stderr_console
    from netkit.threads import stop_signals_held

    of_total = " of {task.total:,.0f}" if total is not None else ""
    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.completed:,.0f}" + of_total, markup=False),
        TextColumn("{task.fields[answered]:,} answered", markup=False, style="green"),
        TextColumn("{task.fields[failed]:,} failed", markup=False, style="red"),
        TextColumn("{task.fields[rate]:,.0f} q/s", markup=False),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=True,
        # Results stream to stdout meanwhile: rich must not take them into its own display
        # (the data would go to the terminal on stderr).
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with stop_signals_held():  # rich's refresh thread starts here; Ctrl-C is the main thread's
        progress.start()
    with progress:  # entering a started display only makes sure it is stopped at the end
        task = progress.add_task("resolving", total=total, answered=0, failed=0, rate=0.0)

        def refresh() -> None:
            progress.update(
                task,
                completed=tally.queries,
                answered=tally.answered,
                failed=tally.queries - tally.answered,
                rate=tally.rate(),
            )

        yield refresh


def render_summary(tally: "Tally", noun: str = "queries") -> None:
    """The batch's one line on stderr: how many, how fast, and what failed how."""
    failed = tally.queries - tally.answered
    kinds = [
        f"{count:,} {what}"
        for count, what in (
            (tally.nxdomain, "NXDOMAIN"),
            (tally.servfail, "SERVFAIL"),
            (tally.timeouts, "timed out"),
            (tally.other, "other"),
        )
        if count
    ]
    per_second = "q/s" if noun == "queries" else f"{noun}/s"
    line = (
        f"{tally.queries:,} {noun} in {tally.elapsed():.2f} s, {tally.rate():,.0f} {per_second}: "
        f"{tally.answered:,} answered, {failed:,} failed"
    )
    if kinds:
        line += f" ({', '.join(kinds)})"
    if tally.interrupted:
        line += ", interrupted"
    emit_message("summary", line)


# -- legacy: gethostbyname ----------------------------------------------------------------------


def render_legacy(results: Sequence["LegacyResult"], *, as_json: bool, short: bool) -> None:
    """One lookup: its detail block (or JSON, or the +short lines)."""
    if as_json:
        emit_json(results)
    elif short:
        emit_lines([line for r in results for line in _legacy_short(r)])
    else:
        emit_lines([[Styled(LEGACY_NOTE, dim=True)]], stream=sys.stderr)
        result = results[0]
        rows: list[tuple[str, object]] = []
        # The name asked, when it differs; for a reverse lookup it is the address (the IP row).
        if result.name != result.canonical and result.ascii_name not in result.addresses:
            rows.append(("name", _names(result.name, result.ascii_name)))
        rows += [("alias", alias) for alias in result.aliases]
        rows += [("IP", address) for address in result.addresses]
        emit_details(f"Host: {result.canonical}", rows)


def stream_legacy(results: Iterable["LegacyResult"], form: BatchForm) -> None:
    """A batch of lookups, each written as it comes."""
    _stream_system(results, form, _legacy_short, _legacy_table)


def _legacy_table(results: Iterable["LegacyResult"]) -> None:
    emit_lines([[Styled(LEGACY_NOTE, dim=True)]], stream=sys.stderr)
    print_table(
        ("name", "canonical", "aliases", "addresses", "error"),
        (
            (
                _names(r.name, r.ascii_name),
                r.canonical,
                " ".join(r.aliases) or None,
                " ".join(r.addresses) or None,
                r.error,
            )
            for r in results
        ),
        title="gethostbyname_ex() / gethostbyaddr()",
    )


def _stream_system(
    results: Iterable[SystemResult],
    form: BatchForm,
    short_lines: Callable[[SystemResult], list[str]],
    table: Callable[[Iterable[SystemResult]], None],
) -> None:
    """A batch of --legacy or --modern lookups in one of the four forms, each as it comes."""
    if form == "json":
        emit_json_array(results)
    elif form == "jsonl":
        _json_lines(results)
    elif form == "short":
        for result in results:
            _short_error(result.error)
            _write_lines(short_lines(result))
    else:
        table(results)


def _legacy_short(result: "LegacyResult") -> list[str]:
    """The addresses, or for a reverse lookup (the name asked is an address) the host name."""
    if result.error is not None:
        return []
    if result.ascii_name in result.addresses:
        return [str(result.canonical)]
    return list(result.addresses)


def _write_lines(lines: Iterable[str]) -> None:
    """Text lines from outside (answers, names), each shown through visible()."""
    for line in lines:
        sys.stdout.write(visible(line) + "\n")


def _short_error(error: str | None) -> None:
    """+short output has no room for a failure: name it on stderr as it comes."""
    if error is not None:
        emit_message("error", error)


def _json_lines(results: Iterable[Result], line: Callable[[Result], str] = json_line) -> None:
    """JSON Lines: one compact object a line, the fields of --json (written by line)."""
    write = sys.stdout.write
    for result in results:
        write(line(result) + "\n")


# -- modern: getaddrinfo ------------------------------------------------------------------------

_ADDRINFO_COLUMNS = ("family", "socktype", "protocol", "address", "port", "flowinfo", "scope id")


def render_modern(results: Sequence["ModernResult"], *, as_json: bool, short: bool) -> None:
    """One lookup: its addrinfo table or getnameinfo block (or JSON, or the +short lines)."""
    if as_json:
        emit_json(results)
        return
    if short:
        for r in results:
            _write_lines(_modern_short(r))
        return
    result = results[0]
    if not result.results:  # getnameinfo
        rows: list[tuple[str, object]] = [("address", result.name)]
        if result.service is not None:
            rows.append(("service", result.service))
        emit_details(f"Host: {result.canonical}", rows)
        return
    title = f"getaddrinfo({_names(result.name, result.ascii_name)})"
    title += f": canonical name {result.canonical}" if result.canonical else ""
    # The title says the canonical name: written in a pipe too, where a table has no title.
    emit_lines([title])
    print_table(
        _ADDRINFO_COLUMNS,
        [
            (i.family, i.socktype, i.protocol, i.address, i.port, i.flowinfo, i.scope_id)
            for i in result.results
        ],
        title=None,
    )


def _modern_short(result: "ModernResult") -> list[str]:
    if result.error is None and not result.results:
        return [str(result.canonical)]
    return list(dict.fromkeys(info.address for info in result.results))


def stream_modern(results: Iterable["ModernResult"], form: BatchForm) -> None:
    """A batch of lookups, each written as it comes."""
    _stream_system(results, form, _modern_short, _modern_table)


def _modern_table(results: Iterable["ModernResult"]) -> None:
    columns = ("name", "canonical", "family", "socktype", "protocol", "address", "port")
    print_table((*columns, "error"), _modern_rows(results), title="getaddrinfo() / getnameinfo()")


def _modern_rows(results: Iterable["ModernResult"]) -> Iterator[tuple[object, ...]]:
    for r in results:
        name = _names(r.name, r.ascii_name)
        if r.error is not None or not r.results:
            yield (name, r.canonical, None, None, None, None, None, r.error)
        for i in r.results:
            yield (name, r.canonical, i.family, i.socktype, i.protocol, i.address, i.port, None)


# -- --dns: dig-style ---------------------------------------------------------------------------


def render_dns(results: Sequence["DnsResult"], *, as_json: bool, short: bool) -> None:
    """One query: its reply the way dig prints it (or JSON, or the +short lines)."""
    if as_json:
        emit_json(results)
    elif short:
        _write_lines(record.data for r in results for record in r.answers)
    else:
        emit_lines(dig_lines(results[0]))


def stream_dns(results: Iterable["DnsResult"], form: BatchForm) -> None:
    """A batch of queries, each written as soon as its turn comes. +short has no room for a
    failure: it is named on stderr as it comes."""
    if form == "json":
        emit_json_array(results, line=dns_json_line)
    elif form == "jsonl":
        _json_lines(results, dns_json_line)
    elif form == "short":
        write = sys.stdout.write
        for result in results:
            _short_error(result.error)
            for record in result.answers:
                write(visible(record.data) + "\n")
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
                *_option_lines(edns.options),
            ]
    question = f";{result.qname}  {result.rdclass}  {result.type}"
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


def _option_lines(options: Sequence["EdnsOption"]) -> list[Line]:
    """A line an EDNS option, as dig writes them: '; NSID: 6e 73 31 ("ns1")', '; EDE: 18
    (Prohibited): (text)'; the hex of an option netkit does not decode."""
    return [f"; {option.name}: {option.text or option.hex}" for option in options]


def _query_name(result: "DnsResult") -> str:
    """The name asked, in both forms for an IDN: 'bücher.example. (xn--bcher-kva.example.)'."""
    if result.unicode_name is None:
        return result.qname
    return f"{result.unicode_name} ({result.qname})"


_DNS_COLUMNS = (
    Column("name"),
    Column("type"),
    Column("ttl", justify="right"),
    Column("data"),
    Column("status"),
)


def _dns_table(results: Iterable["DnsResult"]) -> None:
    """A row an answer (or a row for a failure or a referral), as the results come; the
    batch's counts are the summary line's, on stderr, once they are known."""
    with row_stream(_DNS_COLUMNS) as add:
        for row in _dns_rows(results):
            add(row)


DnsRow = tuple[str, str, int | None, str | None, Painted]


def _dns_rows(results: Iterable["DnsResult"]) -> Iterator[DnsRow]:
    from netkit.resolve.query import dns_status

    answered: dict[str, Painted] = {}  # each status painted once: a batch has a few
    for r in results:
        status = dns_status(r)
        if r.error is not None:
            # The name and server are known from elsewhere: keep the reason.
            reason = r.error.removeprefix(f"{r.qname}: ").removeprefix(f"{r.qname} {r.type}: ")
            reason = reason.removesuffix(f" from {r.server}#{r.port}")
            yield (_query_name(r), r.type, None, reason, Painted(status, "red"))
            continue
        painted = answered.get(status)
        if painted is None:
            painted = answered[status] = Painted(status, "green")
        shown = _query_name(r)
        for record in r.answers:
            name = shown if record.name == r.qname else record.name
            yield (name, record.type, record.ttl, record.data, painted)
        if not r.answers:  # a referral
            yield (r.qname, r.type, None, None, painted)


# -- --dns batches in worker processes (resolve/split.py) ---------------------------------------


class WrittenChunk(NamedTuple):
    """A chunk of a batch's results written by a worker process, for the command to put out
    in input order: the text of --short, --jsonl or --json (its objects, one a line, joined by
    ",\n"), --short's failures for stderr, or the table's rows (the command lays them out)."""

    text: str
    errors: list[str]
    rows: list[DnsRow]


def dns_chunk(results: Iterable["DnsResult"], form: BatchForm) -> WrittenChunk:
    """What stream_dns would write for results, as a chunk (see stream_dns_chunks)."""
    if form == "table":
        return WrittenChunk("", [], list(_dns_rows(results)))
    if form in ("json", "jsonl"):
        lines = [dns_json_line(result) for result in results]
        return WrittenChunk(",\n".join(lines) if form == "json" else _lines(lines), [], [])
    out: list[str] = []
    errors: list[str] = []
    for result in results:
        if result.error is not None:
            errors.append(result.error)
        out += [visible(record.data) for record in result.answers]
    return WrittenChunk(_lines(out), errors, [])


def _lines(lines: list[str]) -> str:
    """The lines, each ended by a newline; joined with an empty last one, not added to after:
    a chunk's text is a megabyte or two, and "+" would copy it whole once more."""
    if not lines:
        return ""
    lines.append("")
    return "\n".join(lines)


def stream_dns_chunks(chunks: Iterable[WrittenChunk], form: BatchForm) -> None:
    """Chunks written by dns_chunk, in order: the output of stream_dns for their results (a
    chunk's --short failures go to stderr before its answers)."""
    write = sys.stdout.write
    if form == "table":
        # A chunk's rows are all at hand: its lines go out in blocks.
        with row_stream(_DNS_COLUMNS, at_hand=True) as add:
            for chunk in chunks:
                for row in chunk.rows:
                    add(row)
    elif form == "json":  # a chunk's text is its objects, one a line: the array's items
        emit_json_array((chunk.text for chunk in chunks if chunk.text), line=str)
    else:
        for chunk in chunks:
            for error in chunk.errors:
                emit_message("error", error)
            write(chunk.text)
