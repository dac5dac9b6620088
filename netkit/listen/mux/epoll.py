"""epoll(7), Linux: the kernel keeps the interest list, each wait costs only what is ready."""

import select
from collections.abc import Iterable

from netkit.listen.mux.poller import Poller

# EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP have poll(2)'s values, so masks pass through unchanged.
MAX_EVENTS = 512  # per wait; the default (FD_SETSIZE - 1) allocates more than needed
assert (select.EPOLLIN, select.EPOLLOUT, select.EPOLLERR, select.EPOLLHUP) == (1, 4, 8, 16)


class EpollPoller(Poller):
    def __init__(self) -> None:
        self.epoll = select.epoll()
        self._poll = self.epoll.poll

    def register(self, fd: int, mask: int) -> None:
        self.epoll.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        self.epoll.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        self.epoll.unregister(fd)

    def wait(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        return self._poll(-1 if timeout is None else timeout, MAX_EVENTS)

    def close(self) -> None:
        self.epoll.close()
