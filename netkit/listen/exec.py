"""`listen --exec CMD` and `--sh-exec CMD` (ncat -e and -c): a process per client, the
connection as its standard input and output.

The program gets the socket itself as descriptors 0 and 1 (as ncat gives it), and netkit closes
its own copy at once, so the program owns the connection: the client's half-close is EOF on its
standard input, whatever it writes after that still reaches the client, and when it exits the
kernel closes the socket after the bytes already written (the FIN follows them). netkit only
admits (the one admission path, so --max-conns, --allow and --deny apply), reaps the processes,
and logs each one's exit status as the connection's end. Byte counts are the program's business
and are not known here.

With --tls the program cannot own the connection (its bytes are TLS records): netkit_tls's
TlsExecSession makes the handshake and relays plaintext between the client and the program
through a socketpair, with EOF carried both ways the same, and knows the byte counts.
"""

import contextlib
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netkit.listen.engine import Engine
from netkit.listen.stream import ACCEPT_WAKEUP

if TYPE_CHECKING:
    from netkit.listen.exec_tls import TlsExecSession

REAP_EVERY = 0.1  # seconds between looks at the children while no client arrives
TERMINATE_WAIT = 2.0  # seconds the programs get to exit after SIGTERM at shutdown


@dataclass(slots=True)
class Child:
    process: subprocess.Popen[bytes] | None  # None under --tls until the handshake is done
    peer: str
    opened: float
    session: "TlsExecSession | None" = None  # --tls: the relay in front of the program

    def exit_status(self) -> int | None:
        """The program's exit status once it and (under --tls) the relay are done."""
        if self.session is not None:
            if not self.session.finished.is_set():
                return None
            self.process = self.session.process
        return None if self.process is None else self.process.poll()


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
            session = child.session
            if session is not None and session.finished.is_set() and session.process is None:
                self._ended(child, session.failure or "closed")  # the program never ran
                continue
            status = child.exit_status()
            if status is not None:
                self._ended(child, _describe(status))

    def _ended(self, child: Child, reason: str) -> None:
        self.children.remove(child)
        session = child.session
        bytes_in, bytes_out = (0, 0) if session is None else (session.bytes_in, session.bytes_out)
        self.engine.closed(child.peer, bytes_in, bytes_out, child.opened, reason)

    # -- what the admission path (Engine.admit) asks of this back end ------------------------

    def open_now(self) -> int:
        self.reap()
        return len(self.children)

    def open(self, sock: socket.socket, peer: str) -> str | None:
        tls = self.engine.config.tls
        if tls is not None:
            from netkit.listen.exec_tls import TlsExecSession

            session = TlsExecSession(tls, sock, self.argv, self.engine.config.idle_timeout)
            self.children.append(Child(None, peer, session.opened, session))
            session.start()
            return None
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
            if child.session is not None:
                child.process = child.session.process
            if child.process is not None:
                with contextlib.suppress(OSError):
                    child.process.terminate()
        deadline = time.monotonic() + TERMINATE_WAIT
        for child in list(self.children):
            if child.process is None:  # under --tls, still in the handshake
                self._ended(child, "shutdown")
                continue
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            if child.session is not None:  # let the relay hand on the program's last bytes
                child.session.finished.wait(max(0.0, deadline - time.monotonic()))
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
