"""The TLS client's diagnosis: what the handshake settled, the chain as sent, and the verdict.

A diagnosis takes two connections. The first verifies (system CAs or --ca, and the name); if
OpenSSL refuses the chain, its reason is kept and the handshake is made again without
verification, to see what the server sends. The session that connection ends with (its TLS 1.3
ticket is awaited for one round trip) is offered on the second connection, which is the one the
session uses: whether the server resumed it is the resumption result. A certificate that fails
verification ends there unless --insecure.
"""

import datetime
import ipaddress
import select
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from netkit.connect import EventSink, Target, format_address, open_socket
from netkit.errors import NetkitError
from netkit.tls.certificate import CertificateInfo, describe_certificate, require_cryptography
from netkit.tls.channel import TlsChannel
from netkit.tls.ocsp import request_stapling, stapled
from netkit.tls.verification import Verification, failed, passed

TICKET_WAIT = 0.25  # seconds the first connection waits for TLS 1.3 session tickets

_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """What the client asks for and whom it trusts."""

    sni: str | None = None  # the name sent and verified; None: HOST (no SNI for an address)
    alpn: tuple[str, ...] = ()
    ca_file: str | None = None  # None: the system CAs
    insecure: bool = False  # go on when verification fails
    client_cert: str | None = None
    client_key: str | None = None
    min_version: str | None = None  # one of netkit.tls.TLS_VERSIONS
    max_version: str | None = None


@dataclass(frozen=True, slots=True)
class TlsDiagnosis:
    """One TLS connection diagnosed (the --json object; field names are stable)."""

    peer: str  # 127.0.0.1:443
    sni: str | None  # the server name sent (None for an IP address without --sni)
    protocol: str  # TLSv1.3
    cipher: str  # TLS_AES_256_GCM_SHA384
    cipher_bits: int | None
    alpn_offered: tuple[str, ...]
    alpn: str | None  # the protocol the server chose, None when it chose none
    resumption: bool | None  # the second connection resumed the first's session; None: not tried
    ocsp_stapled: bool | None  # a stapled OCSP response came; None: could not be asked for
    chain: tuple[CertificateInfo, ...]  # as the server sent it, its own certificate first
    verification: Verification


@dataclass(frozen=True, slots=True)
class Diagnosed:
    """A diagnosis and the open connection it ends with (None when it failed verification)."""

    diagnosis: TlsDiagnosis
    channel: TlsChannel | None


def server_name(target: Target, settings: TlsSettings) -> str:
    """The name to verify (and to send as SNI unless it is an address)."""
    if settings.sni:
        return settings.sni
    host = target.host
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def make_context(settings: TlsSettings, *, verify: bool) -> ssl.SSLContext:
    """A client context: verifying (CERT_REQUIRED, the name checked) or looking only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        try:
            if settings.ca_file:
                context.load_verify_locations(cafile=settings.ca_file)
            else:
                context.load_default_certs()
        except (OSError, ssl.SSLError) as error:
            raise NetkitError(f"cannot load CA file {settings.ca_file}: {error}") from None
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.alpn:
        context.set_alpn_protocols(list(settings.alpn))
    if settings.min_version:
        context.minimum_version = _VERSIONS[settings.min_version]
    if settings.max_version:
        context.maximum_version = _VERSIONS[settings.max_version]
    if settings.client_cert:
        try:
            context.load_cert_chain(settings.client_cert, settings.client_key)
        except (OSError, ssl.SSLError) as error:
            raise NetkitError(f"cannot load client certificate: {error}") from None
    return context


def _handshake(
    target: Target,
    context: ssl.SSLContext,
    name: str,
    timeout: float | None,
    on_event: EventSink,
    *,
    session: ssl.SSLSession | None = None,
) -> ssl.SSLSocket:
    """The diagnosis connection: an SSLSocket, which shows the chain as sent."""
    sock = open_socket(target, timeout, on_event, time.monotonic())
    with _handshake_errors(sock, timeout):
        return context.wrap_socket(sock, server_hostname=name, session=session)


def _session_connection(
    target: Target,
    context: ssl.SSLContext,
    name: str,
    timeout: float | None,
    on_event: EventSink,
    *,
    session: ssl.SSLSession | None,
) -> TlsChannel:
    """The connection the session relays over, offering the diagnosis connection's session."""
    sock = open_socket(target, timeout, on_event, time.monotonic())
    with _handshake_errors(sock, timeout):
        return TlsChannel.connect(sock, context, name, session, timeout)


@contextmanager
def _handshake_errors(sock: socket.socket, timeout: float | None) -> Iterator[None]:
    """A failed handshake closes the socket and becomes one line (verification failures pass
    through: they are the diagnosis)."""
    peer = format_address(sock.getpeername(), sock.family)
    try:
        yield
    except ssl.SSLCertVerificationError:
        sock.close()
        raise
    except ssl.SSLError as error:
        sock.close()
        reason = error.reason or error.strerror or str(error)
        raise NetkitError(f"TLS handshake with {peer} failed: {reason}") from None
    except TimeoutError:
        sock.close()
        limit = f" after {timeout:g} s" if timeout is not None else ""
        raise NetkitError(f"TLS handshake with {peer} timed out{limit}") from None
    except OSError as error:
        sock.close()
        reason = error.strerror or str(error)
        raise NetkitError(f"TLS handshake with {peer} failed: {reason}") from None


def sent_chain(sock: ssl.SSLSocket) -> list[bytes]:
    """The certificates as the server sent them, DER, its own first.

    Python 3.13 made this public (SSLSocket.get_unverified_chain); since 3.10 the C layer under
    every SSLSocket has had it (_ssl._SSLSocket.get_unverified_chain, from bpo-18233).
    """
    public = getattr(sock, "get_unverified_chain", None)
    if public is not None:
        return [bytes(der) for der in public()]
    inner = sock._sslobj  # type: ignore[attr-defined]  # the _ssl object under an SSLSocket (3.11, 3.12)
    certificates = inner.get_unverified_chain() or []
    der_encoding = 2  # _ssl.ENCODING_DER, which the ssl module does not re-export
    return [certificate.public_bytes(der_encoding) for certificate in certificates]


def _await_tickets(sock: ssl.SSLSocket, timeout: float | None) -> None:
    """A TLS 1.3 server sends session tickets after the handshake: read for one round trip
    (whatever application data comes too is not this connection's business)."""
    if sock.version() != "TLSv1.3":
        return
    sock.setblocking(False)
    deadline = time.monotonic() + min(TICKET_WAIT, timeout or TICKET_WAIT)
    while (remaining := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            return
        try:
            if not sock.recv(65536):
                return
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            if sock.session is not None and sock.session.has_ticket:
                return
        except OSError:
            return


def diagnose(
    target: Target, settings: TlsSettings, timeout: float | None, on_event: EventSink
) -> Diagnosed:
    """Connect, verify, describe; open the connection to use unless verification failed (and
    no --insecure) or ``settings`` say to stop."""
    require_cryptography()
    name = server_name(target, settings)
    trusted = settings.ca_file or "system CAs"
    context = make_context(settings, verify=True)
    asked = request_stapling(context)
    error: ssl.SSLCertVerificationError | None = None
    try:
        probe = _handshake(target, context, name, timeout, on_event)
    except ssl.SSLCertVerificationError as refused:
        error = refused
        context = make_context(settings, verify=False)
        asked = request_stapling(context)
        probe = _handshake(target, context, name, timeout, on_event)
    try:
        now = datetime.datetime.now(datetime.UTC)
        chain = tuple(describe_certificate(der, now) for der in sent_chain(probe))
        peer = format_address(probe.getpeername(), probe.family)
        cipher, _, bits = probe.cipher() or ("", "", None)
        protocol = probe.version() or ""
        alpn = probe.selected_alpn_protocol()
        ocsp = stapled(probe) if asked else None
        _await_tickets(probe, timeout)
        session = probe.session
    finally:
        probe.close()
    if error is None:
        verdict = passed(trusted, name)
    else:
        verdict = failed(error.verify_code, error.verify_message, chain, trusted, name)
    channel: TlsChannel | None = None
    resumption: bool | None = None
    if verdict.verified or settings.insecure:
        channel = _session_connection(target, context, name, timeout, on_event, session=session)
        resumption = channel.session_reused
    diagnosis = TlsDiagnosis(
        peer=peer,
        sni=None if _is_address(name) else name,
        protocol=protocol,
        cipher=cipher,
        cipher_bits=bits,
        alpn_offered=settings.alpn,
        alpn=alpn,
        resumption=resumption,
        ocsp_stapled=ocsp,
        chain=chain,
        verification=verdict,
    )
    return Diagnosed(diagnosis, channel)
