"""The I/O designs a listener can use, and `--mux auto`: the best one this platform has (the way
selectors.DefaultSelector picks). Each module is imported only when chosen."""

import select
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from netkit.errors import NetkitUsageError

if TYPE_CHECKING:
    from netkit.listen.engine import Backend, Engine

MUX_NAMES = ("blocking", "thread", "select", "poll", "epoll", "kqueue")
# Best first, for auto: epoll and kqueue scale with what is ready, poll and select with what is
# watched.
_PREFERENCE = ("epoll", "kqueue", "poll", "select")
_CLASSES = {
    "blocking": "netkit.listen.mux.blocking:BlockingServer",
    "thread": "netkit.listen.mux.thread:ThreadServer",
    "select": "netkit.listen.mux.select:SelectLoop",
    "poll": "netkit.listen.mux.poll:PollLoop",
    "epoll": "netkit.listen.mux.epoll:EpollLoop",
    "kqueue": "netkit.listen.mux.kqueue:KqueueLoop",
}


def available() -> list[str]:
    """The designs this system supports, in MUX_NAMES order."""
    return [name for name in MUX_NAMES if name in ("blocking", "thread") or hasattr(select, name)]


def resolve(name: str, transport: str) -> str:
    """The concrete design for ``--mux name``, or a usage error that says what would work."""
    have = available()
    if name == "auto":
        name = next(n for n in _PREFERENCE if n in have)
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


def backend_class(name: str) -> "Callable[[Engine], Backend]":
    module_name, attribute = _CLASSES[name].split(":")
    factory: Callable[[Engine], Backend] = getattr(import_module(module_name), attribute)
    return factory
