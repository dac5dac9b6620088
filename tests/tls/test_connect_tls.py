"""`netkit connect tls`: the diagnosis of certificates the tests made, each compared with what
`openssl s_client` reports, and sessions relayed over TLS."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.connect.test_connect import connect
from tests.support import require_tool, run_netkit
from tests.tls.certs import Pki, ServerFiles
from tests.tls.conftest import KINDS, s_client_verdict, s_server, tls_echo_server, wait_for_port

REASONS = {
    "good": None,
    "incomplete": "incomplete chain",
    "expired": "expired",
    "not-yet-valid": "not yet valid",
    "wrong-name": "hostname mismatch",
    "self-signed": "self-signed",
    "unknown-issuer": "unknown issuer",
}


def check(port: int, pki: Pki, *extra: str) -> tuple[int, dict[str, object]]:
    result = run_netkit(
        "connect",
        "tls",
        "localhost",
        str(port),
        "-4",
        "--ca",
        str(pki.ca_file),
        "--check",
        "--json",
        *extra,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("kind", KINDS)
def test_diagnosis_agrees_with_s_client(
    kind: str, pki: Pki, servers: dict[str, ServerFiles]
) -> None:
    with s_server(servers[kind]) as port:
        status, diagnosis = check(port, pki)
        reference = s_client_verdict(port, pki.ca_file)
    verification = diagnosis["verification"]
    assert isinstance(verification, dict)
    assert status == (0 if kind == "good" else 1)
    assert verification["verified"] is (kind == "good")
    assert verification["reason"] == REASONS[kind]
    assert str(verification["openssl_code"]) == reference["code"]
    assert verification["openssl_text"] == reference["text"]
    assert diagnosis["protocol"] == reference["protocol"]
    assert diagnosis["cipher"] == reference["cipher"]
    chain = diagnosis["chain"]
    assert isinstance(chain, list)
    assert " ".join(certificate["sha256"] for certificate in chain) == reference["chain"]


def test_certificate_fields_and_session_details(pki: Pki, servers: dict[str, ServerFiles]) -> None:
    with s_server(servers["good"], "-alpn", "h2") as port:
        status, diagnosis = check(port, pki, "--alpn", "h2,http/1.1")
    assert status == 0
    assert diagnosis["sni"] == "localhost"
    assert diagnosis["alpn"] == "h2"
    assert diagnosis["alpn_offered"] == ["h2", "http/1.1"]
    assert diagnosis["resumption"] is True
    leaf, intermediate = diagnosis["chain"]  # type: ignore[misc]  # two certificates, as sent
    assert leaf["subject"] == "CN=localhost,O=netkit tests"
    assert leaf["issuer"] == intermediate["subject"] == "CN=netkit test intermediate,O=netkit tests"
    assert leaf["names"] == ["DNS:localhost", "IP:127.0.0.1"]
    assert leaf["key_type"] == "EC P-256" and leaf["key_bits"] == 256
    assert leaf["signature_algorithm"] == "ecdsa-with-SHA256"
    assert 88 <= leaf["days_left"] <= 90
    assert intermediate["signature_algorithm"] == "sha256WithRSAEncryption"


def test_max_version_and_an_address_without_sni(pki: Pki, servers: dict[str, ServerFiles]) -> None:
    with s_server(servers["good"]) as port:
        result = run_netkit(
            "connect",
            "tls",
            "127.0.0.1",
            str(port),
            "--ca",
            str(pki.ca_file),
            "--check",
            "--json",
            "--max-version",
            "1.2",
        )
    diagnosis = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert diagnosis["protocol"] == "TLSv1.2"
    assert diagnosis["sni"] is None
    assert diagnosis["verification"]["hostname"] == "127.0.0.1"


def test_sni_names_the_server_to_verify(pki: Pki, servers: dict[str, ServerFiles]) -> None:
    with s_server(servers["wrong-name"]) as port:
        status, diagnosis = check(port, pki, "--sni", "elsewhere.example")
    assert status == 0
    assert diagnosis["sni"] == "elsewhere.example"


def test_text_diagnosis_on_stderr_then_the_session(
    pki: Pki, servers: dict[str, ServerFiles]
) -> None:
    payload = os.urandom(1 << 20)
    with tls_echo_server(servers["good"]) as port:
        result = connect(
            "tls", "localhost", str(port), "--ca", str(pki.ca_file), "-v", data=payload
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload  # every byte back, after the half-close (close_notify)
    text = result.stderr.decode()
    assert "verified   yes" in text
    assert "sent close_notify" in text
    assert "[1] CN=netkit test intermediate" in text


def test_tls_flag_on_connect_tcp(pki: Pki, servers: dict[str, ServerFiles]) -> None:
    with tls_echo_server(servers["good"]) as port:
        result = connect(
            "tcp", "--tls", "localhost", str(port), "--ca", str(pki.ca_file), data=b"over --tls"
        )
    assert result.stdout == b"over --tls"


def test_unverified_certificate_stops_unless_insecure(
    pki: Pki, servers: dict[str, ServerFiles]
) -> None:
    with tls_echo_server(servers["expired"]) as port:
        refused = connect("tls", "localhost", str(port), "--ca", str(pki.ca_file), data=b"x")
        insecure = connect(
            "tls", "localhost", str(port), "--ca", str(pki.ca_file), "--insecure", data=b"anyway"
        )
    assert refused.returncode == 1
    assert refused.stdout == b""
    assert refused.stderr.decode().splitlines()[-1] == (
        "netkit: error: certificate verification failed: expired (--insecure connects anyway)"
    )
    assert insecure.returncode == 0
    assert insecure.stdout == b"anyway"
    assert "NO: expired" in insecure.stderr.decode()


def test_json_session_log_starts_with_the_diagnosis(
    pki: Pki, servers: dict[str, ServerFiles]
) -> None:
    with tls_echo_server(servers["good"]) as port:
        result = connect(
            "tls", "localhost", str(port), "--ca", str(pki.ca_file), "--json", data=b"log"
        )
    events = [json.loads(line) for line in result.stderr.decode().splitlines()]
    assert events[0]["event"] == "tls"
    assert events[0]["verification"]["verified"] is True
    assert events[-1]["event"] == "closed"
    assert events[-1]["bytes_received"] == 3


def test_against_ncat_ssl_both_ways(pki: Pki, servers: dict[str, ServerFiles]) -> None:
    from tests.support import free_port

    ncat = require_tool("ncat")
    port = free_port()
    files = servers["good"]
    server = subprocess.Popen(
        [
            ncat,
            "--ssl",
            "--ssl-cert",
            str(files.chain),
            "--ssl-key",
            str(files.key),
            "-l",
            "-k",
            "127.0.0.1",
            str(port),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server)  # -k: the probe connection is not the only client served
        result = connect(
            "tls",
            "localhost",
            str(port),
            "--ca",
            str(pki.ca_file),
            "--send-only",
            data=b"to ncat\n",
        )
        assert result.returncode == 0, result.stderr
        assert server.stdout is not None
        assert server.stdout.readline() == b"to ncat\n"
    finally:
        server.kill()
        server.wait(5)


def test_tls_options_need_tls() -> None:
    result = run_netkit("connect", "tcp", "127.0.0.1", "1", "--sni", "x")
    assert result.returncode == 2
    assert "--sni goes with --tls" in result.stderr


def test_missing_cryptography_is_one_line(tmp_path: object) -> None:
    import sys

    probe = (
        "import sys; sys.modules['cryptography'] = None; from netkit.cli import run; "
        "sys.exit(run(['connect', 'tls', '127.0.0.1', '1', '--check']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "netkit: error: certificate details need the cryptography package "
        "(pip install 'netkit[tls]')"
    )


@pytest.mark.parametrize("staple", [True, False])
def test_ocsp_stapling_agrees_with_s_client(pki: Pki, tmp_path: Path, staple: bool) -> None:
    from tests.tls.certs import issue, ocsp_response

    leaf = issue("localhost", issuer=pki.intermediate, names=("localhost",))
    files = pki.server("stapled", leaf, pki.intermediate)
    response = tmp_path / "ocsp.der"
    response.write_bytes(ocsp_response(leaf, pki.intermediate))
    extra = ["-status_file", str(response)] if staple else []
    with s_server(files, *extra) as port:
        status, diagnosis = check(port, pki)
        done = subprocess.run(
            [require_tool("openssl"), "s_client", "-connect", f"127.0.0.1:{port}", "-status"],
            input=b"",
            capture_output=True,
            timeout=20,
            check=False,
        )
    said = done.stdout.decode(errors="replace")
    assert status == 0
    assert diagnosis["ocsp_stapled"] is staple
    assert ("OCSP Response Status: successful" in said) is staple
    assert ("OCSP response: no response sent" in said) is not staple
