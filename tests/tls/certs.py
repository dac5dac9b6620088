"""Certificates the TLS tests make: a test CA chain, and the broken kinds a diagnosis must name."""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: Key


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "netkit tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(  # noqa: PLR0913  # a certificate's fields, keyword arguments
    common_name: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    names: tuple[str, ...] = (),
    not_before: datetime.datetime = NOW - DAY,
    not_after: datetime.datetime = NOW + 90 * DAY,
    rsa_bits: int | None = None,
) -> Issued:
    """A certificate for ``common_name``: self-signed without ``issuer``; EC P-256 keys unless
    ``rsa_bits``."""
    key: Key = (
        rsa.generate_private_key(65537, rsa_bits)
        if rsa_bits
        else ec.generate_private_key(ec.SECP256R1())
    )
    signer = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class ServerFiles:
    """What a server is started with: its chain file (leaf first) and key file; for
    `openssl s_server`, which takes them apart, the leaf and the rest."""

    chain: Path
    key: Path
    leaf: Path
    rest: Path | None

    def s_server_args(self) -> list[str]:
        extra = ["-cert_chain", str(self.rest)] if self.rest else []
        return ["-cert", str(self.leaf), "-key", str(self.key), *extra]


@dataclass(frozen=True)
class Pki:
    """A root CA, an intermediate, and server certificates good and bad, written to a folder."""

    folder: Path
    ca_file: Path  # the test root, what --ca trusts
    root: Issued
    intermediate: Issued

    def server(self, label: str, leaf: Issued, *chain: Issued) -> ServerFiles:
        base = self.folder / label
        rest = base.with_suffix(".rest.pem") if chain else None
        files = ServerFiles(
            base.with_suffix(".chain.pem"),
            base.with_suffix(".key.pem"),
            base.with_suffix(".leaf.pem"),
            rest,
        )
        files.chain.write_bytes(pem(leaf.cert, *(extra.cert for extra in chain)))
        files.leaf.write_bytes(pem(leaf.cert))
        if rest is not None:
            rest.write_bytes(pem(*(extra.cert for extra in chain)))
        files.key.write_bytes(key_pem(leaf.key))
        return files


def make_pki(folder: Path) -> Pki:
    root = issue("netkit test root", ca=True, rsa_bits=2048)
    intermediate = issue("netkit test intermediate", issuer=root, ca=True)
    ca_file = folder / "root.pem"
    ca_file.write_bytes(pem(root.cert))
    return Pki(folder, ca_file, root, intermediate)


def ocsp_response(leaf: Issued, issuer: Issued) -> bytes:
    """A DER OCSP response saying ``leaf`` is good, signed by its issuer (what a server staples)."""
    from cryptography.x509 import ocsp

    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=leaf.cert,
            issuer=issuer.cert,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=NOW,
            next_update=NOW + DAY,
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
    )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
