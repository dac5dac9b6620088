"""The TLS diagnosis for people (aligned lines) and for scripts (one JSON object).

Everything in a certificate came from the server: subjects, names and issuers are shown through
``format_line`` (control characters escaped), exact in JSON.
"""

import dataclasses
import sys
from typing import TextIO

from netkit.render.output import Line, Styled, emit_lines, json_text, to_jsonable
from netkit.tls.certificate import CertificateInfo
from netkit.tls.client import TlsDiagnosis
from netkit.tls.verification import Verification

_LABEL_WIDTH = 10


def _field(label: str, *value: str | Styled, width: int = _LABEL_WIDTH) -> Line:
    return [Styled(f"{label:<{width}} ", fg="cyan"), *value]


def _nested(label: str, *value: str | Styled) -> Line:
    """A certificate's field, under its [n] line."""
    return [f"{'':6}", *_field(label, *value, width=6)]


def _yes_no(value: bool | None, yes: str, no: str, unknown: str) -> str:
    return unknown if value is None else (yes if value else no)


def _validity(certificate: CertificateInfo) -> list[str | Styled]:
    days = certificate.days_left
    left = (
        Styled(f"expired {-days} days ago", fg="red")
        if days < 0
        else Styled(f"{days} days left", fg="yellow" if days < 30 else None)
    )
    return [f"{certificate.not_before} .. {certificate.not_after} (", left, ")"]


def _certificate_lines(position: int, certificate: CertificateInfo) -> list[Line]:
    key = certificate.key_type
    if certificate.key_bits is not None:
        key += f" {certificate.key_bits} bits"
    lines: list[Line] = [
        [Styled(f"  [{position}] ", bold=True), certificate.subject],
        _nested("issuer", certificate.issuer),
    ]
    if certificate.names:
        lines.append(_nested("names", ", ".join(certificate.names)))
    lines += [
        _nested("valid", *_validity(certificate)),
        _nested("key", f"{key}, signed {certificate.signature_algorithm}"),
        _nested("sha256", certificate.sha256),
    ]
    return lines


def _verdict(verification: Verification) -> Line:
    against = f"against {verification.trusted}"
    if verification.hostname:
        against += f" for {verification.hostname}"
    if verification.verified:
        return _field("verified", Styled("yes", fg="green", bold=True), f" ({against})")
    code = f"OpenSSL {verification.openssl_code}: {verification.openssl_text}"
    return _field(
        "verified",
        Styled(f"NO: {verification.reason}", fg="red", bold=True),
        f" ({code}; {against})",
    )


def diagnosis_lines(diagnosis: TlsDiagnosis) -> list[Line]:
    bits = f" ({diagnosis.cipher_bits} bits)" if diagnosis.cipher_bits else ""
    offered = ", ".join(diagnosis.alpn_offered)
    alpn = diagnosis.alpn or ("none chosen" if offered else "not offered")
    if offered:
        alpn += f" (offered {offered})"
    resumption = _yes_no(
        diagnosis.resumption,
        "yes (the second connection resumed the first's session)",
        "no (the server did not resume the first connection's session)",
        "not tried",
    )
    ocsp = _yes_no(
        diagnosis.ocsp_stapled, "a stapled response", "no stapled response", "not known here"
    )
    count = len(diagnosis.chain)
    lines: list[Line] = [
        _field("tls", f"{diagnosis.protocol}, {diagnosis.cipher}{bits} with {diagnosis.peer}"),
        _field("sni", diagnosis.sni or "none (an address)"),
        _field("alpn", alpn),
        _field("resumption", resumption),
        _field("ocsp", ocsp),
        _field("chain", f"{count} certificate{'s' if count != 1 else ''} as sent"),
    ]
    for position, certificate in enumerate(diagnosis.chain):
        lines += _certificate_lines(position, certificate)
    lines.append(_verdict(diagnosis.verification))
    return lines


def render_diagnosis(diagnosis: TlsDiagnosis, *, as_json: bool, stream: TextIO) -> None:
    """Lines for people, or one JSON object (indented on stdout, one line in a log)."""
    if as_json:
        document = to_jsonable(diagnosis)
        if stream is sys.stdout:
            stream.write(json_text(document, 2) + "\n")
        else:
            assert isinstance(document, dict)
            stream.write(json_text({"event": "tls", **document}) + "\n")
        stream.flush()
        return
    emit_lines(diagnosis_lines(diagnosis), stream)
    stream.flush()


def diagnosis_fields() -> tuple[str, ...]:
    """The top-level --json fields (the manual lists them; a test keeps it honest)."""
    return tuple(field.name for field in dataclasses.fields(TlsDiagnosis))
