"""One thread per connection: each thread runs the blocking server loop for its client, and the
main thread only accepts. The accepted socket object is handed to the thread that owns it (the
reference's C version passed a pointer to a reused int: a race this design does not have)."""

import contextlib
import socket
import threading
import time

from netkit.listen.engine import RESOURCE_ERRNOS, Engine
from netkit.listen.stream import BlockingConnection, new_buffer, serve_connection

ACCEPT_WAKEUP = 0.5  # seconds: accept() returns this often so --once and signals are noticed
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
        engine = self.engine
        threading.stack_size(THREAD_STACK)
        self.listener.settimeout(ACCEPT_WAKEUP)
        while engine.running:
            try:
                sock, address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError as error:
                if error.errno in RESOURCE_ERRNOS:
                    with self.lock:
                        engine.accept_failed(error)
                    self.slot_freed.wait(ACCEPT_WAKEUP)  # until a connection thread ends
                    self.slot_freed.clear()
                continue
            peer = engine.peer_name(sock, address)
            with self.lock:
                reason = engine.refusal(address, len(self.connections))
                if reason is not None:
                    engine.refuse(sock, peer, reason)
                    continue
                connection = BlockingConnection(sock, peer)
                self.connections[sock.fileno()] = connection
                engine.opened(peer, len(self.connections))
            thread = threading.Thread(
                target=self._serve_one, args=(connection,), name=f"netkit {peer}", daemon=True
            )
            self.threads.add(thread)
            try:
                thread.start()
            except RuntimeError:  # "can't start new thread": out of memory or of tasks
                with self.lock:
                    self.threads.discard(thread)
                    self.connections.pop(sock.fileno(), None)
                    engine.stats.connections_total -= 1  # counted as opened above: undo
                    engine.refuse(sock, peer, "no thread could be started for it")

    def _serve_one(self, connection: BlockingConnection) -> None:
        reason = "error"
        try:
            reason = serve_connection(self.engine, connection, new_buffer())
        finally:
            with self.lock:
                self.connections.pop(connection.sock.fileno(), None)
                connection.sock.close()
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

    def live_totals(self) -> tuple[int, int, int]:
        connections = list(self.connections.values())
        return (
            len(connections),
            sum(c.bytes_in for c in connections),
            sum(c.bytes_out for c in connections),
        )
