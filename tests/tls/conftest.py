"""A test PKI made once per run, and TLS servers the tests start and always stop."""

import re
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.connect.servers import echo_all, stream_server
from tests.support import free_port, require_tool
from tests.tls.certs import DAY, NOW, Pki, ServerFiles, issue, make_pki

KINDS = (
    "good",
    "incomplete",
    "expired",
    "not-yet-valid",
    "wrong-name",
    "self-signed",
    "unknown-issuer",
)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def servers(pki: Pki) -> dict[str, ServerFiles]:
    """Server files of every kind a diagnosis names, for the name localhost."""
    names = ("localhost", "127.0.0.1")
    middle = pki.intermediate
    stranger_root = issue("stranger root", ca=True)
    stranger = issue("stranger intermediate", issuer=stranger_root, ca=True)
    good = issue("localhost", issuer=middle, names=names)
    return {
        "good": pki.server("good", good, middle),
        "incomplete": pki.server("incomplete", good),
        "expired": pki.server(
            "expired",
            issue(
                "localhost",
                issuer=middle,
                names=names,
                not_before=NOW - 100 * DAY,
                not_after=NOW - 10 * DAY,
            ),
            middle,
        ),
        "not-yet-valid": pki.server(
            "not-yet-valid",
            issue(
                "localhost",
                issuer=middle,
                names=names,
                not_before=NOW + 10 * DAY,
                not_after=NOW + 100 * DAY,
            ),
            middle,
        ),
        "wrong-name": pki.server(
            "wrong-name",
            issue("elsewhere.example", issuer=middle, names=("elsewhere.example",)),
            middle,
        ),
        "self-signed": pki.server("self-signed", issue("localhost", names=names)),
        "unknown-issuer": pki.server(
            "unknown-issuer", issue("localhost", issuer=stranger, names=names), stranger
        ),
    }


@contextmanager
def s_server(files: ServerFiles, *extra: str) -> Iterator[int]:
    """`openssl s_server` with ``files`` on a loopback port; yields the port."""
    openssl = require_tool("openssl")
    port = free_port()
    argv = [
        openssl,
        "s_server",
        "-accept",
        f"127.0.0.1:{port}",
        *files.s_server_args(),
        "-quiet",
        *extra,
    ]
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.kill()
        process.wait(5)


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until something accepts on 127.0.0.1:``port`` (checked with a probe connection)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"the server exited with status {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listening on port {port}")


@contextmanager
def tls_echo_server(files: ServerFiles) -> Iterator[int]:
    """A Python TLS server that echoes until the client's close_notify, then closes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.chain, files.key)

    def serve(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            echo_all(tls)

    with stream_server(serve) as (_host, port):
        yield port


def s_client_verdict(port: int, ca_file: Path, name: str = "localhost") -> dict[str, str]:
    """What `openssl s_client` says of the server: verify code and text, protocol, cipher,
    and the SHA-256 of every certificate it was sent."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    openssl = require_tool("openssl")
    done = subprocess.run(
        [
            openssl,
            "s_client",
            "-connect",
            f"127.0.0.1:{port}",
            "-servername",
            name,
            "-verify_hostname",
            name,
            "-CAfile",
            str(ca_file),
            "-showcerts",
        ],
        input=b"",
        capture_output=True,
        timeout=20,
        check=False,
    )
    out = done.stdout.decode(errors="replace")
    code = re.search(r"Verify return code: (\d+) \((.*)\)", out)
    session = re.search(r"New, (TLSv[\d.]+), Cipher is (\S+)", out)
    assert code and session, out
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    fingerprints = [
        x509.load_pem_x509_certificate(block.encode()).fingerprint(hashes.SHA256()).hex(":").upper()
        for block in blocks
    ]
    return {
        "code": code.group(1),
        "text": code.group(2),
        "protocol": session.group(1),
        "cipher": session.group(2),
        "chain": " ".join(fingerprints),
    }
