"""`netkit resolve` arguments: usage errors exit 2, bad names exit 1, start-up stays light."""

import subprocess
import sys
from pathlib import Path

import pytest

from netkit.cli import run
from tests.support import invoke_netkit, run_netkit

FAST_RESOLVER = {"RES_OPTIONS": "timeout:1 attempts:1"}
LONG_LABEL = "a" * 64 + ".example"
LONG_NAME = ".".join(["a" * 60] * 5)  # 5 * 61 + 1 = 306 octets on the wire


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "NOSUCHTYPE", "example.test"], "unknown record type 'NOSUCHTYPE'"),
        (["--modern", "--service", "nosuchservice", "localhost"], "unknown service"),
        (["--modern", "-t", "MX", "example.test"], "-t is for --dns queries, not --modern"),
        (["-6", "localhost"], "-4/-6 is for --modern"),
        (["--dns", "--service", "http", "localhost"], "--service is for --modern"),
        ([], "no names given"),
        (["--https", "https://127.0.0.1/dns-query", "@127.0.0.1", "x.test"], "--https URL"),
        (["@300.1.2.3#53#", "x.test"], "bad port"),
        (["--timeout", "0", "@127.0.0.1", "x.test"], "--timeout"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    done = run_netkit("resolve", *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("mode", [[], ["--modern"], ["--dns", "@127.0.0.1", "--timeout", "0.2"]])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        (LONG_LABEL, "has a label of 64 octets (at most 63)"),
        (LONG_NAME, "is 306 octets long (at most 255)"),
        ("a..example", "has an empty label"),
    ],
)
def test_invalid_names_are_one_line_exit_1(mode: list[str], name: str, message: str) -> None:
    done = run_netkit("resolve", *mode, "--short", name, env=FAST_RESOLVER)
    assert done.returncode == 1
    assert done.stderr.startswith("netkit: error: ")
    assert message in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_the_root_is_a_name_not_an_empty_label(at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "--short", ".", "-t", "NS")
    assert "(REFUSED)" in done.stderr  # NSD serves no root zone, but it was asked


def test_invalid_name_in_a_batch_is_a_row() -> None:
    done = run_netkit("resolve", "localhost", "a..b", "--short", "--quiet")
    assert done.returncode == 1
    assert done.stdout == "127.0.0.1\n"
    assert done.stderr == "netkit: error: 'a..b' has an empty label\n"
    summary = run_netkit("resolve", "localhost", "a..b", "--short").stderr.splitlines()[-1]
    assert summary.startswith("netkit: summary: 2 lookups in ")
    assert summary.endswith(": 1 answered, 1 failed (1 other)")


def test_reverse_of_a_non_address_is_one_line() -> None:
    done = run_netkit("resolve", "-x", "not-an-address")
    assert done.returncode == 1
    assert done.stderr == "netkit: error: 'not-an-address' is not an IPv4 or IPv6 address\n"


def test_doh_without_the_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import dns.query

    monkeypatch.setattr(dns.query, "have_doh", False)
    status = run(["resolve", "--https", "https://127.0.0.1:1/dns-query", "x.test"])
    assert status == 1
    assert "pip install 'netkit[doh]'" in capsys.readouterr().err


def test_type_list_and_typennn_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    # Parsing only: an unreachable server answers nothing, fast.
    status = run(["resolve", "@127.0.0.1", "-p", "9", "--timeout", "0.05", "--retries", "0",
                  "-t", "a,mx", "-t", "TYPE65534", "x.test", "--json"])  # fmt: skip
    assert status == 1
    out = capsys.readouterr().out
    assert '"type": "A"' in out and '"type": "MX"' in out and '"type": "TYPE65534"' in out


@pytest.mark.parametrize("argv", [["--help"], ["resolve", "--help"], ["conv", "ip", "1.2.3.4"]])
def test_start_up_does_not_import_dnspython(argv: list[str]) -> None:
    code = (
        "import sys; from netkit.cli import run; run(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m == 'dns' or m.startswith(('dns.', 'idna'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"


def _usage_line(message: str) -> str:
    return f"netkit: error: {message} (see 'netkit resolve --help')\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # A DNS option with another mode names the first one given (in this order).
        (["--legacy", "-t", "MX"], "-t is for --dns queries, not --legacy"),
        (["--modern", "@127.0.0.1"], "@SERVER is for --dns queries, not --modern"),
        (
            ["--modern", "-t", "MX", "-s", "127.0.0.1"],
            "--server is for --dns queries, not --modern",
        ),
        (["--modern", "--dnssec", "-p", "53"], "--port is for --dns queries, not --modern"),
        (["--modern", "--tcp"], "--tcp is for --dns queries, not --modern"),
        (["--legacy", "--tls"], "--tls is for --dns queries, not --legacy"),
        (
            ["--modern", "--https", "https://127.0.0.1/"],
            "--https is for --dns queries, not --modern",
        ),
        (["--legacy", "--tls-hostname", "ns"], "--tls-hostname is for --dns queries, not --legacy"),
        (["--modern", "--no-recurse"], "--no-recurse is for --dns queries, not --modern"),
        (["--legacy", "--dnssec"], "--dnssec is for --dns queries, not --legacy"),
        # getaddrinfo options outside --modern, DNS options implying --dns.
        (["--socktype", "dgram"], "--socktype is for --modern (getaddrinfo)"),
        (["--dns", "--addrconfig"], "--addrconfig is for --modern (getaddrinfo)"),
        (["--legacy", "--socktype", "raw", "-4", "--service", "80"], "-4/-6 is for --modern"),
        (["-t", "A", "--addrconfig", "--service", "80"], "--service is for --modern (getaddrinfo)"),
        (["--modern", "-t", "A", "--addrconfig"], "-t is for --dns queries, not --modern"),
        # Transports that do not go together.
        (["--https", "https://127.0.0.1/", "--tcp"], "--https URL names its server"),
        (["--https", "https://127.0.0.1/", "-s", "127.0.0.1"], "--https URL names its server"),
        (["--https", "https://127.0.0.1/", "--tls-hostname", "ns"], "--tls-hostname is for --tls"),
        (["--tls-hostname", "ns"], "--tls-hostname is for --tls"),
        (["--tcp", "--tls-hostname", "ns"], "--tls-hostname is for --tls"),
    ],
)
def test_options_of_another_mode_are_usage_errors(args: list[str], message: str) -> None:
    status, out, err = invoke_netkit("resolve", *args, "x.test")
    assert (status, out) == (2, "")
    assert err.startswith(f"netkit: error: {message}")
    assert err.count("\n") == 1


def test_full_usage_lines(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    for args, message in [
        (["--tcp", "--tls-ca", str(ca)], "--tls-ca is for --tls or --https"),
        (["--modern", "--tls-ca", str(ca)], "--tls-ca is for --dns queries, not --modern"),
        (
            ["--https", "u", "--tls"],
            "--https URL names its server: no @SERVER, --server, --servers-file, --tcp, --tls",
        ),
        (["-6"], "-4/-6 is for --modern (getaddrinfo)"),
    ]:
        assert invoke_netkit("resolve", *args, "x.test") == (2, "", _usage_line(message))


def test_every_option_lands_in_a_group() -> None:
    # resolve() hands click's values to typed groups by field name: an option no group
    # declares would be dropped without a word.
    from netkit.cli import resolve as command

    groups = (command.Request, command.ModernModeOptions, command.DnsModeOptions)
    declared = {name for group in groups for name in group._fields}
    # Parameters that reach the function (--debug, added to every command, does not).
    parameters = {p.name for p in command.resolve.params if p.expose_value}
    # --hints is taken out before the groups are built: only --trace reads it.
    # -c/--class is folded into rdclass with a class written after the name.
    assert parameters - declared == {
        "arguments", "name_file", "mode", "hints", "show_c", "explain", "class_option",
    }  # fmt: skip
