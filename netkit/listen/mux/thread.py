"""One thread per connection: each thread runs the blocking server loop for its client, and the
main thread only accepts. The accepted socket object is handed to the thread that owns it (the
reference's C version passed a pointer to a reused int: a race this design does not have)."""

import contextlib
import socket
import threading
import time

from netkit.listen.engine import Engine
from netkit.listen.stream import (
    ACCEPT_WAKEUP,
    BlockingConnection,
    close_stream,
    new_buffer,
    send_quietly,
    serve_connection,
)
from netkit.threads import stop_signals_held

THREAD_STACK = 512 * 1024  # a connection thread needs little stack; 10,000 of them add up
JOIN_AT_SHUTDOWN = 2.0  # seconds to let threads report their connection before exiting


class ThreadServer:
    name = "thread"

    def __init__(self, engine: Engine) -> None:
        assert engine.bound is not None
        self.engine = engine
        self.listener = engine.bound.sock
        self.connections: dict[int, BlockingConnection] = {}
        self.threads: set[threading.Thread] = set()
        self.lock = threading.Lock()  # counters and the observer are shared by all threads
        self.slot_freed = threading.Event()

    def serve(self) -> None:
        threading.stack_size(THREAD_STACK)
        self.listener.settimeout(ACCEPT_WAKEUP)
        while self.engine.running:
            self.engine.admit(self.listener, self, self.lock)

    # -- what the admission path (Engine.admit) asks of this back end ------------------------
    # It calls open_now and open with self.lock held.

    def open_now(self) -> int:
        return len(self.connections)

    def open(self, sock: socket.socket, peer: str) -> str | None:
        connection = BlockingConnection(sock, peer)
        thread = threading.Thread(
            target=self._serve_one, args=(connection,), name=f"netkit {peer}", daemon=True
        )
        self.connections[sock.fileno()] = connection
        self.threads.add(thread)
        try:
            with stop_signals_held():  # so that Ctrl-C wakes the main thread's accept()
                thread.start()
        except RuntimeError:  # "can't start new thread": out of memory or of tasks
            self.threads.discard(thread)
            del self.connections[sock.fileno()]
            return "no thread could be started for it"
        return None

    def pause_accepting(self) -> None:
        self.slot_freed.wait(ACCEPT_WAKEUP)  # until a connection thread ends
        self.slot_freed.clear()

    def _serve_one(self, connection: BlockingConnection) -> None:
        reason = "error"
        try:
            reason = serve_connection(self.engine, connection, new_buffer())
        finally:
            with self.lock:
                self.connections.pop(connection.sock.fileno(), None)
                close_stream(self.engine, connection.sock)
                self.engine.closed(
                    connection.peer,
                    connection.bytes_in,
                    connection.bytes_out,
                    connection.opened,
                    reason,
                )
                self.threads.discard(threading.current_thread())
            self.slot_freed.set()

    def close_all(self) -> None:
        with self.lock:
            connections = list(self.connections.values())
            threads = list(self.threads)
        for connection in connections:
            with contextlib.suppress(OSError):  # wakes the blocked recv; close() would not
                connection.sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + JOIN_AT_SHUTDOWN
        for thread in threads:
            if thread.is_alive():  # a signal may land between threads.add and start()
                thread.join(max(0.0, deadline - time.monotonic()))

    def broadcast(self, data: bytes) -> None:
        with self.lock:
            connections = list(self.connections.values())
        for connection in connections:
            send_quietly(connection, data)

    def live_totals(self) -> tuple[int, int, int]:
        connections = list(self.connections.values())
        return (
            len(connections),
            sum(c.bytes_in for c in connections),
            sum(c.bytes_out for c in connections),
        )
