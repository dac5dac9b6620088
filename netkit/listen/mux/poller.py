"""The one poller interface: what the listener's event loop and the load generator ask of a
readiness API, modelled on selectors.BaseSelector (register, modify, unregister, wait).

Each readiness-based design (select, poll, epoll, kqueue) is one small subclass in its own
module that calls the system interface it is named after and adds only what differs; --mux auto
and the load generator take the best one this platform has (``netkit.listen.mux``).

Masks are poll(2)'s bits everywhere: epoll(7) uses the same values on Linux, and the select and
kqueue pollers translate. This module sits below every user of the masks (connections, the loop,
the pollers, the load generator), so none of them has to import another for them.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable

READABLE = 0x001  # POLLIN / EPOLLIN
WRITABLE = 0x004  # POLLOUT / EPOLLOUT
TROUBLE = 0x008 | 0x010  # POLLERR | POLLHUP: always reported, whatever was asked for


class Poller(ABC):
    """Watch descriptors for readiness, level-triggered."""

    @abstractmethod
    def register(self, fd: int, mask: int) -> None: ...

    @abstractmethod
    def modify(self, fd: int, mask: int) -> None: ...

    @abstractmethod
    def unregister(self, fd: int) -> None: ...

    @abstractmethod
    def wait(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        """Block until something is ready (or ``timeout`` seconds; None waits for ever); (fd,
        mask) pairs, at most one per descriptor (callers rely on it: a handler may close its
        own socket)."""

    def refusal(self, fd: int) -> str | None:
        """Why this poller cannot watch ``fd`` at all (select: FD_SETSIZE), or None."""
        return None

    def close(self) -> None:
        """Release the kernel object behind the poller, if it has one."""
        return None
