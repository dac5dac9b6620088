"""One certificate as people check it: names, validity, key, signature and fingerprint.

Parsing is cryptography's (the optional ``tls`` extra); ``require_cryptography`` turns its absence
into one line that says what to install.
"""

import datetime
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from netkit.errors import NetkitError

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

INSTALL_HINT = "pip install 'netkit[tls]'"


def require_cryptography() -> ModuleType:
    """The cryptography.x509 module, or a one-line error naming the extra to install."""
    try:
        from cryptography import x509
    except ImportError:
        raise NetkitError(
            f"certificate details need the cryptography package ({INSTALL_HINT})"
        ) from None
    return x509


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """A certificate as the server sent it (position 0 is the server's own)."""

    subject: str  # RFC 4514, e.g. CN=example.org,O=Example
    issuer: str
    names: tuple[str, ...]  # subjectAltName entries: DNS:example.org, IP:192.0.2.1, ...
    not_before: str  # ISO 8601, UTC
    not_after: str
    days_left: int  # whole days until not_after; negative once expired
    key_type: str  # RSA, EC P-256, Ed25519, ...
    key_bits: int | None
    signature_algorithm: str  # e.g. sha256WithRSAEncryption, ecdsa-with-SHA256
    sha256: str  # the SHA-256 fingerprint of the DER, as AA:BB:...
    self_signed: bool  # subject and issuer are the same name
    ca: bool  # basicConstraints CA:TRUE


def _key_description(public_key: object) -> tuple[str, int | None]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA", public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curves = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
        name = public_key.curve.name
        return f"EC {curves.get(name, name)}", public_key.key_size
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA", public_key.key_size
    return type(public_key).__name__, None


def _names(certificate: "Certificate") -> tuple[str, ...]:
    x509 = require_cryptography()
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    labels = {x509.DNSName: "DNS", x509.IPAddress: "IP", x509.RFC822Name: "email",
              x509.UniformResourceIdentifier: "URI"}  # fmt: skip
    names = []
    for general_name in extension.value:
        label = labels.get(type(general_name), type(general_name).__name__)
        names.append(f"{label}:{general_name.value}")
    return tuple(names)


def _is_ca(certificate: "Certificate") -> bool:
    x509 = require_cryptography()
    try:
        extension = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return bool(extension.value.ca)


def describe_certificate(der: bytes, now: datetime.datetime) -> CertificateInfo:
    """What a DER certificate says, with days left counted from ``now`` (aware, UTC)."""
    x509 = require_cryptography()
    from cryptography.hazmat.primitives import hashes

    certificate = x509.load_der_x509_certificate(der)
    not_before = certificate.not_valid_before_utc
    not_after = certificate.not_valid_after_utc
    key_type, key_bits = _key_description(certificate.public_key())
    oid = certificate.signature_algorithm_oid
    signature = getattr(oid, "_name", None) or oid.dotted_string
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        names=_names(certificate),
        not_before=not_before.isoformat(),
        not_after=not_after.isoformat(),
        days_left=(not_after - now) // datetime.timedelta(days=1),
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=signature,
        sha256=fingerprint,
        self_signed=certificate.subject == certificate.issuer,
        ca=_is_ca(certificate),
    )
