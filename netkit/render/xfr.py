"""Output for zone transfers (`netkit resolve ZONE -t AXFR`): records as they arrive.

Every form streams: dig's zone-file lines, +short rdata lines, one JSON document whose
records array is written record by record, or JSON Lines. Whatever stops the transfer, what
is out stays out and a JSON document is closed.
"""

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from netkit.render.escape import visible
from netkit.render.output import emit_message, json_line, json_text, to_jsonable

if TYPE_CHECKING:
    from netkit.resolve.wire import Record
    from netkit.resolve.xfr import XfrSummary


def stream_transfer(
    messages: Iterable[list["Record"]],
    form: str,
    summary: "Callable[[], XfrSummary | None]",
) -> str | None:
    """Write the records of each message as it comes, in form; the error that stopped them,
    or None. Each message's records are flushed out before the next message is awaited.

    summary gives the transfer's summary once messages is exhausted (None if it broke off).
    The error is returned rather than raised so that a JSON document can carry it and close.
    """
    from netkit.resolve.xfr import XfrError

    out = sys.stdout
    json_form = form == "json"
    if json_form:
        out.write('{\n  "records": [')
    separator = "\n    "
    error: str | None = None
    try:
        for records in messages:
            if json_form:
                for record in records:
                    out.write(separator + json_line(record))
                    separator = ",\n    "
            else:
                out.write("".join(_record_text(record, form) + "\n" for record in records))
            out.flush()
    except XfrError as failure:
        error = str(failure)
    except KeyboardInterrupt:
        error = "interrupted"  # said in the document closed below, then passed on
        raise
    finally:
        if json_form:
            _close_document(summary() if error is None else None, error, opened=separator)
        out.flush()
    return error


def _record_text(record: "Record", form: str) -> str:
    if form == "jsonl":
        return json_line(record)
    if form == "short":
        return visible(record.data)
    return zone_line(record)


def zone_line(record: "Record") -> str:
    """A record as dig prints a transfer's records: tab-separated zone-file fields, each
    shown through visible() (which would escape the tabs between them)."""
    # The class and type are mnemonics from netkit's and dnspython's tables, the TTL a number.
    return (
        f"{visible(record.name)}\t{record.ttl}\t{record.rdclass}\t{record.type}\t"
        f"{visible(record.data)}"
    )


def _close_document(summary: "XfrSummary | None", error: str | None, *, opened: str) -> None:
    """Close the records array, then the summary's fields (or the error) and the object."""
    out = sys.stdout
    out.write("\n  ]" if opened != "\n    " else "]")
    fields: dict[str, object] = {} if summary is None else dict(to_jsonable(summary))  # type: ignore[call-overload]  # a dataclass becomes a dict
    fields.pop("records", None)
    if summary is not None:
        fields["record_count"] = summary.records
    fields["error"] = error
    for key, value in fields.items():
        out.write(f",\n  {json_text(key)}: {json_text(value)}")
    out.write("\n}\n")


def render_transfer_summary(summary: "XfrSummary", form: str) -> None:
    """dig's closing lines under the records; for --jsonl the same on stderr; +short and
    --json have none (the JSON document holds the figures)."""
    size = f"{summary.records} records (messages {summary.messages}, bytes {summary.bytes})"
    if form == "jsonl":
        emit_message("summary", f"{summary.type} of {summary.zone}: {size}")
        return
    if form != "text":
        return
    if summary.style == "up-to-date":
        note = f";; {summary.zone} is up to date at serial {summary.serial}"
        sys.stdout.write(visible(note) + "\n")
    sys.stdout.write(
        f";; Query time: {summary.query_time_ms:.0f} msec\n"
        f";; SERVER: {summary.server}#{summary.port}({summary.server}) (TCP)\n"
        f";; XFR size: {size}\n"
    )
