"""Argument handling of `netkit listen` (netkit/cli/listen.py), through click's runner."""

from click.testing import CliRunner

from netkit.cli import cli


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["listen", *args])
    return result.exit_code, result.output


def test_help_lists_the_transports() -> None:
    code, output = _invoke("--help")
    assert code == 0
    for transport in ("tcp", "udp", "unix"):
        assert transport in output


def test_unknown_mux_is_a_usage_error() -> None:
    code, output = _invoke("tcp", "--mux", "iocp")
    assert code == 2 and "iocp" in output


def test_discard_and_print_exclude_each_other() -> None:
    code, output = _invoke("tcp", "--discard", "--print")
    assert code == 2 and "exclude each other" in output


def test_bad_cidr() -> None:
    code, output = _invoke("tcp", "--allow", "10.0.0.0/33")
    assert code == 2 and "not an address or CIDR network" in output


def test_bad_mode() -> None:
    code, output = _invoke("unix", "--mode", "rw-------")
    assert code == 2 and "octal" in output


def test_udp_has_no_connection_options() -> None:
    code, output = _invoke("udp", "--max-conns", "3")
    assert code == 2 and "No such option" in output


def test_explain_limit_without_explain_is_refused_not_ignored() -> None:
    from tests.support import run_netkit

    for transport in (["tcp", "--port", "0"], ["udp", "--port", "0"], ["unix"]):
        result = run_netkit("listen", *transport, "--explain-limit", "2", timeout=10)
        assert result.returncode == 2, transport
        assert "--explain-limit goes with --explain" in result.stderr
