"""The conv programs print the reference's lines, with the values netkit conv --json gives."""

import json
from typing import Literal

import pytest

from netkit.errors import NetkitUsageError
from netkit.showc.conv import address_program, byte_order_program
from tests.showc.conftest import Compile, run_program
from tests.support import run_netkit


def _netkit_json(*args: str) -> list[dict[str, object]]:
    result = run_netkit("conv", *args, "--json")
    assert result.returncode == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    ("command", "bits", "to_host", "values"),
    [
        ("port", 16, False, [8080, 0, 65535, 0x1234]),
        ("port", 16, True, [0x901F, 1]),
        ("long", 32, False, [0x7F000001, 0, 0xFFFFFFFF]),
        ("long", 32, True, [0x100007F]),
    ],
)
def test_byte_order_lines_match_netkit(
    compile_c: Compile,
    command: str,
    bits: Literal[16, 32],
    to_host: bool,
    values: list[int],
) -> None:
    binary = compile_c(byte_order_program(values, bits, to_host=to_host))
    result = run_program(binary)
    assert result.returncode == 0, result.stderr
    flags = ["--ntoh"] if to_host else []
    rows = _netkit_json(command, *map(str, values), *flags)
    what = "port" if bits == 16 else "addr"
    if to_host:
        expected = [f"network {what}: {r['network_hex']} -> host: {r['host_hex']}" for r in rows]
    else:
        expected = [f"host {what}: {r['host_hex']} -> network: {r['network_hex']}" for r in rows]
    assert result.stdout.decode().splitlines() == expected


def test_the_reference_example(compile_c: Compile) -> None:
    binary = compile_c(byte_order_program([8080], 16, to_host=False))
    assert run_program(binary).stdout == b"host port: 0x1f90 -> network: 0x901f\n"


def test_addresses_match_netkit(compile_c: Compile) -> None:
    addresses = ["192.168.1.1", "10.0.0.1", "::1", "2001:DB8:0:0::1", "::ffff:1.2.3.4"]
    binary = compile_c(address_program(addresses))
    result = run_program(binary)
    assert result.returncode == 0, result.stderr
    expected = []
    for row in _netkit_json("ip", *addresses):
        if row["family"] == "IPv4":
            expected.append(f"IPv4: {row['canonical']} ({row['integer_hex']})")
        else:
            expected.append(f"IPv6: {row['canonical']}")
    assert result.stdout.decode().splitlines() == expected
    assert expected[0] == "IPv4: 192.168.1.1 (0xc0a80101)"  # the reference's own line


def test_an_address_inet_pton_refuses_fails_like_netkit(compile_c: Compile) -> None:
    binary = compile_c(address_program(["1.2.3", "127.0.0.1", 'x"*/??=\n']))
    result = run_program(binary)
    assert result.returncode == 1
    assert result.stdout == b"IPv4: 127.0.0.1 (0x7f000001)\n"
    assert b"'1.2.3' is not an IPv4 address" in result.stderr
    assert run_netkit("conv", "ip", "1.2.3").returncode == 1


@pytest.mark.parametrize("text", ["10.0.0.0/8", "fe80::1%eth0"])
def test_prefix_and_scope_are_refused(text: str) -> None:
    with pytest.raises(NetkitUsageError):
        address_program([text])


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(NetkitUsageError):
        byte_order_program([65536], 16, to_host=False)
