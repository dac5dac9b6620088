"""The byte channel of a TLS client session (see netkit.connect.Channel), over memory BIOs.

Why memory BIOs rather than an SSLSocket: the client half-closes at the end of stdin by sending
close_notify (TLS's end of data, RFC 8446 section 6.1) and then reads the rest of the answer.
SSLSocket.unwrap() cannot do that: CPython calls SSL_shutdown() a second time at once, and that
call reads the socket looking for the peer's close_notify, throwing away the application data it
finds on the way. Here netkit moves the bytes between the socket and OpenSSL itself, so the
close_notify is sent with nothing unread in OpenSSL's reach (the incoming BIO is set aside for the
call), and reading goes on as before.

The other differences from a plain socket: a read can find only handshake or ticket records
(nothing for the application yet), OpenSSL can hold decrypted bytes select() cannot see
(``buffered``), and records OpenSSL produced can wait for the socket (``unsent``).
"""

import select
import socket
import ssl
import time
from typing import cast

from netkit.errors import NetkitError

RECORD_READ = 65536  # bytes taken from the socket at a time (below glibc's mmap threshold)


class TlsChannel:
    """A TLS connection over a connected, non-blocking socket and two memory BIOs."""

    write_end = "close_notify (TLS's end of data)"

    def __init__(self, sock: socket.socket, tls: ssl.SSLObject, incoming: ssl.MemoryBIO,
                 outgoing: ssl.MemoryBIO) -> None:  # fmt: skip
        self.sock = sock
        self.tls = tls
        self.incoming = incoming
        self.outgoing = outgoing
        self.out = bytearray()  # records for the socket that it has not taken yet
        self.close_notify_due = False
        self.peer_closed = False
        self.more_records = False  # the last read got data: more may wait in the incoming BIO

    @classmethod
    def connect(
        cls,
        sock: socket.socket,
        context: ssl.SSLContext,
        server_name: str,
        session: ssl.SSLSession | None,
        timeout: float | None,
    ) -> "TlsChannel":
        """Make the handshake on ``sock`` (already connected), within ``timeout``."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name, session=session)
        channel = cls(sock, tls, incoming, outgoing)
        sock.setblocking(False)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                channel._wait_for_records(deadline)
                continue
            channel._drain_outgoing()
            channel._flush_blocking(deadline)
            return channel

    def _wait_for_records(self, deadline: float | None) -> None:
        self._drain_outgoing()
        self._flush_blocking(deadline)
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        readable, _, _ = select.select([self.sock], [], [], remaining)
        if not readable:
            raise TimeoutError("TLS handshake timed out")
        data = self.sock.recv(RECORD_READ)
        if not data:
            raise ConnectionResetError(0, "the server closed the connection during the handshake")
        self.incoming.write(data)

    def _flush_blocking(self, deadline: float | None) -> None:
        while self.out:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            _, writable, _ = select.select([], [self.sock], [], remaining)
            if not writable:
                raise NetkitError("TLS handshake timed out")
            self.flush()

    def _drain_outgoing(self) -> None:
        if self.outgoing.pending:
            self.out += self.outgoing.read()

    @property
    def session(self) -> ssl.SSLSession | None:
        return self.tls.session

    @property
    def session_reused(self) -> bool:
        return self.tls.session_reused

    def recv_into(self, buffer: bytearray) -> int | None:
        received = self._read_plaintext(buffer)
        if received is not None or self.peer_closed:
            return received
        try:
            data = self.sock.recv(RECORD_READ)
        except BlockingIOError:
            return None
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()
            self.peer_closed = True
        received = self._read_plaintext(buffer)
        if received is None and self.peer_closed:
            return 0  # the TCP connection ended without close_notify: an end all the same
        return received

    def _read_plaintext(self, buffer: bytearray) -> int | None:
        try:
            # Given a buffer, read() returns the count (typeshed says bytes).
            received: int | None = cast(int, self.tls.read(len(buffer), buffer))
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            received = None
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            received = 0
        self.more_records = bool(received)
        self._drain_outgoing()
        self._send_close_notify_when_safe()
        return received

    def send(self, data: memoryview) -> int:
        if self.out:
            self.flush()
            if self.out:
                return 0
        written = self.tls.write(data)
        self._drain_outgoing()
        self.flush()
        return written

    def close_write(self) -> None:
        self.close_notify_due = True
        self._send_close_notify_when_safe()
        self.flush()

    def _send_close_notify_when_safe(self) -> None:
        """SSL_shutdown reads while it looks for the peer's close_notify and discards the data it
        finds: it is called only when OpenSSL holds no decrypted bytes, with the unread records
        set aside and put back afterwards."""
        if not self.close_notify_due or self.tls.pending():
            return
        self.close_notify_due = False
        unread = self.incoming.read()
        try:
            self.tls.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass  # sent; the peer's own close_notify is still to come
        finally:
            if unread:
                self.incoming.write(unread)
        self._drain_outgoing()

    def buffered(self) -> bool:
        return self.tls.pending() > 0 or (self.more_records and self.incoming.pending > 0)

    def unsent(self) -> bool:
        return bool(self.out)

    def flush(self) -> None:
        while self.out:
            try:
                sent = self.sock.send(self.out)
            except BlockingIOError:
                return
            del self.out[:sent]
