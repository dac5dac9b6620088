"""Output for `netkit resolve --compare`: a row per question, a column per server.

A cell holds one server's answers (sorted: the order of records makes no difference), its status
when that is not NOERROR, and its round-trip time. A cell whose answer is not the majority's is
marked with a leading '*' (readable in a pipe too) and shown in red on a terminal. Every value
is data: row_stream shows it through visible().
"""

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from netkit.render.output import emit_json_array, json_line
from netkit.render.rows import Column, Styled, row_stream

if TYPE_CHECKING:
    from netkit.render.resolve import BatchForm
    from netkit.resolve.compare import Comparison, ServerAnswer

DIFFERS_MARK = "* "


def answer_text(answer: "ServerAnswer", qtype: str, *, ttl: bool) -> str:
    """One server's answer in one line: 'data, data' (records of another type than the one
    asked, such as a CNAME on the way, name their type), the status, the time, and the EDNS
    options of the reply."""
    if answer.rcode is None:
        return f"FAILED: {answer.error or 'no reply'}"
    records = sorted(answer.answers, key=lambda r: (r.type != "CNAME", r.type, r.data, r.name))
    parts = []
    for record in records:
        text = record.data if record.type == qtype else f"{record.type} {record.data}"
        parts.append(f"{record.ttl} {text}" if ttl else text)
    shown = ", ".join(parts)
    if answer.status != "NOERROR":
        shown = f"{shown} {answer.status}" if shown else answer.status
    if answer.rtt_ms is not None:
        shown += f" ({answer.rtt_ms:.1f} ms)"
    for option in answer.edns_options:  # what --nsid (or --ednsopt) brought back, as dig shows it
        shown += f" [{option.name}: {option.text or option.hex}]"
    return shown


def _row(comparison: "Comparison", *, ttl: bool) -> list[object]:
    qname = comparison.qname
    if not comparison.name.isascii():  # an IDN in both forms, as --dns shows it
        qname = f"{comparison.name.rstrip('.')}. ({qname})"
    cells: list[object] = [qname, comparison.type]
    for answer in comparison.servers:
        text = answer_text(answer, comparison.type, ttl=ttl)
        cells.append(text if answer.majority else Styled(DIFFERS_MARK + text, "bold red"))
    cells.append(Styled("yes", "green") if comparison.agree else Styled("NO", "bold red"))
    return cells


def stream_compare(
    comparisons: Iterable["Comparison"],
    servers: Sequence[str],
    form: "BatchForm",
    *,
    ttl: bool = False,
) -> None:
    """The comparisons as they come: a table (a column per server, named as in servers), or a
    JSON array, or JSON Lines."""
    if form == "json":
        emit_json_array(comparisons)
        return
    if form == "jsonl":
        write = sys.stdout.write
        for comparison in comparisons:
            write(json_line(comparison) + "\n")
        return
    columns = [Column("name"), Column("type"), *(Column(s) for s in servers), Column("agree")]
    with row_stream(columns, title="the same questions, asked of each server") as add:
        for comparison in comparisons:
            add(_row(comparison, ttl=ttl))
