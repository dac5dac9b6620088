"""`listen --exec CMD --tls`: the program speaks plaintext, netkit speaks TLS to the client.

Without TLS the program gets the connection itself as its standard input and output. With TLS
it cannot: the bytes on the socket are records only netkit's SSL object can read. So each client
gets a thread that makes the handshake, starts the program on one end of a socketpair, and relays
between the SSL socket and the other end, with EOF carried both ways as in the plain case:

- the client's close_notify (or FIN) is the client's half-close: once what it sent has reached
  the program, the program's standard input gets EOF (shutdown SHUT_WR on the pair);
- the program's EOF on its standard output (it closed it, or exited) ends the session: once
  what it wrote has reached the client, netkit sends its close_notify and closes.

One thread per client is proportionate here: there is already one process per client. The
relay waits in select() on its two sockets; the SSL object is only ever touched by its thread.
Writes that must wait are retried with the same bytes, as OpenSSL requires.
"""

import contextlib
import select
import socket
import ssl
import subprocess
import threading
import time

from netkit.listen.tls import blocking_handshake
from netkit.threads import stop_signals_held

CHUNK = 16384  # one TLS record's worth of plaintext per send
BUFFER_LIMIT = 256 * 1024  # reading from a side pauses while this much is waiting for the other


class TlsExecSession:
    """One client of `--exec --tls`: handshake, program, relay; read by the accepting thread
    only through ``finished``, ``failure``, ``process`` and the byte counts."""

    def __init__(
        self, context: ssl.SSLContext, sock: socket.socket, argv: list[str], idle: float | None
    ) -> None:
        self.context, self.sock, self.argv, self.idle = context, sock, argv, idle
        self.process: subprocess.Popen[bytes] | None = None
        self.failure: str | None = None  # why the session ended before the program ran
        self.bytes_in = 0  # from the client, to the program
        self.bytes_out = 0  # from the program, to the client
        self.opened = time.monotonic()
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="netkit-exec-tls", daemon=True)

    def start(self) -> None:
        with stop_signals_held():
            self._thread.start()

    def _run(self) -> None:
        try:
            tls = blocking_handshake(self.context, self.sock, self.idle)
            if isinstance(tls, str):
                self.failure = tls
                self.sock.close()
                return
            ours, theirs = socket.socketpair()
            try:
                self.process = subprocess.Popen(
                    self.argv, stdin=theirs.fileno(), stdout=theirs.fileno(), close_fds=True
                )
            except OSError as error:
                self.failure = f"cannot run {self.argv[0]}: {error.strerror or error}"
                ours.close()
                tls.close()
                return
            finally:
                theirs.close()
            with ours, tls:
                self._relay(tls, ours)
        except (OSError, ValueError) as error:
            self.failure = self.failure or f"error: {error}"
        finally:
            self.finished.set()

    def _relay(self, tls: ssl.SSLSocket, program: socket.socket) -> None:
        """Both directions and their EOFs, until the program's output has all reached the
        client (or --idle-timeout passes without traffic)."""
        tls.setblocking(False)
        program.setblocking(False)
        to_program, to_client = bytearray(), bytearray()
        client_eof = program_eof = stdin_closed = False
        while not (program_eof and not to_client):
            if client_eof and not to_program and not stdin_closed:
                program.shutdown(socket.SHUT_WR)  # the client's half-close, passed on
                stdin_closed = True
            readers: list[socket.socket] = []
            if not client_eof and len(to_program) < BUFFER_LIMIT:
                readers.append(tls)
            if not program_eof and len(to_client) < BUFFER_LIMIT:
                readers.append(program)
            writers = [side for side, data in ((program, to_program), (tls, to_client)) if data]
            ready_r: list[socket.socket]
            ready_w: list[socket.socket]
            if tls in readers and tls.pending():
                ready_r, ready_w = [tls], []
            else:
                ready_r, ready_w, _ = select.select(readers, writers, [], self.idle)
                if not ready_r and not ready_w:
                    return  # idle for --idle-timeout
            if tls in ready_r:
                client_eof = self._from_client(tls, to_program)
            if program in ready_r:
                data = program.recv(65536)
                program_eof = not data
                to_client += data
            if program in ready_w and to_program and not self._to_program(program, to_program):
                client_eof = stdin_closed = True  # the program stopped reading
                to_program.clear()
            if tls in ready_w or (to_client and tls in ready_r):
                self._to_client(tls, to_client)
        _close_notify(tls)

    def _to_program(self, program: socket.socket, to_program: bytearray) -> bool:
        """Hand the program what the client sent; False when it no longer reads (it closed
        its standard input or exited): what the client sends from then on is dropped, and
        what the program wrote still goes to the client."""
        try:
            sent = program.send(to_program)
        except BlockingIOError:
            return True
        except OSError:
            return False
        del to_program[:sent]
        self.bytes_in += sent
        return True

    @staticmethod
    def _from_client(tls: ssl.SSLSocket, to_program: bytearray) -> bool:
        """Read what the client sent; True at its EOF (close_notify or FIN)."""
        try:
            data = tls.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        except (ConnectionError, ssl.SSLError):
            return True  # a reset or a broken record: the client is gone
        to_program += data
        return not data

    def _to_client(self, tls: ssl.SSLSocket, to_client: bytearray) -> None:
        """Send the program's output; a client that went away (reset, or closed outright
        after its close_notify, as ncat --ssl and s_client do at the end of their input)
        ends the relay through the OSError."""
        try:
            sent = tls.send(to_client[:CHUNK])
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            return  # the same bytes again when select says so
        del to_client[:sent]
        self.bytes_out += sent


def _close_notify(tls: ssl.SSLSocket) -> None:
    """Send close_notify without waiting for the client's (it may have sent it already)."""
    with contextlib.suppress(OSError, ValueError):
        tls.unwrap()
