"""`netkit resolve --trace`: the delegation path as it is walked, for people; one JSON document.

Each step is printed as soon as its reply is in: a small tree whose label says which zone's
server was asked, where, how fast and what the reply meant, with the referral (NS set, glue,
DS) or the records as branches. Nested traces (the addresses of servers without glue) are
indented under the referral that needed them. --json writes the whole trace at its end (a trace
is small); --short only the final records.
"""

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from netkit.render.output import emit_json, emit_lines
from netkit.resolve.trace import Event, Trace, TraceStart, TraceStep
from netkit.resolve.wire import Record

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

_INDENT = 4  # columns a nested trace is shifted right by, per level

_OUTCOME_STYLE = {
    "referral": "",
    "answer": "green",
    "cname": "green",
    "dname": "green",
    "nxdomain": "yellow",
    "nodata": "yellow",
    "lame": "red",
    "failed": "red",
    "roots": "",
}


def render_trace(events: Iterable[Event], *, as_json: bool, short: bool) -> Trace:
    """Show the events of a trace as they come; return the top trace (the last event)."""
    result: Trace | None = None
    for event in events:
        if isinstance(event, Trace) and event.depth == 0:
            result = event
        if not (as_json or short):
            _show_event(event)
    assert result is not None  # a trace ends with its top Trace
    if as_json:
        emit_json(result)
        sys.stdout.flush()  # before the error line of a failed trace, on stderr
    elif short:
        emit_lines(record.data for record in result.answers)
    return result


def _show_event(event: Event) -> None:
    from netkit.render.tables import show

    if isinstance(event, TraceStep):
        show(_step_tree(event))
    elif isinstance(event, TraceStart):
        show(_start_line(event))
    elif event.depth > 0 or event.status != "failed":
        show(_end_tree(event))
    sys.stdout.flush()  # each step as it is done, in a pipe too


def _start_line(start: TraceStart) -> "RenderableType":
    from netkit.render.tables import data, tree

    if start.depth == 0:
        return tree(data(f"tracing {start.name} {start.type} from the root", style="bold"), [])
    label = data(f"↳ looking up {start.name} {start.type}", style="bold") + data(
        ": the referral above has no glue for it", style="dim"
    )
    return tree(label, [], indent=_INDENT * start.depth - 2)


def _summary(step: TraceStep) -> str:
    if step.outcome == "roots":  # @SERVER: what it says, asked with recursion as dig does
        what = "the root servers" if step.referral else f"{step.type} of a root server"
        return f"{what} (asked with recursion)"
    if step.outcome == "referral" and step.referral is not None:
        return f"referral to {step.referral.zone}"
    if step.outcome in ("cname", "dname"):
        return f"{step.outcome.upper()} to {step.target}: traced again from the root"
    authoritative = {
        "answer": "answer (authoritative)",
        "nxdomain": "NXDOMAIN (authoritative): no such name",
        "nodata": f"NODATA (authoritative): no {step.type} records",
    }
    return authoritative.get(step.outcome, f"{step.outcome}: {step.error}")


def _step_tree(step: TraceStep) -> "RenderableType":
    from netkit.render.tables import data, tree

    rtt = "no reply" if step.rtt_ms is None else f"{step.rtt_ms:.1f} ms"
    label = (
        data(step.zone, style="bold cyan")
        + data("  ")
        + data(step.server)
        + data(f" {step.address}#{step.port}", style="dim")
        + data(f"  {rtt}  ", style="dim")
        + data(_summary(step), style=_OUTCOME_STYLE[step.outcome])
    )
    return tree(label, _branches(step), indent=_INDENT * step.depth)


def _record_line(record: Record) -> str:
    return f"{record.name} {record.ttl} {record.rdclass} {record.type} {record.data}"


def _branches(step: TraceStep) -> list["Text"]:
    from netkit.render.tables import data

    referral = step.referral
    if referral is None:
        return [data(_record_line(record)) for record in step.answers + step.authority]
    branches = []
    for server in referral.servers:
        glue = [record.data for record in referral.glue if record.name.lower() == server.lower()]
        detail = f"glue {', '.join(glue)}" if glue else "no glue: looked up when needed"
        branches.append(data(f"NS {server}  ") + data(detail, style="dim"))
    if referral.ds is not None:
        branches += [data(_record_line(record)) for record in referral.ds]
        if not referral.ds:
            branches.append(data("no DS: the delegation is not signed", style="yellow"))
    return branches


def _end_tree(trace: Trace) -> "RenderableType":
    from netkit.render.tables import data, tree

    queries = _queries(trace)
    indent = max(0, _INDENT * trace.depth - 2)
    if trace.status == "failed":
        label = data(f"↳ {trace.name} {trace.type} not found: {trace.error}", style="red")
        return tree(label, [], indent=indent)
    what = "answer" if trace.status == "answer" else trace.status
    marker = "↳ " if trace.depth else ""
    label = data(f"{marker}{trace.name} {trace.type}: {what}", style="bold green") + data(
        f" after {queries} {'query' if queries == 1 else 'queries'}", style="dim"
    )
    return tree(label, [data(_record_line(record)) for record in trace.answers], indent=indent)


def _queries(trace: Trace) -> int:
    return sum(1 + sum(_queries(nested) for nested in step.nested) for step in trace.steps)
