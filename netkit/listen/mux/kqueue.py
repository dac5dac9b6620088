"""kqueue(2), BSD and macOS: one filter per direction, changes and waiting in one kevent call."""

import contextlib
import select as _select_module
from collections.abc import Iterable
from typing import Any

from netkit.listen.mux.poller import READABLE, TROUBLE, WRITABLE, Poller

MAX_EVENTS = 1024
# typeshed declares kqueue only when type-checking for BSD/macOS; mypy here runs on Linux.
select: Any = _select_module


class KqueuePoller(Poller):
    def __init__(self) -> None:
        self.kqueue = select.kqueue()
        self.masks: dict[int, int] = {}
        self.changes: list[Any] = []  # sent with the next wait: one syscall for both

    def register(self, fd: int, mask: int) -> None:
        self.masks[fd] = 0
        self.modify(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        old = self.masks.get(fd, 0)
        self.masks[fd] = mask
        for bit, kind in ((READABLE, select.KQ_FILTER_READ), (WRITABLE, select.KQ_FILTER_WRITE)):
            if mask & bit and not old & bit:
                self.changes.append(select.kevent(fd, kind, select.KQ_EV_ADD))
            elif old & bit and not mask & bit:
                self.changes.append(select.kevent(fd, kind, select.KQ_EV_DELETE))

    def unregister(self, fd: int) -> None:
        mask = self.masks.pop(fd, 0)
        self.changes = [change for change in self.changes if change.ident != fd]
        # Delete now rather than with the next wait: the descriptor is usually closed right
        # after this, and its number may be reused before the queued change would be applied.
        for bit, kind in ((READABLE, select.KQ_FILTER_READ), (WRITABLE, select.KQ_FILTER_WRITE)):
            if mask & bit:
                with contextlib.suppress(OSError):  # the filter was never applied
                    self.kqueue.control([select.kevent(fd, kind, select.KQ_EV_DELETE)], 0, 0)

    def wait(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        changes, self.changes = self.changes, []
        events = self.kqueue.control(changes, MAX_EVENTS, timeout)
        read_filter = select.KQ_FILTER_READ
        # One entry per descriptor, as epoll gives (read and write come as separate events).
        masks: dict[int, int] = {}
        for event in events:
            if event.flags & select.KQ_EV_ERROR:
                continue  # a change we sent failed (kevent(2)): about our list, not the socket
            bit = READABLE if event.filter == read_filter else WRITABLE
            if event.flags & select.KQ_EV_EOF:
                bit |= TROUBLE
            masks[event.ident] = masks.get(event.ident, 0) | bit
        return masks.items()

    def close(self) -> None:
        self.kqueue.close()
