"""`listen --print`'s other direction: what netkit's own standard input reads goes to every
connected peer, as `nc -l` does for a chat.

Standard input can be anything (a terminal, a pipe, a regular file, which epoll refuses to
watch), so one thread reads it with blocking calls and hands each chunk to the back end's
``broadcast``: the blocking designs send it at once on their blocking sockets; an event loop
queues it and wakes itself (netkit.listen.mux.loop), since only the loop's thread may touch its
non-blocking connections. At the end of standard input nothing more is sent; the server goes on.
"""

import os
import threading
from collections.abc import Callable

from netkit.threads import start_thread

CHUNK = 65536


def start_reading(fd: int, broadcast: Callable[[bytes], None]) -> threading.Thread:
    """Read ``fd`` until EOF in a daemon thread, handing every chunk to ``broadcast``."""

    def pump() -> None:
        while True:
            try:
                data = os.read(fd, CHUNK)
            except OSError:
                return
            if not data:
                return
            broadcast(data)

    return start_thread(pump, name="netkit stdin to peers")
