"""Legacy (gethostbyname) and --modern (getaddrinfo) modes against names this machine knows."""

import json
import socket
import subprocess
from typing import Any

import pytest

from tests.support import require_tool, run_netkit

# Names that do not exist must fail fast even where the resolv.conf server is unreachable.
FAST_RESOLVER = {"RES_OPTIONS": "timeout:1 attempts:1"}
SOCKTYPE_NAMES = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram", socket.SOCK_RAW: "raw"}


def getent(database: str, name: str) -> list[list[str]]:
    getent_path = require_tool("getent")
    done = subprocess.run(
        [getent_path, database, name], capture_output=True, text=True, timeout=10, check=False
    )
    return [line.split() for line in done.stdout.splitlines() if line.strip()]


def json_of(*args: str) -> list[dict[str, Any]]:
    done = run_netkit("resolve", *args, "--json", env=FAST_RESOLVER)
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert isinstance(parsed, list)
    return parsed


@pytest.mark.parametrize("name", ["localhost", socket.gethostname()])
def test_legacy_matches_gethostbyname_ex_and_getent(name: str) -> None:
    [result] = json_of(name)
    canonical, aliases, addresses = socket.gethostbyname_ex(name)
    assert result == {
        "name": name,
        "ascii_name": name,
        "canonical": canonical,
        "aliases": aliases,
        "addresses": addresses,
        "error": None,
    }
    # getent ahostsv4 asks getaddrinfo(AF_INET): the same IPv4 addresses.
    assert set(addresses) == {row[0] for row in getent("ahostsv4", name)}


def test_legacy_table_is_the_reference_output() -> None:
    done = run_netkit("resolve", "localhost")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "Host: localhost"
    assert any(line.split() == ["IP", "127.0.0.1"] for line in lines)
    assert "IPv4-only" in done.stderr  # the one-line note on stderr, not in the data


def test_legacy_reverse_matches_gethostbyaddr() -> None:
    [result] = json_of("-x", "127.0.0.1")
    host, aliases, addresses = socket.gethostbyaddr("127.0.0.1")
    assert (result["canonical"], result["aliases"], result["addresses"]) == (
        host,
        aliases,
        addresses,
    )


def test_legacy_reverse_table_shows_the_address_once() -> None:
    done = run_netkit("resolve", "-x", "127.0.0.1", env=FAST_RESOLVER)
    assert done.returncode == 0, done.stderr
    host = socket.gethostbyaddr("127.0.0.1")[0]
    assert done.stdout.splitlines()[0] == f"Host: {host}"
    assert done.stdout.count("127.0.0.1") == 1


def test_legacy_short_prints_addresses() -> None:
    done = run_netkit("resolve", "--short", "localhost")
    assert done.stdout.split() == socket.gethostbyname_ex("localhost")[2]


@pytest.mark.parametrize("socktype", ["stream", "any"])
def test_modern_matches_getaddrinfo_and_getent(socktype: str) -> None:
    [result] = json_of("--modern", "--socktype", socktype, "localhost")
    kind = socket.SOCK_STREAM if socktype == "stream" else 0
    infos = socket.getaddrinfo("localhost", None, 0, kind, 0, socket.AI_CANONNAME)
    assert result["canonical"] == infos[0][3]
    rows = result["results"]
    assert isinstance(rows, list)
    assert [(r["address"], r["socktype"], r["port"]) for r in rows] == [
        (info[4][0], SOCKTYPE_NAMES[info[1]], 0) for info in infos
    ]
    # getent ahosts lists every socket type; each address on a STREAM line is one of ours.
    ahosts = getent("ahosts", "localhost")
    assert {row[0] for row in ahosts} == {r["address"] for r in rows}
    if socktype == "any":
        assert sorted(row[1] for row in ahosts) == sorted(r["socktype"].upper() for r in rows)


def test_modern_service_and_family() -> None:
    [result] = json_of("--modern", "-6", "--service", "http", "::1")
    assert result["results"] == [
        {
            "family": "IPv6",
            "socktype": "stream",
            "protocol": "tcp",
            "address": "::1",
            "port": 80,
            "flowinfo": 0,
            "scope_id": 0,
        }
    ]


def test_modern_dgram_service_has_udp_protocol() -> None:
    [result] = json_of("--modern", "-4", "--socktype", "dgram", "--service", "53", "127.0.0.1")
    rows = result["results"]
    assert isinstance(rows, list)
    assert [(r["family"], r["protocol"], r["port"]) for r in rows] == [("IPv4", "udp", 53)]


def test_modern_reverse_uses_getnameinfo() -> None:
    [result] = json_of("--modern", "-x", "127.0.0.1", "--service", "80")
    host, service = socket.getnameinfo(("127.0.0.1", 80), socket.NI_NAMEREQD)
    assert (result["canonical"], result["service"]) == (host, service)


def test_modern_table_lists_each_addrinfo() -> None:
    done = run_netkit("resolve", "--modern", "--socktype", "any", "localhost")
    assert done.returncode == 0
    assert "canonical name localhost" in done.stdout
    for socktype in ("stream", "dgram", "raw"):
        assert socktype in done.stdout


def test_unknown_name_is_one_line_and_exit_1() -> None:
    for mode in ([], ["--modern"]):
        done = run_netkit("resolve", *mode, "nosuch.invalid", env=FAST_RESOLVER)
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr.startswith("netkit: error: nosuch.invalid: ")
        assert "Traceback" not in done.stderr


def test_batch_keeps_order_and_reports_failures_as_rows() -> None:
    done = run_netkit("resolve", "--modern", "localhost", "nosuch.invalid", "127.0.0.1",
                      "--json", env=FAST_RESOLVER)  # fmt: skip
    assert done.returncode == 1
    results = json.loads(done.stdout)
    assert [r["name"] for r in results] == ["localhost", "nosuch.invalid", "127.0.0.1"]
    assert [r["error"] is None for r in results] == [True, False, True]


def test_names_from_a_file_on_stdin() -> None:
    done = run_netkit("resolve", "-f", "-", "--json", input="# comment\nlocalhost\n\n127.0.0.1\n")
    assert done.returncode == 0
    assert [r["name"] for r in json.loads(done.stdout)] == ["localhost", "127.0.0.1"]


def test_idn_shows_both_forms() -> None:
    done = run_netkit("resolve", "bücher.invalid", "--json", env=FAST_RESOLVER)
    assert done.returncode == 1
    [result] = json.loads(done.stdout)
    assert (result["name"], result["ascii_name"]) == ("bücher.invalid", "xn--bcher-kva.invalid")


def test_addrconfig_is_what_getaddrinfo_says() -> None:
    flags = socket.AI_CANONNAME | socket.AI_ADDRCONFIG
    try:
        infos = socket.getaddrinfo("localhost", None, 0, socket.SOCK_STREAM, 0, flags)
    except socket.gaierror:
        infos = []  # a loopback-only host: AI_ADDRCONFIG hides even localhost
    done = run_netkit("resolve", "--modern", "--addrconfig", "localhost", "--json")
    assert done.returncode == (0 if infos else 1)
    [result] = json.loads(done.stdout)
    assert [r["address"] for r in result["results"]] == [info[4][0] for info in infos]
