"""The resolve programs find what netkit resolve --legacy/--modern --json finds, in its order."""

import json
from typing import Any

from netkit.showc.resolve import AddrinfoHints, legacy_program, modern_program
from tests.showc.conftest import Compile, run_program
from tests.support import run_netkit


def _netkit_json(*args: str) -> list[dict[str, Any]]:
    result = run_netkit("resolve", *args, "--json")
    assert result.returncode == 0, result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_gethostbyname_localhost(compile_c: Compile) -> None:
    binary = compile_c(legacy_program(["localhost"]))
    result = run_program(binary)
    assert result.returncode == 0, result.stderr
    (expected,) = _netkit_json("--legacy", "localhost")
    lines = result.stdout.decode().splitlines()
    assert lines[0] == f"Host: {expected['canonical']}"
    assert [line.split(": ", 1)[1] for line in lines if line.startswith("alias: ")] == (
        expected["aliases"]
    )
    assert [line.split(": ", 1)[1] for line in lines if line.startswith("IP: ")] == (
        expected["addresses"]
    )


def test_gethostbyname_failure_is_h_errno(compile_c: Compile) -> None:
    binary = compile_c(legacy_program(["localhost", "no-such-host.invalid"]))
    result = run_program(binary)
    assert result.returncode == 1
    assert result.stdout.startswith(b"Host: ")
    assert b"gethostbyname(no-such-host.invalid): " in result.stderr


def _addrinfo_rows(output: bytes) -> list[tuple[str, str, str, str, int]]:
    rows = []
    for line in output.decode().splitlines()[1:]:
        family, socktype, protocol, address, port = line.split()[:5]
        rows.append((family, socktype, protocol, address, int(port)))
    return rows


def test_getaddrinfo_localhost(compile_c: Compile) -> None:
    binary = compile_c(modern_program(["localhost"]))
    result = run_program(binary)
    assert result.returncode == 0, result.stderr
    (expected,) = _netkit_json("--modern", "localhost")
    title = result.stdout.decode().splitlines()[0]
    assert title == f"getaddrinfo(localhost): canonical name {expected['canonical']}"
    assert _addrinfo_rows(result.stdout) == [
        (r["family"], r["socktype"], r["protocol"], r["address"], r["port"])
        for r in expected["results"]
    ]


def test_getaddrinfo_with_hints(compile_c: Compile) -> None:
    hints = AddrinfoHints(family="4", service="8080", socktype="any")
    binary = compile_c(modern_program(["localhost", "127.0.0.1"], hints))
    result = run_program(binary)
    assert result.returncode == 0, result.stderr
    netkit_rows = [
        (r["family"], r["socktype"], r["protocol"], r["address"], r["port"])
        for name in ("localhost", "127.0.0.1")
        for r in _netkit_json("--modern", *hints.options(), name)[0]["results"]
    ]
    c_rows = [
        row
        for block in result.stdout.split(b"getaddrinfo(")[1:]
        for row in _addrinfo_rows(b"getaddrinfo(" + block)
    ]
    assert c_rows == netkit_rows
    assert {row[1] for row in c_rows} >= {"stream", "dgram"}


def test_getaddrinfo_failure_is_gai_strerror(compile_c: Compile) -> None:
    binary = compile_c(modern_program(["no-such-host.invalid"]))
    result = run_program(binary)
    assert result.returncode == 1
    assert result.stderr.startswith(b"getaddrinfo(no-such-host.invalid): ")


def test_an_internationalized_name_is_asked_in_its_a_label_form() -> None:
    source = legacy_program(["bücher.example"])
    assert '"xn--bcher-kva.example"' in source
    assert "b\\xc3\\xbccher.example" in source.split("*/", 1)[0]  # the command, escaped
