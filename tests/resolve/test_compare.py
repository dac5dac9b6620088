"""`netkit resolve --compare`: two NSD instances serve one zone with some data in common and some
not; every row says whether they agree, and the exit status says whether all did."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netkit.resolve.compare import compare_results
from netkit.resolve.query import DnsResult
from netkit.resolve.wire import Record
from tests.render.hostile import assert_safe
from tests.resolve.fake_servers import fake_server, silent
from tests.resolve.nsd import running_nsd
from tests.support import require_tool, run_netkit

# Server one. Server two has other TTLs, its records in another order, another address for
# diff, no gone (NXDOMAIN there) and a hostile TXT of its own.
ZONE_ONE = """\
$ORIGIN cmp.test.
$TTL 300
@      IN SOA ns1 hostmaster 1 3600 600 86400 300
@      IN NS  ns1
ns1    IN A   127.0.0.1
same   IN A   192.0.2.1
same   IN A   192.0.2.2
same   IN A   192.0.2.3
diff   IN A   192.0.2.10
gone   IN A   192.0.2.20
txt    IN TXT "plain"
"""
ZONE_TWO = """\
$ORIGIN cmp.test.
$TTL 60
@      IN SOA ns1 hostmaster 1 3600 600 86400 300
@      IN NS  ns1
ns1    IN A   127.0.0.1
same   IN A   192.0.2.3
same   IN A   192.0.2.1
same   IN A   192.0.2.2
diff   IN A   192.0.2.11
txt    IN TXT "\\027]0;pwned\\007[bold]x[/bold]"
"""


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two NSDs on 127.0.0.1, each at its own port; the -s arguments that name them."""
    binary = require_tool("nsd")
    one, two = tmp_path_factory.mktemp("nsd-one"), tmp_path_factory.mktemp("nsd-two")
    with (
        running_nsd(binary, one, {"cmp.test.": ZONE_ONE}) as first,
        running_nsd(binary, two, {"cmp.test.": ZONE_TWO}) as second,
    ):
        yield ["-s", f"127.0.0.1#{first.port}", "-s", f"127.0.0.1#{second.port}"]


def compare(servers: list[str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = run_netkit("resolve", "--compare", *servers, "--timeout", "2", *args, "--json")
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)


def test_same_records_in_another_order_and_ttl_agree(two_servers: list[str]) -> None:
    status, [row] = compare(two_servers, "same.cmp.test")
    assert status == 0
    assert row["agree"] is True
    assert [s["majority"] for s in row["servers"]] == [True, True]
    ttls = {answer["ttl"] for s in row["servers"] for answer in s["answers"]}
    assert ttls == {300, 60}  # the TTLs differ, and make no difference


def test_different_data_and_nxdomain_disagree(two_servers: list[str]) -> None:
    status, rows = compare(two_servers, "same.cmp.test", "diff.cmp.test", "gone.cmp.test")
    assert status == 1
    assert [row["agree"] for row in rows] == [True, False, False]
    diff, gone = rows[1]["servers"], rows[2]["servers"]
    assert [s["answers"][0]["data"] for s in diff] == ["192.0.2.10", "192.0.2.11"]
    # A tie goes to the first server: the second is the one shown as differing.
    assert [s["majority"] for s in diff] == [True, False]
    assert [s["rcode"] for s in gone] == ["NOERROR", "NXDOMAIN"]
    assert gone[1]["error"] is not None and gone[1]["answers"] == []


def test_json_fields(two_servers: list[str]) -> None:
    _status, [row] = compare(two_servers, "diff.cmp.test", "-t", "A")
    assert set(row) == {"name", "qname", "type", "agree", "servers", "rdclass"}
    assert row["qname"] == "diff.cmp.test." and row["type"] == "A"
    for server in row["servers"]:
        assert set(server) == {
            *("server", "rcode", "status", "answers", "rtt_ms", "error", "majority"),
            "edns_options",
        }
        assert server["server"] in {two_servers[1], two_servers[3]}
        assert server["rtt_ms"] >= 0


def test_batch_streams_in_input_order_with_types(two_servers: list[str], tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# a comment\ngone.cmp.test A TXT\nsame.cmp.test\n\ndiff.cmp.test\n" * 3)
    done = run_netkit("resolve", "--compare", *two_servers, "-f", str(names), "--jsonl")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    asked = [(row["name"], row["type"], row["agree"]) for row in rows]
    one_round = [
        ("gone.cmp.test", "A", False),
        ("gone.cmp.test", "TXT", False),  # NODATA on one, NXDOMAIN on the other
        ("same.cmp.test", "A", True),
        ("diff.cmp.test", "A", False),
    ]
    assert asked == one_round * 3
    assert done.returncode == 1
    assert "summary: 12 questions asked of 2 servers: 9 differ" in done.stderr


def test_table_marks_differing_cells(two_servers: list[str]) -> None:
    done = run_netkit("resolve", "--compare", *two_servers, "same.cmp.test", "diff.cmp.test")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", two_servers[1], two_servers[3], "AGREE"]
    same = next(line for line in lines if line.startswith("same.cmp.test."))
    diff = next(line for line in lines if line.startswith("diff.cmp.test."))
    assert "192.0.2.1, 192.0.2.2, 192.0.2.3" in same and same.endswith("yes") and "*" not in same
    assert "* 192.0.2.11" in diff and diff.endswith("NO")
    assert "300" not in diff  # TTLs only with --ttl
    with_ttl = run_netkit("resolve", "--compare", *two_servers, "diff.cmp.test", "--ttl")
    assert "300 192.0.2.10" in with_ttl.stdout and "60 192.0.2.11" in with_ttl.stdout


def test_agreeing_servers_exit_zero_even_on_nxdomain(two_servers: list[str]) -> None:
    status, [row] = compare(two_servers, "nowhere.cmp.test")
    assert status == 0
    assert [s["rcode"] for s in row["servers"]] == ["NXDOMAIN", "NXDOMAIN"]


def test_a_silent_server_fails(two_servers: list[str]) -> None:
    with fake_server(silent) as port:
        servers = [*two_servers[:2], "-s", f"127.0.0.1#{port}"]
        done = run_netkit(
            "resolve", "--compare", *servers, "same.cmp.test", "--timeout", "0.2", "--retries", "0"
        )
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "NO" in done.stdout.split()


@pytest.mark.parametrize("colour", [{}, {"FORCE_COLOR": "1", "NO_COLOR": ""}])
def test_hostile_data_is_shown_as_data(two_servers: list[str], colour: dict[str, str]) -> None:
    done = run_netkit("resolve", "--compare", *two_servers, "txt.cmp.test", "-t", "TXT", env=colour)
    assert done.returncode == 1
    assert_safe(done.stdout, ["[bold]x[/bold]"], terminal=bool(colour))
    assert "\\027]0;pwned\\007" in done.stdout
    # Names from the command line are data too.
    names = ["\x1b]0;pwned\x07.cmp.test", "[bold]y.cmp.test", "\u202eevil.cmp.test"]
    done = run_netkit("resolve", "--compare", *two_servers, *names, env=colour)
    assert_safe(done.stdout + done.stderr, names[:2], terminal=bool(colour))
    assert "\u202e" not in done.stdout


def test_usage_errors() -> None:
    done = run_netkit("resolve", "--compare", "--service", "http", "x.test")
    assert done.returncode == 2
    done = run_netkit("resolve", "--compare", "--https", "https://127.0.0.1/dns", "x.test")
    assert done.returncode == 2 and "--https" in done.stderr
    done = run_netkit("resolve", "--dns", "--ttl", "x.test")
    assert done.returncode == 2 and "--ttl is for --compare" in done.stderr


def _result(server: str, rcode: str | None, *data: str, ttl: int = 300) -> DnsResult:
    return DnsResult(
        name="n.test",
        qname="n.test.",
        unicode_name=None,
        type="A",
        server=server,
        port=53,
        transport="udp",
        rcode=rcode,
        answers=[Record("N.test." if ttl % 2 else "n.test.", "A", ttl, d) for d in data],
        error=None if rcode else "no reply",
    )


def test_compare_results_sets_and_majority() -> None:
    one = _result("192.0.2.1", "NOERROR", "192.0.2.1", "192.0.2.2")
    two = _result("192.0.2.2", "NOERROR", "192.0.2.2", "192.0.2.1", ttl=17)  # order, TTL, case
    three = _result("192.0.2.3", "NOERROR", "192.0.2.9")
    assert compare_results([one, two]).agree
    mixed = compare_results([three, one, two])
    assert not mixed.agree
    assert [s.majority for s in mixed.servers] == [False, True, True]
    silent_one = _result("192.0.2.4", None)
    failed = compare_results([one, silent_one])
    assert not failed.agree and [s.majority for s in failed.servers] == [True, False]
    assert not compare_results([silent_one, silent_one]).agree


def test_a_port_in_a_server_and_port_is_refused_as_with_dns() -> None:
    from tests.support import run_netkit

    done = run_netkit("resolve", "--compare", "@127.0.0.1#5399", "@127.0.0.2", "-p", "5300",
                      "example.test")  # fmt: skip
    assert done.returncode == 2
    assert "names its port and so does -p/--port" in done.stderr
