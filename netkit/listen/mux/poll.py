"""poll(2): no FD_SETSIZE limit, but the whole interest list crosses into the kernel each wait."""

import select
from collections.abc import Iterable

from netkit.listen.mux.poller import Poller


class PollPoller(Poller):
    def __init__(self) -> None:
        self.poller = select.poll()
        self._poll = self.poller.poll

    def register(self, fd: int, mask: int) -> None:
        self.poller.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        self.poller.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        self.poller.unregister(fd)

    def wait(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        return self._poll(None if timeout is None else timeout * 1000)  # poll(2) counts in ms
