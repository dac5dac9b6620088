"""The I/O designs a listener can use, and `--mux auto`: the best one this platform has (the way
selectors.DefaultSelector picks). The one list of design names; the CLI and `netkit bench mux`
ask it. Each design's module is imported only when chosen."""

import select
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from netkit.errors import NetkitUsageError

if TYPE_CHECKING:
    from netkit.listen.engine import Backend, Engine
    from netkit.listen.mux.poller import Poller

MUX_NAMES = ("blocking", "thread", "select", "poll", "epoll", "kqueue")
MUX_CHOICES = ("auto", *MUX_NAMES)  # what --mux accepts
# Best first, for auto: epoll and kqueue scale with what is ready, poll and select with what is
# watched.
BEST_FIRST = ("epoll", "kqueue", "poll", "select")
# The designs that run their own serving loop; every other one is the event loop over a poller.
_SERVERS = {
    "blocking": "netkit.listen.mux.blocking:BlockingServer",
    "thread": "netkit.listen.mux.thread:ThreadServer",
}
_POLLERS = {
    "select": "netkit.listen.mux.select:SelectPoller",
    "poll": "netkit.listen.mux.poll:PollPoller",
    "epoll": "netkit.listen.mux.epoll:EpollPoller",
    "kqueue": "netkit.listen.mux.kqueue:KqueuePoller",
}


def available() -> list[str]:
    """The designs this system supports, in MUX_NAMES order."""
    return [name for name in MUX_NAMES if name in _SERVERS or hasattr(select, name)]


def best() -> str:
    """The readiness design `--mux auto` picks here."""
    have = available()
    return next(name for name in BEST_FIRST if name in have)


def resolve(name: str, transport: str) -> str:
    """The concrete design for ``--mux name``, or a usage error that says what would work."""
    have = available()
    if name == "auto":
        name = best()
    if name not in have:
        raise NetkitUsageError(
            f"--mux {name} is not available on this system (available: {', '.join(have)})"
        )
    if name == "thread" and transport == "udp":
        others = ", ".join(n for n in have if n != "thread")
        raise NetkitUsageError(
            f"--mux thread needs connections and UDP has none: use one of {others}"
        )
    return name


def poller_class(name: str) -> "type[Poller]":
    """The poller of a readiness design (select, poll, epoll, kqueue)."""
    module_name, attribute = _POLLERS[name].split(":")
    poller: type[Poller] = getattr(import_module(module_name), attribute)
    return poller


def default_poller() -> "Poller":
    """A poller over the best interface this platform has (the load generator's)."""
    return poller_class(best())()


def backend_class(name: str) -> "Callable[[Engine], Backend]":
    """What serves the bound socket in design ``name``: its own server, or the event loop over
    that design's poller."""
    if name in _SERVERS:
        module_name, attribute = _SERVERS[name].split(":")
        factory: Callable[[Engine], Backend] = getattr(import_module(module_name), attribute)
        return factory
    from netkit.listen.mux.loop import EventLoop  # the loop is needed only once one is chosen

    poller = poller_class(name)
    return lambda engine: EventLoop(engine, poller())
