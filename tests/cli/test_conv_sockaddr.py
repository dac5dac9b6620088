"""`netkit conv sockaddr` through click's runner."""

import json
import sys

import pytest

from tests.support import invoke_netkit

LINUX = sys.platform.startswith("linux")
invoke = invoke_netkit

pytestmark = pytest.mark.skipif(
    not (LINUX and sys.byteorder == "little"),
    reason="the figures are Linux's on a little-endian host",
)


def test_sockaddr_in_table() -> None:
    status, out, _ = invoke("conv", "sockaddr", "192.168.1.1", "8080")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "struct sockaddr_in (AF_INET), Linux layout: sizeof 16 bytes"
    assert lines[1].split()[:4] == ["OFFSET", "SIZE", "FIELD", "C"]
    assert lines[2].split()[:3] == ["0", "2", "sin_family"] and "host" in lines[2]
    assert lines[3].split()[:3] == ["2", "2", "sin_port"] and "network" in lines[3]
    assert lines[3].endswith("1f 90")
    assert lines[-2] == "hex:       02001f90c0a801010000000000000000"
    assert lines[-1].startswith("socklen_t: 16 ")


def test_sockaddr_in6_json_with_scope_and_flowinfo() -> None:
    status, out, _ = invoke(
        "conv", "sockaddr", "fe80::1", "443", "--scope-id", "3", "--flowinfo", "0x12345", "--json"
    )
    assert status == 0
    result = json.loads(out)
    assert result["hex"] == "0a0001bb00012345fe800000000000000000000000000001" + "03000000"
    assert (result["struct"], result["size"], result["socklen"]) == ("sockaddr_in6", 28, 28)
    assert [f["byte_order"] for f in result["fields"]] == ["host", "network", "network",
                                                           "network", "host"]  # fmt: skip


def test_sockaddr_un_and_abstract() -> None:
    status, out, _ = invoke("conv", "sockaddr", "/tmp/echo.sock", "--json")
    result = json.loads(out)
    assert (status, result["size"], result["socklen"]) == (0, 110, 17)
    status, out, _ = invoke("conv", "sockaddr", "@echo")
    assert status == 0 and "socklen_t: 7 " in out and "@echo" in out


def test_from_hex_round_trip() -> None:
    status, out, _ = invoke("conv", "sockaddr", "--from-hex", "02 00 1f 90 7f 00 00 01" + " 00" * 8)
    assert status == 0
    assert "127.0.0.1" in out and "8080" in out


def test_a_path_is_shown_escaped_and_kept_exact_in_json() -> None:
    status, out, _ = invoke("conv", "sockaddr", "/tmp/\x1b[31mred")
    assert status == 0 and "\x1b" not in out and "\\x1b[31mred" in out
    status, out, _ = invoke("conv", "sockaddr", "/tmp/\x1b[31mred", "--json")
    assert "\x1b" not in out and json.loads(out)["fields"][1]["value"].startswith("/tmp/\x1b[31m")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["1.2.3", "80"], 1, "needs a '/'"),
        (["::1", "99999"], 1, "out of range"),
        (["--from-hex", "0900"], 1, "family 9"),
        (["--from-hex", "0200", "80"], 2, "structure alone"),
        (["1.2.3.4", "80", "--scope-id", "1"], 1, "IPv6 fields"),
    ],
)
def test_sockaddr_refuses_with_one_line(args: list[str], status: int, message: str) -> None:
    code, out, err = invoke("conv", "sockaddr", *args)
    assert (code, out) == (status, "")
    assert err.count("\n") == 1 and message in err
