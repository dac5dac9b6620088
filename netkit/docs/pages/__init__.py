"""The hand-written parts of each man page: one module per command, named after it.

The generator (netkit.docs.manpage) writes NAME, SYNOPSIS, OPTIONS and COMMANDS from the click
definitions; a module here gives DESCRIPTION, EXAMPLES, EXIT STATUS, SEE ALSO and any extra
section (JSON OUTPUT, ENVIRONMENT, NOTES). Text uses **bold** and __italic__; a paragraph that
starts with "$ " is shown verbatim; a (term, text) pair is a tagged paragraph.
"""

from dataclasses import dataclass
from importlib import import_module

Block = str | tuple[str, str]

# The date in every page's title line; change it when the hand-written text changes.
MANUAL_DATE = "2026-11-25"


@dataclass(frozen=True, slots=True)
class Example:
    """One EXAMPLES entry: what it shows, then the command line(s)."""

    what: str
    command: str


@dataclass(frozen=True, slots=True)
class Page:
    """The hand-written sections of one man page."""

    description: tuple[Block, ...]
    examples: tuple[Example, ...]
    see_also: tuple[str, ...]  # "ss(8)", "netkit-listen(1)"
    exit_status: tuple[tuple[str, str], ...] | None = None  # None: the standard statuses
    sections: tuple[tuple[str, tuple[Block, ...]], ...] = ()  # after OPTIONS, e.g. JSON OUTPUT


STANDARD_EXIT_STATUS: tuple[tuple[str, str], ...] = (
    ("0", "Success."),
    (
        "1",
        "A runtime failure; a one-line message starting with **netkit: error:** on standard "
        "error says what failed.",
    ),
    ("2", "A usage error: an unknown option, a missing or invalid argument."),
    ("130", "Interrupted with Ctrl-C (SIGINT)."),
)

# Every command netkit plans, in the order netkit(1) describes them. A page is generated only
# for commands registered in netkit.cli.COMMANDS; the others wait here for their branch.
PAGE_MODULES = (
    "conv",
    "resolve",
    "listen",
    "connect",
    "bench",
    "ipc",
    "conns",
    "ifaces",
    "completion",
)


def page_for(command: str) -> Page:
    """The hand-written sections for `netkit COMMAND`, or for netkit(1) itself with "netkit"."""
    module = import_module(f"{__name__}.{command}")
    page = getattr(module, "PAGE", None)
    if not isinstance(page, Page):
        raise TypeError(f"{module.__name__} has no PAGE")
    return page
