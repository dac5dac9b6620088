"""`netkit listen tcp --tls` in every design, against `openssl s_client`, `ncat --ssl` and
netkit's own client: every byte echoed up to 1 MiB, and the half-close (close_notify) honoured."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.connect.test_connect import connect
from tests.listen.clients import Listener, feed_and_read
from tests.listen.test_mux import every_design
from tests.support import require_tool
from tests.tls.certs import Pki, issue, make_pki

SIZES = (1, 16 * 1024 + 1, 1 << 20)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("listen-pki"))


def _tls_listener(start: object, mux: str, pki: Pki | None = None) -> Listener:
    args = ["tcp", "--port", "0", "--mux", mux, "--tls"]
    if pki is not None:
        leaf = issue("localhost", issuer=pki.intermediate, names=("localhost", "127.0.0.1"))
        files = pki.server(f"listen-{mux}", leaf, pki.intermediate)
        args += ["--cert", str(files.chain), "--key", str(files.key)]
    listener = start(*args)  # type: ignore[operator]  # the listener_factory fixture
    assert isinstance(listener, Listener)
    return listener


def _port(listener: Listener) -> str:
    return listener.address.rsplit(":", 1)[1]


@every_design
def test_every_byte_back_and_half_close_with_netkit_connect(
    listener_factory: object, mux: str, pki: Pki
) -> None:
    listener = _tls_listener(listener_factory, mux, pki)
    for size in SIZES:
        payload = os.urandom(size)
        result = connect("tls", "localhost", _port(listener), "--ca", str(pki.ca_file),
                         data=payload)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout == payload, (mux, size)


@every_design
def test_ncat_ssl_half_closes_and_gets_every_byte(listener_factory: object, mux: str) -> None:
    ncat = require_tool("ncat")
    listener = _tls_listener(listener_factory, mux)
    for size in SIZES:
        payload = os.urandom(size)
        done = subprocess.run([ncat, "--ssl", "127.0.0.1", _port(listener)], input=payload,
                              capture_output=True, timeout=30, check=False)  # fmt: skip
        assert done.stdout == payload, (mux, size, done.stderr)


@every_design
def test_openssl_s_client_gets_every_byte(listener_factory: object, mux: str) -> None:
    """s_client ends the session as soon as its stdin ends, so it is fed while the echo is read,
    and its stdin closed only once every byte came back."""
    openssl = require_tool("openssl")
    listener = _tls_listener(listener_factory, mux)
    payload = os.urandom(1 << 20)
    argv = [openssl, "s_client", "-quiet", "-no_ign_eof", "-nocommands",
            "-connect", f"127.0.0.1:{_port(listener)}"]  # fmt: skip
    assert feed_and_read(argv, payload) == payload


def test_self_signed_certificate_is_announced_with_its_fingerprint(
    listener_factory: object,
) -> None:
    listener = _tls_listener(listener_factory, "epoll")
    note = listener.process.wait_for_stderr(r"self-signed certificate made for this session")
    fingerprint = re.search(r"SHA-256 ([0-9A-F:]{95})", note.string)
    assert fingerprint is not None
    result = connect("tls", "127.0.0.1", _port(listener), "--check", "--json")
    assert b'"reason": "self-signed"' in result.stdout
    assert fingerprint.group(1).encode() in result.stdout


def test_a_client_that_is_not_tls_is_closed_with_the_reason(listener_factory: object) -> None:
    listener = listener_factory("tcp", "--port", "0", "--mux", "epoll", "--tls", "-v")  # type: ignore[operator]
    connect("127.0.0.1", _port(listener), data=b"GET / HTTP/1.0\r\n\r\n", timeout=10)
    listener.process.wait_for_stderr(r"closed 127.0.0.1:\d+ \(tls handshake failed: ")


def test_cert_without_tls_is_a_usage_error(tmp_path: Path) -> None:
    from tests.support import run_netkit

    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    assert run_netkit("listen", "tcp", "--cert", str(cert)).returncode == 2
