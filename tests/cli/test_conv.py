"""`netkit conv` through click's runner (fast) and through the installed console script."""

import json
import sys

import pytest

from tests.support import invoke_netkit, run_netkit

LITTLE = sys.byteorder == "little"


invoke = invoke_netkit


@pytest.mark.skipif(not LITTLE, reason="the reference's figures are for a little-endian host")
def test_port_prints_the_reference_line() -> None:
    status, out, _ = invoke("conv", "port", "8080")
    assert status == 0
    assert out.splitlines()[0] == "host port: 0x1f90 -> network: 0x901f"
    assert "1f 90" in out and "little-endian" in out


@pytest.mark.skipif(not LITTLE, reason="the reference's figures are for a little-endian host")
def test_long_prints_the_reference_line_and_dotted_quad() -> None:
    status, out, _ = invoke("conv", "long", "0x7f000001")
    assert status == 0
    assert out.splitlines()[0] == "host addr: 0x7f000001 -> network: 0x100007f"
    assert "127.0.0.1" in out


def test_ip_prints_the_reference_line() -> None:
    status, out, _ = invoke("conv", "ip", "192.168.1.1")
    assert status == 0
    assert out.splitlines()[0] == "IPv4: 192.168.1.1 (0xc0a80101)"
    for expected in ("c0a80101", "3232235777", "1.1.168.192.in-addr.arpa", "private"):
        assert expected in out


def test_ipv6_prints_the_reference_line() -> None:
    status, out, _ = invoke("conv", "ip", "::1")
    assert status == 0
    assert out.splitlines()[0] == "IPv6: ::1"  # as the reference prints it: no integer
    assert "0000:0000:0000:0000:0000:0000:0000:0001" in out


def test_ip_cidr_details() -> None:
    status, out, _ = invoke("conv", "ip", "10.1.2.3/8")
    assert status == 0
    for expected in ("10.0.0.0/8", "255.0.0.0", "0.255.255.255", "10.255.255.255", "16777214"):
        assert expected in out


def test_json_batch_keeps_input_order_and_reports_each_error() -> None:
    status, out, _ = invoke("conv", "ip", "--json", "::1", "1.2.3", "192.168.1.1", "1::2::3")
    assert status == 1
    rows = json.loads(out)
    assert [row["input"] for row in rows] == ["::1", "1.2.3", "192.168.1.1", "1::2::3"]
    assert rows[0] | {} == rows[0]
    assert {k: rows[2][k] for k in ("family", "canonical", "packed", "integer", "error")} == {
        "family": "IPv4",
        "canonical": "192.168.1.1",
        "packed": "c0a80101",
        "integer": 3232235777,
        "error": None,
    }
    for bad in (rows[1], rows[3]):
        assert bad["error"]
        assert bad["family"] is bad["canonical"] is bad["packed"] is bad["integer"] is None


def test_table_batch_shows_valid_rows_and_exits_1() -> None:
    status, out, _ = invoke("conv", "ip", "127.0.0.1", "01.2.3.4")
    assert status == 1
    assert "127.0.0.1" in out and "loopback" in out and "not a valid" in out


def test_stdin_batch() -> None:
    status, out, _ = invoke(
        "conv", "ip", "--json", "-", input="10.0.0.1\n\n# comment\nfe80::1%lo\n"
    )
    assert status == 0
    rows = json.loads(out)
    assert [r["canonical"] for r in rows] == ["10.0.0.1", "fe80::1"]
    assert rows[1]["scope_id"] == "lo"


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["conv", "port", "70000"], 1, "out of range"),
        (["conv", "port", "-x"], 2, "No such option"),
        (["conv", "long", "4294967296"], 1, "out of range"),
        (["conv", "ip", "1.2.3"], 1, "not a valid"),
        (["conv", "ip", "::ffff:1.2.3.256"], 1, "not a valid IPv6"),
        (["conv", "ip", "10.0.0.1/40"], 1, "out of range"),
        (["conv", "ip", "--from", "hex", "1"], 2, "Invalid value"),
        (["conv", "ip"], 2, "Missing argument"),
        (["conv", "ip", "-4", "::1"], 1, "not IPv4"),
        (["conv", "nope"], 2, "No such command"),
    ],
)
def test_bad_input_gets_one_line_and_the_right_status(
    args: list[str], status: int, message: str
) -> None:
    code, out, err = invoke(*args)
    assert code == status
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("netkit: error: ") and message in err
    assert "Traceback" not in err


def test_from_int_and_packed() -> None:
    assert invoke("conv", "ip", "--from", "int", "3232235777")[1].startswith("IPv4: 192.168.1.1 ")
    assert invoke("conv", "ip", "-F", "packed", "c0:a8:01:01")[1].startswith("IPv4: 192.168.1.1 ")
    assert invoke("conv", "ip", "--from", "int", "-6", "1")[1].startswith("IPv6: ::1\n")


def test_ntoh_direction() -> None:
    status, out, _ = invoke("conv", "port", "--ntoh", "--json", "0x901f")
    assert status == 0
    (row,) = json.loads(out)
    assert row["function"] == "ntohs"
    if LITTLE:
        assert row["host"] == 8080


# --- the real console script --------------------------------------------------------------


def test_console_script_conv_ip() -> None:
    done = run_netkit("conv", "ip", "192.168.1.1")
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "IPv4: 192.168.1.1 (0xc0a80101)"
    assert "\x1b[" not in done.stdout  # no colour codes when piped


def test_console_script_reads_stdin_and_writes_json() -> None:
    done = run_netkit("conv", "ip", "--json", "-", input="::1\n1.2.3\n")
    assert done.returncode == 1
    rows = json.loads(done.stdout)
    assert [r["error"] is None for r in rows] == [True, False]
    assert rows[0]["family"] == "IPv6" and rows[0]["packed"] == "0" * 31 + "1"


def test_console_script_bad_input_has_no_traceback() -> None:
    done = run_netkit("conv", "port", "banana")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "netkit: error: 'banana' is not a number (use decimal, 0x hex, 0o octal or 0b binary)"
    )


def test_conv_port_takes_a_service_name() -> None:
    result = run_netkit("conv", "port", "--json", "http", "80")
    assert result.returncode == 0, result.stderr
    named, numbered = json.loads(result.stdout)
    assert named["input"] == "http"
    assert {k: v for k, v in named.items() if k != "input"} == {
        k: v for k, v in numbered.items() if k != "input"
    }


@pytest.mark.parametrize(("text", "address"), [("127.0.0.1:80", "127.0.0.1"), ("[::1]:53", "::1")])
def test_an_address_with_a_port_says_a_port_is_not_part_of_it(text: str, address: str) -> None:
    result = run_netkit("conv", "ip", text)
    assert result.returncode == 1
    assert "a port is not part of an address" in result.stderr
    assert f"give {address} alone" in result.stderr
    assert "IPv6" not in result.stderr


@pytest.mark.parametrize("words", [("127.0.0.1:http",), ("127.0.0.1", "http"), ("127.0.0.1", "80")])
def test_sockaddr_takes_host_colon_port_and_service_names(words: tuple[str, ...]) -> None:
    result = run_netkit("conv", "sockaddr", *words, "--json")
    assert result.returncode == 0, result.stderr
    assert (
        json.loads(result.stdout)["hex"]
        == json.loads(run_netkit("conv", "sockaddr", "127.0.0.1", "80", "--json").stdout)["hex"]
    )
