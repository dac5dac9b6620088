"""TLS for `netkit listen tcp --tls`: the server context, a certificate for the session when none
is given, and the handshake in both kinds of design.

The blocking designs make the handshake with blocking calls before serving. The event loops make
it without blocking: do_handshake() on a non-blocking SSL socket says what it waits for
(SSLWantReadError: the client's next flight; SSLWantWriteError: room in the socket buffer), the
connection waits for exactly that, and once the handshake is done the connection's ordinary
handler takes over. A connection then reads and writes through the SSL socket with the wants
turned into BlockingIOError, which the state machine already treats as "not now" (an SSL_write
that must wait is retried with the same bytes first, as OpenSSL requires).

A read returns the plaintext of at most one TLS record (16 KiB, below the 64 KiB read buffer) and
OpenSSL reads ahead no further, so whatever is not read yet is still in the kernel's socket
buffer, where level-triggered readiness sees it.
"""

import datetime
import os
import socket
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netkit.errors import NetkitError
from netkit.listen.connection import Connection
from netkit.listen.mux.poller import READABLE, WRITABLE

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

Handlers = dict[int, Callable[[int], None]]  # the event loop's: what to call when a fd is ready
HANDSHAKE_TIMEOUT = 10.0  # seconds a blocking design gives a client to finish the handshake


@dataclass(frozen=True, slots=True)
class ServerCertificate:
    """The certificate the listener presents, as the readiness note describes it."""

    subject: str
    sha256: str
    self_signed_for_session: bool


def server_context(
    cert_file: str | None, key_file: str | None
) -> tuple[ssl.SSLContext, ServerCertificate]:
    """A server context with ``cert_file`` (and ``key_file``), or with a self-signed certificate
    made for this session when no file is given."""
    from netkit.tls.certificate import describe_certificate, require_cryptography

    require_cryptography()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    made = cert_file is None
    with tempfile.TemporaryDirectory(prefix="netkit-tls-") as folder:
        if cert_file is None:
            cert_file, key_file = _self_signed(folder)
        try:
            context.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as error:
            raise NetkitError(f"cannot load the server certificate: {error}") from None
        with open(cert_file, "rb") as pem:
            der = _first_certificate(pem.read())
    info = describe_certificate(der, datetime.datetime.now(datetime.UTC))
    return context, ServerCertificate(info.subject, info.sha256, made)


def _first_certificate(pem: bytes) -> bytes:
    """The DER of the first certificate in a PEM file (the server's own, in a chain file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def _self_signed(folder: str) -> tuple[str, str]:
    """An EC P-256 certificate for localhost, 127.0.0.1 and ::1, valid for a day."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netkit listen (self-signed)")])
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    with open(cert_file, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or str(error)
    return f"tls handshake failed: {reason}"


def blocking_handshake(
    context: ssl.SSLContext, sock: socket.socket, idle_timeout: float | None
) -> ssl.SSLSocket | str:
    """The server side of the handshake with blocking calls; the SSL socket, or why not."""
    sock.settimeout(idle_timeout or HANDSHAKE_TIMEOUT)
    try:
        tls = context.wrap_socket(sock, server_side=True)
    except (OSError, ValueError) as error:
        return _reason(error)
    tls.settimeout(idle_timeout)
    return tls


class LoopHandshake:
    """The non-blocking handshake of one event-loop connection; then it hands over."""

    __slots__ = ("connection", "handlers", "tls")

    def __init__(self, connection: Connection, handlers: Handlers) -> None:
        self.connection = connection
        self.handlers = handlers
        tls = connection.sock
        assert isinstance(tls, ssl.SSLSocket)
        self.tls = tls

    def on_event(self, mask: int) -> None:
        connection = self.connection
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            connection.set_interest(READABLE)
            return
        except ssl.SSLWantWriteError:
            connection.set_interest(WRITABLE)
            return
        except (OSError, ValueError) as error:
            connection.close_connection(connection, _reason(error))
            return
        self.handlers[connection.fd] = connection.on_event
        connection.set_interest(READABLE)


def wrap_for_loop(
    context: ssl.SSLContext, connection: Connection, handlers: Handlers
) -> LoopHandshake:
    """Put TLS under an event-loop connection (its socket already non-blocking); the handshake
    is its handler in ``handlers`` until it is done."""
    tls = context.wrap_socket(connection.sock, server_side=True, do_handshake_on_connect=False)
    connection.sock = tls
    recv_into, send = tls.recv_into, tls.send

    def tls_recv_into(buffer: "WriteableBuffer", nbytes: int = 0, flags: int = 0) -> int:
        try:
            return recv_into(buffer, nbytes, flags)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise BlockingIOError from None

    def tls_send(data: "ReadableBuffer", flags: int = 0) -> int:
        try:
            return send(data, flags)
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            raise BlockingIOError from None

    connection.recv_into = tls_recv_into
    connection.send = tls_send
    return LoopHandshake(connection, handlers)


def close_politely(sock: socket.socket) -> None:
    """Send close_notify when the socket is TLS, without waiting for the peer's (after the
    peer's own close_notify that is the whole exchange), then close it."""
    if isinstance(sock, ssl.SSLSocket):
        try:
            sock.setblocking(False)
            sock.unwrap()
        except (OSError, ValueError):
            pass
    sock.close()
