"""A real authoritative DNS server (NSD) for the whole session, serving zones written here."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.resolve.nsd import Nsd, running_nsd
from tests.support import require_tool

# Every record type the issue names that NSD serves, CNAME chains, a wildcard, an IDN, a
# delegation (for DS), and an RRset too big for a 1232-octet UDP reply (TCP fallback).
EXAMPLE_ZONE = """\
$ORIGIN example.test.
$TTL 300
@            IN SOA    ns1 hostmaster 2024010101 3600 600 86400 300
@            IN NS     ns1
@            IN MX     10 mail
@            IN MX     20 mail2
@            IN TXT    "v=spf1 -all"
@            IN TXT    "hello world" "second string"
@            IN CAA    0 issue "letsencrypt.org"
@            IN DNSKEY 257 3 13 {key}
@            IN HTTPS  1 . alpn=h2,h3
_svc         IN SVCB   1 svc.example.test. port=8443
ns1          IN A      127.0.0.1
mail         IN A      192.0.2.25
mail2        IN AAAA   2001:db8::25
www          IN CNAME  web
web          IN CNAME  host
host         IN A      192.0.2.10
host         IN AAAA   2001:db8::10
dangling     IN CNAME  nowhere
_http._tcp   IN SRV    10 5 80 host
*.wild       IN A      192.0.2.99
xn--bcher-kva IN A     192.0.2.77
child        IN NS     ns.child
child        IN DS     12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.child     IN A      192.0.2.53
"""
DNSKEY = "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="
BIG_RRSET = "".join(
    f'big          IN TXT    "record {i:03d} padding padding padding padding padding"\n'
    for i in range(60)
)
REVERSE_V4_ZONE = """\
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@   IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@   IN NS  ns1.example.test.
10  IN PTR host.example.test.
25  IN PTR mail.example.test.
"""
REVERSE_V6_ZONE = """\
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 300
@   IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@   IN NS  ns1.example.test.
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR host.example.test.
"""
ZONES = {
    "example.test.": EXAMPLE_ZONE.format(key=DNSKEY) + BIG_RRSET,
    "2.0.192.in-addr.arpa.": REVERSE_V4_ZONE,
    "8.b.d.0.1.0.0.2.ip6.arpa.": REVERSE_V6_ZONE,
}


@pytest.fixture(scope="session")
def nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nsd]:
    """NSD on 127.0.0.1 at a free high port, stopped when the session ends."""
    binary = require_tool("nsd")
    directory: Path = tmp_path_factory.mktemp("nsd")
    with running_nsd(binary, directory, ZONES) as server:
        yield server


@pytest.fixture(scope="session")
def at_nsd(nsd: Nsd) -> list[str]:
    """The command-line arguments that point netkit at the test NSD."""
    return ["--dns", "@127.0.0.1", "--port", str(nsd.port), "--timeout", "2"]


@pytest.fixture(scope="session")
def nsd_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nsd]:
    """NSD answering DNS over TLS with a self-signed certificate for ns1.example.test."""
    binary = require_tool("nsd")
    openssl = require_tool("openssl")
    directory: Path = tmp_path_factory.mktemp("nsd-tls")
    key, pem = directory / "tls.key", directory / "tls.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", str(key), "-out", str(pem), "-days", "2",
            "-subj", "/CN=ns1.example.test", "-addext", "subjectAltName=DNS:ns1.example.test",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    with running_nsd(binary, directory, ZONES, tls=(key, pem)) as server:
        yield server
