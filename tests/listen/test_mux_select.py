"""The select design's FD_SETSIZE limit (netkit/listen/mux/select.py); the load and fault checks
every design passes are in test_mux.py."""

import socket

from tests.listen.checks import Start
from tests.listen.clients import abortive_close, echo_many

MUX = "select"


def test_descriptor_at_fd_setsize_is_refused_not_crashed_on(listener_factory: Start) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", MUX)
    first = listener.connect()
    held: list[socket.socket] = []
    try:
        for _ in range(1040):  # enough to push the server's descriptors past 1023
            held.append(listener.connect())
        listener.process.wait_for_stderr(r"refused .*FD_SETSIZE \(1024\)", timeout=15)
        first.sendall(b"still serving")
        assert first.recv(100) == b"still serving"
    finally:
        first.close()
        for sock in held:
            abortive_close(sock)  # a thousand client ports in TIME_WAIT would help nobody
    assert echo_many(listener, [b"after"]) == [b"after"]
