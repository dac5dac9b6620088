"""`--explain`: the option, and the narrated socket calls a command makes its calls through
(netkit.sockcalls), written to stderr by netkit.render.explain. Each command declares the option
and makes one call here."""

from collections.abc import Callable
from typing import TypeVar

import click

from netkit.sockcalls import PLAIN, SocketCalls

F = TypeVar("F", bound=Callable[..., object])


def explain_option(what: str) -> Callable[[F], F]:
    """--explain, with a help text that says which calls are narrated."""
    return click.option(
        "--explain",
        is_flag=True,
        help=f"Narrate on stderr every socket call {what} makes, in C syntax, with the time, "
        "the result, what it means and the TCP state the kernel reports (JSON Lines with "
        "--json).",
    )


def session_calls(explain: bool, as_json: bool) -> SocketCalls:
    """The plain calls, or with --explain calls that narrate themselves on stderr."""
    if not explain:
        return PLAIN
    from netkit.render.explain import ExplainLog
    from netkit.sockcalls import NarratedCalls

    return NarratedCalls(ExplainLog(as_json=as_json))
