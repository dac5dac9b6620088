"""DNS over TLS against NSD's own DoT port (with and without certificate checks), and DoH."""

import json

from tests.resolve import fake_servers
from tests.resolve.nsd import Nsd
from tests.support import run_netkit


def dot(nsd_tls: Nsd, *args: str) -> tuple[int, str, str]:
    assert nsd_tls.tls_port is not None
    done = run_netkit(
        "resolve", "--tls", "@127.0.0.1", "-p", str(nsd_tls.tls_port), "--timeout", "3",
        "--retries", "0", *args,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


def test_dot_unauthenticated_like_dig_tls(nsd_tls: Nsd) -> None:
    status, stdout, _ = dot(nsd_tls, "host.example.test", "--json")
    assert status == 0
    [result] = json.loads(stdout)
    assert (result["transport"], result["port"]) == ("tls", nsd_tls.tls_port)
    assert [a["data"] for a in result["answers"]] == ["192.0.2.10"]


def test_dot_verified_against_its_ca_and_name(nsd_tls: Nsd) -> None:
    pem = str(nsd_tls.directory / "tls.pem")
    args = ["--tls-ca", pem, "--tls-hostname", "ns1.example.test", "--short", "host.example.test"]
    assert dot(nsd_tls, *args)[:2] == (0, "192.0.2.10\n")


def test_dot_wrong_name_is_a_one_line_certificate_error(nsd_tls: Nsd) -> None:
    pem = str(nsd_tls.directory / "tls.pem")
    status, _, stderr = dot(nsd_tls, "--tls-ca", pem, "--tls-hostname", "other.test", "x.test")
    assert status == 1
    assert stderr.startswith(f"netkit: error: TLS to 127.0.0.1#{nsd_tls.tls_port}: ")
    assert "certificate verify failed" in stderr
    assert len(stderr.splitlines()) == 1


def test_dot_untrusted_certificate_with_hostname_is_refused(nsd_tls: Nsd) -> None:
    status, _, stderr = dot(nsd_tls, "--tls-hostname", "ns1.example.test", "x.test")
    assert status == 1
    assert "certificate verify failed" in stderr


def test_tls_options_need_tls() -> None:
    done = run_netkit("resolve", "--tls-hostname", "a.test", "@127.0.0.1", "x.test")
    assert done.returncode == 2
    assert "--tls-hostname is for --tls" in done.stderr


def test_doh_post_to_an_endpoint() -> None:
    with fake_servers.doh_server() as url:
        done = run_netkit("resolve", "--https", url, "x.test", "--json")
        single = run_netkit("resolve", "--https", url, "x.test")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert (result["transport"], result["server"]) == ("https", url)
    assert [a["data"] for a in result["answers"]] == ["192.0.2.44"]
    assert f";; SERVER: {url} (HTTPS)" in single.stdout


def test_doh_http_error_is_one_line() -> None:
    with fake_servers.doh_server(status=500) as url:
        done = run_netkit("resolve", "--https", url, "--retries", "0", "x.test")
    assert done.returncode == 1
    assert done.stderr.startswith(f"netkit: error: HTTPS to {url}: ")
    assert len(done.stderr.splitlines()) == 1
