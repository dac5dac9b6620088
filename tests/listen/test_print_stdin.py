"""`listen --print` sends netkit's own standard input to the connected peers (nc's chat)."""

import socket
import time

from tests.listen.test_mux import every_design
from tests.support import netkit_process

READY = r"listening on tcp 127.0.0.1:(\d+)"


def _receive(sock: socket.socket, count: int) -> bytes:
    received = bytearray()
    deadline = time.monotonic() + 10
    while len(received) < count and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return bytes(received)


@every_design
def test_stdin_goes_to_the_peer_and_the_peer_to_stdout(mux: str) -> None:
    with netkit_process("listen", "tcp", "0", "--print", "--mux", mux, "-v", ready=READY) as server:
        port = int(server.wait_for_stderr(READY).group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as peer:
            server.wait_for_stderr(r"connection from")
            assert server.proc.stdin is not None and server.proc.stdout is not None
            server.proc.stdin.write(b"hello from netkit's stdin\n")
            server.proc.stdin.flush()
            assert _receive(peer, 26) == b"hello from netkit's stdin\n"
            peer.sendall(b"and back\n")
            assert server.proc.stdout.readline() == b"and back\n"
