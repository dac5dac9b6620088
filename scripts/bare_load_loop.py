#!/usr/bin/env python3
"""The fastest closed-loop echo load CPython can drive here: the yardstick for `netkit bench`.

It makes the same system calls per round trip as the C load generator (echoload.c) and as
`netkit bench tcp`: one epoll_wait per batch of ready connections, then per connection one recv
of the whole echo and one send of the next message. Nothing else happens per round trip: no
latency clock, no byte-for-byte check, no timeouts, no errors. So
its requests/s over the C load generator's is the ceiling for any CPython load loop on this
machine, and `netkit bench`'s figure is best read against this one too.

    python scripts/bare_load_loop.py PORT [CONNECTIONS] [SIZE] [SECONDS]

Prints ``rps=N`` (echoload.c's form). Used by ``bench_listeners.py --load-vs-c``.
"""

import select
import socket
import sys
import time
from collections.abc import Callable


def main() -> int:
    port = int(sys.argv[1])
    connections, size, seconds = (int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    message = b"x" * size
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
    poller = select.epoll()
    receive: dict[int, Callable[[bytearray, int], int]] = {}
    send: dict[int, Callable[[bytes], int]] = {}
    for sock in socks:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        poller.register(sock.fileno(), select.EPOLLIN)
        receive[sock.fileno()], send[sock.fileno()] = sock.recv_into, sock.send
    buffer = bytearray(size)
    for sock in socks:
        sock.send(message)
    requests = 0
    partial: dict[int, int] = {}  # bytes of an echo received so far, when it came in parts
    poll, now = poller.poll, time.perf_counter_ns
    begin = now()
    end = begin + int(seconds * 1e9)
    while now() < end:
        for fd, _ in poll(0.1):
            got = receive[fd](buffer, size)
            if got == size:  # the whole echo at once: the common case
                requests += 1
                send[fd](message)
            elif got:  # a part: the rest follows (the next message waits for it)
                got += partial.pop(fd, 0)
                if got < size:
                    partial[fd] = got
                else:
                    requests += 1
                    send[fd](message)
    print(f"rps={requests / ((now() - begin) / 1e9):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
