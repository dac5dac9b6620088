"""The iterative server: accept one client, serve it to the end, then accept the next. The others
wait in the listen backlog meanwhile; that is the design, and what `--mux blocking` shows."""

import socket
import time

from netkit.listen.datagram import DatagramService
from netkit.listen.engine import Engine
from netkit.listen.stream import (
    ACCEPT_WAKEUP,
    BlockingConnection,
    close_stream,
    new_buffer,
    send_quietly,
    serve_connection,
)


class BlockingServer:
    name = "blocking"

    def __init__(self, engine: Engine) -> None:
        assert engine.bound is not None
        self.engine = engine
        self.listener = engine.bound.sock
        self.buffer = new_buffer()
        self.current: BlockingConnection | None = None

    def serve(self) -> None:
        engine = self.engine
        if engine.config.transport == "udp":
            DatagramService(engine, self.listener).serve_forever()
            return
        self.listener.settimeout(ACCEPT_WAKEUP)
        while engine.running:
            if engine.admit(self.listener, self) and self.current is not None:
                connection = self.current
                self._close(connection, serve_connection(engine, connection, self.buffer))

    # -- what the admission path (Engine.admit) asks of this back end ------------------------

    def open_now(self) -> int:
        return 0 if self.current is None else 1

    def open(self, sock: socket.socket, peer: str) -> str | None:
        self.current = BlockingConnection(sock, peer)  # served by serve() once admitted
        return None

    def pause_accepting(self) -> None:
        time.sleep(ACCEPT_WAKEUP)

    def _close(self, connection: BlockingConnection, reason: str) -> None:
        self.current = None
        close_stream(self.engine, connection.sock)
        self.engine.closed(
            connection.peer, connection.bytes_in, connection.bytes_out, connection.opened, reason
        )

    def close_all(self) -> None:
        if self.current is not None:
            self._close(self.current, "shutdown")

    def broadcast(self, data: bytes) -> None:
        current = self.current
        if current is not None:
            send_quietly(current, data)

    def live_totals(self) -> tuple[int, int, int]:
        current = self.current
        return (0, 0, 0) if current is None else (1, current.bytes_in, current.bytes_out)
