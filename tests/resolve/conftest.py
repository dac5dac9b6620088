"""A real authoritative DNS server (NSD) for the whole session, serving the zones in zones.py."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.resolve.nsd import Nsd, running_nsd
from tests.resolve.zones import ZONES
from tests.support import require_tool


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
