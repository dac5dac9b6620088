"""dig's argument grammar in `netkit resolve`: @SERVER forms, NAME TYPE, +options.

dig, where installed, reads the same argv: netkit must ask what it asks.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest

from netkit.cli.dig_grammar import DigOption, apply_options, dig_option, read_arguments
from netkit.resolve.query import split_server
from netkit.resolve.system import names_in_hosts_file
from tests.resolve.nsd import Nsd
from tests.support import free_port, invoke_netkit, require_tool, run_netkit

# -- the pure reading -----------------------------------------------------------------------


def test_types_and_options_after_a_name_are_not_names() -> None:
    reading = read_arguments(("@127.0.0.1#5399", "www.nk.test", "+short", "mx", "TYPE65534"))
    assert reading.servers == ["@127.0.0.1#5399"]
    assert reading.names == [("www.nk.test", ("MX", "TYPE65534"))]
    assert reading.options == [("+short", DigOption("short", True, False))]


def test_the_first_name_is_a_name_even_when_it_spells_a_type() -> None:
    # `netkit resolve mx` looks up the host mx; a later name that spells a type ends in a dot.
    assert read_arguments(("mx",)).names == [("mx", ())]
    assert read_arguments(("a.test", "MX.", "b.test", "A")).names == [
        ("a.test", ()),
        ("MX.", ()),
        ("b.test", ("A",)),
    ]


def test_ixfr_from_a_serial_and_the_class_in() -> None:
    reading = read_arguments(("nk.test", "IN", "IXFR=2024010101"))
    assert reading.names == [("nk.test", ("IXFR",))]
    assert reading.serial == 2024010101


@pytest.mark.parametrize(
    ("word", "rdclass"), [("CH", "CH"), ("chaos", "CH"), ("hs", "HS"), ("CLASS3", "CH")]
)
def test_a_class_after_the_name(word: str, rdclass: str) -> None:
    reading = read_arguments(("version.bind", word, "TXT"))
    assert (reading.names, reading.rdclass) == ([("version.bind", ("TXT",))], rdclass)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("+short", DigOption("short", True, False)),
        ("+noshort", DigOption("short", False, False)),
        ("+tcp", DigOption("transport", "tcp", None)),
        ("+vc", DigOption("transport", "tcp", None)),
        ("+notcp", DigOption("transport", None, None)),
        ("+dnssec", DigOption("dnssec", True, False)),
        ("+norecurse", DigOption("no_recurse", True, False)),
        ("+norec", DigOption("no_recurse", True, False)),
        ("+rec", DigOption("no_recurse", False, False)),
        ("+trace", DigOption("mode", "trace", None)),
        ("+SHORT", DigOption("short", True, False)),  # dig takes any case
    ],
)
def test_dig_options_netkit_has(word: str, expected: DigOption) -> None:
    assert dig_option(word) == expected


@pytest.mark.parametrize(
    ("word", "hint"),
    [
        ("+foo", "\\+short is --short"),
        ("+json", "use --json"),
        ("+time=3", "use --timeout"),
        ("+tries=2", "use --retries"),
        ("+noall", "use --short"),
        ("+short=yes", "\\+short is --short"),
    ],
)
def test_other_dig_options_are_refused_with_netkit_spelling(word: str, hint: str) -> None:
    with pytest.raises(click.UsageError, match=f"unknown dig option \\{word}; .*{hint}"):
        dig_option(word)


def test_a_dig_option_that_contradicts_a_netkit_option_is_refused() -> None:
    parsed: dict[str, Any] = {"transport": "tcp", "short": False}
    with pytest.raises(click.UsageError, match=r"\+notcp contradicts --tcp"):
        apply_options(parsed, [("+notcp", dig_option("+notcp"))], set())
    parsed = {"transport": None}
    apply_options(parsed, [("+tcp", dig_option("+tcp")), ("+notcp", dig_option("+notcp"))], set())
    assert parsed["transport"] is None  # among +options the last one wins, as in dig


def test_trace_needs_the_mode() -> None:
    parsed: dict[str, Any] = {"mode": None}
    with pytest.raises(click.UsageError, match="use --trace"):
        apply_options(parsed, [("+trace", dig_option("+trace"))], {"legacy", "modern", "dns"})
    apply_options(parsed, [("+trace", dig_option("+trace"))], {"dns", "trace"})
    assert parsed["mode"] == "trace"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@127.0.0.1", ("127.0.0.1", None)),
        ("@127.0.0.1#5399", ("127.0.0.1", 5399)),
        ("@127.0.0.1:5399", ("127.0.0.1", 5399)),
        ("@localhost:5399", ("localhost", 5399)),
        ("@::1", ("::1", None)),
        ("@2001:db8::53", ("2001:db8::53", None)),
        ("@[::1]", ("::1", None)),
        ("@[::1]:5399", ("::1", 5399)),
        ("@[::1]#5399", ("::1", 5399)),
        ("@::1#5399", ("::1", 5399)),
    ],
)
def test_server_forms(text: str, expected: tuple[str, int | None]) -> None:
    assert split_server(text) == expected


@pytest.mark.parametrize("text", ["@127.0.0.1:", "@127.0.0.1:x", "@[::1]x", "@[::1]:99999"])
def test_bad_server_forms(text: str) -> None:
    with pytest.raises(ValueError, match="bad"):
        split_server(text)


# -- against NSD, with dig as the judge ----------------------------------------------------


def dig_short(nsd: Nsd, *argv: str) -> list[str]:
    dig = require_tool("dig")
    done = subprocess.run(
        [dig, "@127.0.0.1", "-p", str(nsd.port), *argv],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return sorted(done.stdout.splitlines())


@pytest.mark.parametrize(
    "argv",
    [
        ["example.test", "MX", "+short"],
        ["example.test", "mx", "+short"],
        ["host.example.test", "+short", "AAAA"],
        ["www.example.test", "+short"],
        ["example.test", "TXT", "+short", "+tcp"],
        ["example.test", "IN", "NS", "+short"],
        ["id.server", "CH", "TXT", "+short"],  # NSD's identity, in the CHAOS class
        ["-c", "CH", "-t", "TXT", "id.server", "+short"],  # dig's -c is the class, netkit's too
    ],
)
def test_netkit_reads_argv_as_dig_does(nsd: Nsd, argv: list[str]) -> None:
    done = run_netkit("resolve", "@127.0.0.1", "-p", str(nsd.port), *argv)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == dig_short(nsd, *argv)


@pytest.mark.parametrize("server", ["@127.0.0.1#{p}", "@127.0.0.1:{p}", "@[127.0.0.1]#{p}"])
def test_server_with_its_port(nsd: Nsd, server: str) -> None:
    done = run_netkit("resolve", server.format(p=nsd.port), "host.example.test", "+short")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "192.0.2.10\n"


def test_class_option_and_class_after_the_name_must_agree() -> None:
    done = run_netkit("resolve", "-c", "HS", "@127.0.0.1", "id.server", "CH", "TXT")
    assert done.returncode == 2
    assert "-c HS and the class CH after the name disagree" in done.stderr
    done = run_netkit("resolve", "-c", "XX", "@127.0.0.1", "id.server")
    assert done.returncode == 2
    assert "'XX' is not a DNS class" in done.stderr


def test_a_port_in_the_server_and_port_is_a_usage_error(nsd: Nsd) -> None:
    done = run_netkit("resolve", f"@127.0.0.1#{nsd.port}", "-p", "5300", "host.example.test")
    assert done.returncode == 2
    assert "names its port and so does -p/--port" in done.stderr


def test_options_reach_the_query(nsd: Nsd) -> None:
    at = f"@127.0.0.1#{nsd.port}"
    done = run_netkit("resolve", at, "example.test", "SOA", "+tcp", "+norec", "+dnssec", "--json")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert result["transport"] == "tcp"
    assert result["type"] == "SOA"
    assert "rd" not in result["flags"]
    assert result["edns"]["dnssec_ok"] is True


def test_several_types_after_one_name(nsd: Nsd) -> None:
    done = run_netkit("resolve", f"@127.0.0.1#{nsd.port}", "host.example.test", "A", "AAAA",
                      "--jsonl")  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["type"], r["answers"][0]["data"]) for r in results] == [
        ("A", "192.0.2.10"),
        ("AAAA", "2001:db8::10"),
    ]


def test_a_name_that_spells_a_type_ends_in_a_dot(nsd: Nsd) -> None:
    done = run_netkit("resolve", f"@127.0.0.1#{nsd.port}", "host.example.test", "MX.", "--jsonl")
    assert [json.loads(line)["qname"] for line in done.stdout.splitlines()] == [
        "host.example.test.",
        "MX.",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["host.example.test", "+foo"], "unknown dig option +foo; netkit spells options --long"),
        (["host.example.test", "+json"], "use --json"),
        (["host.example.test", "+notcp", "--tcp"], "+notcp contradicts --tcp"),
    ],
)
def test_refusals_ask_nothing(nsd: Nsd, argv: list[str], message: str) -> None:
    done = run_netkit("resolve", f"@127.0.0.1#{nsd.port}", *argv)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""


def test_plus_trace_is_the_trace_mode(tmp_path: Path) -> None:
    hints = tmp_path / "root.hints"  # a root server on loopback where nothing answers
    hints.write_text(". 3600 NS a.root.test.\na.root.test. 3600 A 127.0.0.99\n")
    done = run_netkit("resolve", "example.test", "MX", "+trace", "--hints", str(hints),
                      "--port", str(free_port()), "--timeout", "0.1", "--retries", "0")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("tracing example.test. MX from the root")
    assert "unknown dig option" not in done.stderr


def test_a_type_after_the_name_implies_dns() -> None:
    done = run_netkit("resolve", "--legacy", "localhost", "MX")
    assert done.returncode == 2
    assert "a record type after NAME is for --dns queries, not --legacy" in done.stderr


def test_a_type_alone_notes_that_etc_hosts_is_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("# comment\n127.0.0.1 localhost\n192.0.2.7\tbox.lan  Box # trailing\n")
    monkeypatch.setattr("netkit.resolve.system.HOSTS_FILE", str(hosts))
    # The resolv.conf servers would be asked: a loopback port where nothing answers instead.
    monkeypatch.setattr("netkit.resolve.query.system_servers", lambda: ["127.0.0.1#9"])
    quick = ("--timeout", "0.1", "--retries", "0")
    _status, _out, err = invoke_netkit("resolve", "box.lan.", "-t", "A", *quick)
    assert "-t implies --dns: asking DNS, not /etc/hosts, for box.lan." in err
    assert "use --modern to see what programs get" in err
    _status, _out, err = invoke_netkit("resolve", "BOX.lan", "A", *quick)  # dig's NAME TYPE
    assert "not /etc/hosts" in err
    for argv in (["nothere.lan", "-t", "A"], ["box.lan", "-t", "A", "@127.0.0.1#9"]):
        _status, _out, err = invoke_netkit("resolve", *argv, *quick)
        assert "/etc/hosts" not in err  # not listed, or DNS asked for by naming a server


def test_names_in_hosts_file(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n# 10.0.0.1 hidden\n::1 ip6-localhost ip6-loopback\n")
    found = names_in_hosts_file(["LOCALHOST.", "hidden", "ip6-loopback", "x"], str(hosts))
    assert found == ["LOCALHOST.", "ip6-loopback"]
    assert names_in_hosts_file(["localhost"], str(tmp_path / "missing")) == []
