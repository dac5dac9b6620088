"""`listen --exec CMD` and `--sh-exec CMD` (ncat -e and -c): a process per client, the
connection as its standard input and output.

The program gets the socket itself as descriptors 0 and 1 (as ncat gives it), and netkit closes
its own copy at once, so the program owns the connection: the client's half-close is EOF on its
standard input, whatever it writes after that still reaches the client, and when it exits the
kernel closes the socket after the bytes already written (the FIN follows them). netkit only
admits (the one admission path, so --max-conns, --allow and --deny apply), reaps the processes,
and logs each one's exit status as the connection's end. Byte counts are the program's business
and are not known here.
"""

import contextlib
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

from netkit.listen.engine import Engine
from netkit.listen.stream import ACCEPT_WAKEUP

REAP_EVERY = 0.1  # seconds between looks at the children while no client arrives
TERMINATE_WAIT = 2.0  # seconds the programs get to exit after SIGTERM at shutdown


@dataclass(slots=True)
class Child:
    process: subprocess.Popen[bytes]
    peer: str
    opened: float


class ExecServer:
    """Accept, start the program on the connection, reap; any number of clients at once."""

    name = "exec"

    def __init__(self, engine: Engine) -> None:
        assert engine.bound is not None
        self.engine = engine
        self.listener = engine.bound.sock
        self.argv = list(engine.config.exec_argv)
        self.children: list[Child] = []

    def serve(self) -> None:
        self.listener.settimeout(REAP_EVERY)
        while self.engine.running:
            self.engine.admit(self.listener, self)
            self.reap()

    def reap(self) -> None:
        for child in list(self.children):
            status = child.process.poll()
            if status is not None:
                self._ended(child, _describe(status))

    def _ended(self, child: Child, reason: str) -> None:
        self.children.remove(child)
        self.engine.closed(child.peer, 0, 0, child.opened, reason)

    # -- what the admission path (Engine.admit) asks of this back end ------------------------

    def open_now(self) -> int:
        self.reap()
        return len(self.children)

    def open(self, sock: socket.socket, peer: str) -> str | None:
        sock.setblocking(True)
        try:
            process = subprocess.Popen(
                self.argv, stdin=sock.fileno(), stdout=sock.fileno(), close_fds=True
            )
        except OSError as error:
            return f"cannot run {self.argv[0]}: {error.strerror or error}"
        finally:
            sock.close()  # the program holds the connection now; this copy would keep it open
        self.children.append(Child(process, peer, time.monotonic()))
        return None

    def pause_accepting(self) -> None:
        time.sleep(ACCEPT_WAKEUP)

    def close_all(self) -> None:
        for child in self.children:
            with contextlib.suppress(OSError):
                child.process.terminate()
        deadline = time.monotonic() + TERMINATE_WAIT
        for child in list(self.children):
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            self._ended(child, f"shutdown, {_describe(child.process.returncode)}")

    def live_totals(self) -> tuple[int, int, int]:
        return len(self.children), 0, 0

    def broadcast(self, data: bytes) -> None:
        """Never called: --exec and --print exclude each other (the program answers)."""


def _describe(status: int) -> str:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"killed by {name}"
    return f"exit status {status}"
