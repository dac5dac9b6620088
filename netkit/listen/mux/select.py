"""select(2): the oldest design. Three fd_set bitmaps are rebuilt and scanned on every call, and
a descriptor at or above FD_SETSIZE cannot be watched at all: it is refused, never crashed on."""

import select
from collections.abc import Iterable
from itertools import repeat

from netkit.listen.mux.poller import READABLE, WRITABLE, Poller

FD_SETSIZE = 1024  # glibc's fixed fd_set size; CPython's select() raises ValueError beyond it


class SelectPoller(Poller):
    def __init__(self) -> None:
        self.readers: set[int] = set()
        self.writers: set[int] = set()
        # select() copies any set it is given into a list on every call; keep that list
        # between calls and rebuild it only when interest changes (rare in a steady state).
        self._lists: tuple[list[int], list[int]] | None = None
        self._select = select.select  # the system call (listen --explain narrates it here)

    def register(self, fd: int, mask: int) -> None:
        self.modify(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        self._lists = None
        if mask & READABLE:
            self.readers.add(fd)
        else:
            self.readers.discard(fd)
        if mask & WRITABLE:
            self.writers.add(fd)
        else:
            self.writers.discard(fd)

    def unregister(self, fd: int) -> None:
        self._lists = None
        self.readers.discard(fd)
        self.writers.discard(fd)

    def wait(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        lists = self._lists
        if lists is None:
            lists = self._lists = (list(self.readers), list(self.writers))
        readable, writable, _ = self._select(lists[0], lists[1], (), timeout)
        if not writable:
            return zip(readable, repeat(READABLE))
        # One entry per descriptor, as epoll gives: a handler may close its socket.
        masks = dict.fromkeys(readable, READABLE)
        for fd in writable:
            masks[fd] = masks.get(fd, 0) | WRITABLE
        return masks.items()

    def refusal(self, fd: int) -> str | None:
        if fd >= FD_SETSIZE:
            return (
                f"descriptor {fd} is at or above FD_SETSIZE ({FD_SETSIZE}): select cannot watch it"
            )
        return None
