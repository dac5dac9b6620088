"""select(2): the oldest design. Three fd_set bitmaps are rebuilt and scanned on every call, and
a descriptor at or above FD_SETSIZE cannot be watched at all: it is refused, never crashed on."""

import select
from collections.abc import Iterable
from itertools import chain, repeat

from netkit.listen.connection import READABLE, WRITABLE
from netkit.listen.engine import Engine
from netkit.listen.mux.loop import EventLoop

FD_SETSIZE = 1024  # glibc's fixed fd_set size; CPython's select() raises ValueError beyond it


class SelectLoop(EventLoop):
    name = "select"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.readers: set[int] = set()
        self.writers: set[int] = set()

    def register(self, fd: int, mask: int) -> None:
        self.modify(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        if mask & READABLE:
            self.readers.add(fd)
        else:
            self.readers.discard(fd)
        if mask & WRITABLE:
            self.writers.add(fd)
        else:
            self.writers.discard(fd)

    def unregister(self, fd: int) -> None:
        self.readers.discard(fd)
        self.writers.discard(fd)

    def wait(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        readable, writable, _ = select.select(self.readers, self.writers, (), timeout)
        if not writable:
            return zip(readable, repeat(READABLE))
        return chain(zip(readable, repeat(READABLE)), zip(writable, repeat(WRITABLE)))

    def refuse_descriptor(self, fd: int) -> str | None:
        if fd >= FD_SETSIZE:
            return (
                f"descriptor {fd} is at or above FD_SETSIZE ({FD_SETSIZE}): select cannot watch it"
            )
        return None
