"""Whether a server's certificate is trusted, and if not, the one reason people act on.

OpenSSL verifies during the handshake (``ssl`` with CERT_REQUIRED and check_hostname) and stops
at its first error. Its code is mapped to the reason a person fixes: an expired certificate is
renewed, a missing intermediate is added to the server's chain file, a private CA is trusted with
--ca. One case needs the chain as sent: OpenSSL says "unable to get local issuer certificate" (20)
both when the server sent its certificate alone and its issuer is unknown, and when the server
sent intermediates whose root is unknown; `openssl s_client`, which keeps going after the first
error, ends the first case with 21 ("unable to verify the first certificate"). netkit says
"incomplete chain" for the first (the usual cause: the chain file lacks the intermediate) and
"unknown issuer" for the second, and reports the code s_client would.
"""

from dataclasses import dataclass

from netkit.tls.certificate import CertificateInfo

# X509_V_ERR_* codes (openssl/x509_vfy.h) and the reasons people know them by.
NOT_YET_VALID = 9
EXPIRED = 10
SELF_SIGNED = 18
SELF_SIGNED_IN_CHAIN = 19
ISSUER_NOT_LOCAL = 20
FIRST_NOT_VERIFIABLE = 21
ISSUER_UNKNOWN = 2
HOSTNAME_MISMATCH = 62
IP_MISMATCH = 64

REASONS = {
    NOT_YET_VALID: "not yet valid",
    EXPIRED: "expired",
    SELF_SIGNED: "self-signed",
    SELF_SIGNED_IN_CHAIN: "unknown issuer",
    ISSUER_NOT_LOCAL: "unknown issuer",
    ISSUER_UNKNOWN: "unknown issuer",
    FIRST_NOT_VERIFIABLE: "incomplete chain",
    HOSTNAME_MISMATCH: "hostname mismatch",
    IP_MISMATCH: "hostname mismatch",
}

# OpenSSL's own texts (X509_verify_cert_error_string), as s_client prints them.
OPENSSL_TEXTS = {
    NOT_YET_VALID: "certificate is not yet valid",
    EXPIRED: "certificate has expired",
    SELF_SIGNED: "self-signed certificate",
    SELF_SIGNED_IN_CHAIN: "self-signed certificate in certificate chain",
    ISSUER_NOT_LOCAL: "unable to get local issuer certificate",
    ISSUER_UNKNOWN: "unable to get issuer certificate",
    FIRST_NOT_VERIFIABLE: "unable to verify the first certificate",
    HOSTNAME_MISMATCH: "hostname mismatch",
    IP_MISMATCH: "IP address mismatch",
}


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict on the chain, against the system CAs or a --ca file."""

    verified: bool
    reason: str | None  # expired, not yet valid, hostname mismatch, self-signed, unknown
    # issuer, incomplete chain, or OpenSSL's text for anything rarer; None when verified
    openssl_code: int  # the X509_V_ERR code `openssl s_client` ends with (0: ok)
    openssl_text: str  # its text, e.g. "certificate has expired"
    detail: str | None  # the error as OpenSSL and Python put it
    trusted: str  # "system CAs" or the --ca file
    hostname: str | None  # the name the certificate had to match (None: not checked)


def passed(trusted: str, hostname: str | None) -> Verification:
    return Verification(True, None, 0, "ok", None, trusted, hostname)


def failed(
    code: int,
    message: str,
    chain: tuple[CertificateInfo, ...],
    trusted: str,
    hostname: str | None,
) -> Verification:
    """The verdict for OpenSSL's first error ``code`` on the chain the server sent."""
    if code in (ISSUER_NOT_LOCAL, ISSUER_UNKNOWN) and _leaf_sent_alone(chain):
        code = FIRST_NOT_VERIFIABLE
    text = OPENSSL_TEXTS.get(code) or message
    reason = REASONS.get(code, text)
    return Verification(False, reason, code, text, message, trusted, hostname)


def _leaf_sent_alone(chain: tuple[CertificateInfo, ...]) -> bool:
    """The server sent its own certificate and no issuer for it."""
    if not chain or chain[0].self_signed:
        return False
    return all(extra.subject != chain[0].issuer for extra in chain[1:])
