"""`netkit resolve --trace` over a real hierarchy of NSD servers (tests/resolve/hierarchy.py):
delegations with and without glue, a lame set, CNAME and DNAME across zones, loops.

dig, asking the leaf server directly, is the judge of the final answers.
"""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netkit.resolve.trace import Trace, TraceSettings, TraceStep, parse_hints, root_hints, trace
from tests.render.hostile import assert_safe
from tests.resolve.hierarchy import (
    LAME,
    LEAF,
    MUTE,
    OTHER,
    ROOT,
    SILENT,
    TLD,
    Hierarchy,
    running_hierarchy,
)
from tests.support import TerminalOutput, invoke_netkit, netkit_executable, require_tool, run_netkit


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hierarchy]:
    nsd = require_tool("nsd")
    with running_hierarchy(nsd, tmp_path_factory.mktemp("hierarchy")) as running:
        yield running


def _args(hierarchy: Hierarchy, *args: str) -> list[str]:
    port = str(hierarchy.port)
    common = ["--hints", str(hierarchy.hints), "--port", port, "--timeout", "2", "--retries", "0"]
    return ["resolve", "--trace", *common, *args]


def _trace(hierarchy: Hierarchy, *args: str) -> tuple[int, dict[str, Any], str]:
    status, out, err = invoke_netkit(*_args(hierarchy, "--json", *args))
    return status, json.loads(out), err


def _path(trace: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (step["zone"], step["server"], step["address"], step["outcome"]) for step in trace["steps"]
    ]


def _dig(address: str, port: int, name: str, rdtype: str) -> list[str]:
    dig = require_tool("dig")
    out = subprocess.run(
        [dig, f"@{address}", "-p", str(port), "+norecurse", "+short", name, rdtype],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout
    return sorted(out.split("\n")[:-1])


def test_walks_down_from_the_root_to_the_answer(hierarchy: Hierarchy) -> None:
    status, trace, _ = _trace(hierarchy, "www.example.test")
    assert status == 0
    assert _path(trace) == [
        (".", "a.root.test.", ROOT, "referral"),
        ("test.", "ns1.test.", TLD, "referral"),
        ("example.test.", "ns.example.test.", LEAF, "answer"),
    ]
    first, _, last = trace["steps"]
    assert first["referral"]["zone"] == "test."
    assert first["referral"]["servers"] == ["ns1.test."]
    assert [glue["data"] for glue in first["referral"]["glue"]] == [TLD]
    assert first["referral"]["ds"] is None  # not asked for without --dnssec
    assert "aa" not in first["flags"] and "aa" in last["flags"]
    assert all(step["port"] == hierarchy.port and step["rtt_ms"] > 0 for step in trace["steps"])
    assert trace["status"] == "answer" and trace["error"] is None
    answers = sorted(record["data"] for record in trace["answers"])
    assert (
        answers
        == _dig(LEAF, hierarchy.port, "www.example.test", "A")
        == [
            "192.0.2.1",
            "192.0.2.11",
        ]
    )


def test_glueless_servers_are_found_by_a_nested_trace(hierarchy: Hierarchy) -> None:
    """alias.example.test. is a CNAME into far.test., whose server has no glue: the target is
    traced again from the root, and the server's address by a trace nested in the referral."""
    status, trace, _ = _trace(hierarchy, "alias.example.test")
    assert status == 0
    assert [(zone, outcome) for zone, _, _, outcome in _path(trace)] == [
        (".", "referral"),
        ("test.", "referral"),
        ("example.test.", "cname"),
        (".", "referral"),
        ("test.", "referral"),
        ("far.test.", "answer"),
    ]
    cname, referral = trace["steps"][2], trace["steps"][4]
    assert cname["target"] == "www.far.test."
    assert referral["referral"] == {
        "zone": "far.test.",
        "servers": ["ns2.other.test."],
        "glue": [],
        "ds": None,
    }
    [nested] = referral["nested"]
    assert (nested["name"], nested["type"], nested["status"], nested["depth"]) == (
        "ns2.other.test.",
        "A",
        "answer",
        1,
    )
    assert [step["zone"] for step in nested["steps"]] == [".", "test.", "other.test."]
    assert all(step["depth"] == 1 for step in nested["steps"])
    assert trace["steps"][5]["address"] == OTHER
    assert [(r["type"], r["data"]) for r in trace["answers"]] == [
        ("CNAME", "www.far.test."),
        ("A", "192.0.2.2"),
    ]
    assert _dig(OTHER, hierarchy.port, "www.far.test", "A") == ["192.0.2.2"]


def test_dname_rewrites_the_name_into_another_zone(hierarchy: Hierarchy) -> None:
    status, trace, _ = _trace(hierarchy, "www.old.example.test")
    assert status == 0
    dname = trace["steps"][2]
    assert (dname["outcome"], dname["target"]) == ("dname", "www.far.test.")
    assert [(r["type"], r["data"]) for r in trace["answers"]] == [
        ("DNAME", "far.test."),
        ("A", "192.0.2.2"),
    ]


def test_lame_servers_are_named_and_the_next_one_asked(hierarchy: Hierarchy) -> None:
    status, trace, _ = _trace(hierarchy, "www.lame.test")
    assert status == 0
    lame_steps = [step for step in trace["steps"] if step["zone"] == "lame.test."]
    by_address = {step["address"]: step for step in lame_steps}
    assert by_address[LAME]["outcome"] == "lame"
    assert by_address[LAME]["rcode"] == "REFUSED"
    assert "REFUSED" in by_address[LAME]["error"]
    assert by_address[SILENT]["outcome"] == "failed" and by_address[SILENT]["rcode"] is None
    assert lame_steps[-1]["address"] == LEAF and lame_steps[-1]["outcome"] == "answer"
    assert [r["data"] for r in trace["answers"]] == _dig(LEAF, hierarchy.port, "www.lame.test", "A")


def test_a_server_that_never_answers_times_out_and_the_next_is_asked(
    hierarchy: Hierarchy,
) -> None:
    status, trace, _ = _trace(hierarchy, "--timeout", "0.2", "-4", "www.mute.test")
    assert status == 0
    mute, good = [step for step in trace["steps"] if step["zone"] == "mute.test."]
    assert (mute["address"], mute["outcome"], mute["rtt_ms"]) == (MUTE, "failed", None)
    assert mute["error"].startswith(f"no reply from {MUTE}#{hierarchy.port} after 1 try")
    assert (good["address"], good["outcome"]) == (LEAF, "answer")


def test_negative_answers_from_the_authority_exit_0_like_dig(hierarchy: Hierarchy) -> None:
    status, trace, _ = _trace(hierarchy, "nope.example.test")
    assert (status, trace["status"], trace["steps"][-1]["outcome"]) == (0, "NXDOMAIN", "nxdomain")
    assert trace["steps"][-1]["authority"][0]["type"] == "SOA"
    status, trace, _ = _trace(hierarchy, "example.test", "-t", "TXT")
    assert (status, trace["status"], trace["answers"]) == (0, "NODATA", [])
    # -x traces the reverse name: the test root has no arpa., so the root says NXDOMAIN.
    status, trace, _ = _trace(hierarchy, "-x", "192.0.2.1")
    assert (status, trace["name"], trace["type"], trace["status"]) == (
        0,
        "1.2.0.192.in-addr.arpa.",
        "PTR",
        "NXDOMAIN",
    )


def test_a_cname_loop_stops_with_an_error(hierarchy: Hierarchy) -> None:
    status, trace, err = _trace(hierarchy, "loop1.example.test")
    assert status == 1
    assert trace["status"] == "failed"
    assert "CNAME loop: loop1.example.test. -> loop2.example.test. -> loop1.example.test." in err
    assert len(trace["steps"]) == 6  # the walk to loop1, then to loop2, then it stops


def test_a_referral_upward_is_a_delegation_loop(hierarchy: Hierarchy) -> None:
    """up.test. is delegated to the root server, which refers the query back to test."""
    status, trace, err = _trace(hierarchy, "www.up.test")
    assert status == 1
    last = trace["steps"][-1]
    assert (last["zone"], last["outcome"]) == ("up.test.", "lame")
    assert "delegation loop: referred up to test." in last["error"]
    assert "no server of up.test. gave a usable reply" in err


def test_the_step_budget_bounds_the_work(hierarchy: Hierarchy) -> None:
    hints = parse_hints(hierarchy.hints.read_text())
    settings = TraceSettings(port=hierarchy.port, max_steps=6)
    events = list(trace("alias.example.test.", "A", settings, hints))
    top = events[-1]
    assert isinstance(top, Trace) and top.depth == 0
    assert top.status == "failed" and top.error == "gave up after 6 queries (the limit)"
    assert sum(isinstance(event, TraceStep) for event in events) == 6
    # The nested trace that ran out stopped too, and said so.
    assert [e.depth for e in events if isinstance(e, Trace)] == [1, 0]
    [nested] = top.steps[4].nested  # under the referral to far.test., whose server has no glue
    assert (nested.name, nested.status, nested.error) == ("ns2.other.test.", "failed", top.error)


def test_a_family_without_root_servers_fails_clearly(hierarchy: Hierarchy) -> None:
    """-6 leaves the all-IPv4 hierarchy without a usable root server."""
    status, trace, err = _trace(hierarchy, "-6", "www.example.test")
    assert (status, trace["steps"]) == (1, [])
    assert "no address is known for this root server" in err


def test_text_streams_each_step_and_shows_hostile_data_as_data(hierarchy: Hierarchy) -> None:
    result = run_netkit(*_args(hierarchy, "hostile.example.test", "-t", "TXT"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "tracing hostile.example.test. TXT from the root"
    assert lines[1].startswith(f".  a.root.test. {ROOT}#{hierarchy.port}")
    assert "referral to test." in lines[1]
    assert "└── NS ns1.test.  glue 127.0.0.22" in lines[2]
    assert_safe(result.stdout, ["[bold]x[/bold]", "\\027[31mred\\007"])


def test_a_hostile_name_reaches_the_terminal_escaped_and_json_exactly(
    hierarchy: Hierarchy,
) -> None:
    """The name typed with a raw ESC, and the zone's owner name with it (\\027), as a CNAME."""
    hostile = "evil\x1b[31mname.example.test"
    argv = [netkit_executable(), *_args(hierarchy, hostile)]
    terminal = TerminalOutput(argv, env={"TERM": "xterm", "COLUMNS": "120", "FORCE_COLOR": "1"})
    try:
        assert terminal.process.proc.wait(30) == 0, terminal.process.stderr_lines
    finally:
        terminal.process.stop()
    screen = terminal.screen()
    assert_safe(screen, [hostile, "evil\\027[31mname.example.test. 300 IN CNAME"], terminal=True)
    status, trace, _ = _trace(hierarchy, hostile)
    assert (status, trace["name"]) == (0, hostile + ".")
    assert trace["answers"][0]["name"] == "evil\\027[31mname.example.test."


def test_short_prints_the_final_records(hierarchy: Hierarchy) -> None:
    status, out, _ = invoke_netkit(*_args(hierarchy, "--short", "alias.example.test"))
    assert (status, out) == (0, "www.far.test.\n192.0.2.2\n")


def test_tcp_and_dnssec(hierarchy: Hierarchy) -> None:
    status, trace, _ = _trace(hierarchy, "--tcp", "--dnssec", "www.example.test")
    assert status == 0
    assert {step["transport"] for step in trace["steps"]} == {"tcp"}
    root, tld = trace["steps"][0]["referral"], trace["steps"][1]["referral"]
    assert root["ds"] == []  # test. has no DS in the root zone
    # The parent holds a DS for example.test. (though unsigned, so NSD leaves it out of the
    # referral): the trace asks for it.
    [ds] = tld["ds"]
    assert (ds["name"], ds["type"], ds["data"]) == (
        "example.test.",
        "DS",
        "12345 13 2 " + "0123456789abcdef" * 4,
    )


def _trace_from(hierarchy: Hierarchy, server: str, *args: str) -> tuple[int, dict[str, Any], str]:
    """A trace whose root servers come from @server (dig +trace @SERVER), not from hints."""
    common = ["--port", str(hierarchy.port), "--timeout", "2", "--retries", "0", "--json"]
    status, out, err = invoke_netkit("resolve", "--trace", f"@{server}", *common, *args)
    return status, json.loads(out), err


def test_at_server_names_the_root_servers_and_the_walk_starts_there(
    hierarchy: Hierarchy,
) -> None:
    status, trace, err = _trace_from(hierarchy, ROOT, "www.example.test")
    assert status == 0, err
    roots = trace["steps"][0]
    assert (roots["qname"], roots["type"], roots["outcome"], roots["address"]) == (
        ".", "NS", "roots", ROOT,
    )  # fmt: skip
    assert roots["referral"]["servers"] == ["a.root.test."]
    assert [glue["data"] for glue in roots["referral"]["glue"]] == [ROOT]
    _, from_hints, _ = _trace(hierarchy, "www.example.test")
    assert _path(trace)[1:] == _path(from_hints)
    assert trace["answers"] == from_hints["answers"]


def test_root_servers_named_without_addresses_are_looked_up_at_the_server(
    hierarchy: Hierarchy,
) -> None:
    # A resolver that answers ". NS" with no additional section (as some do): the address of
    # the root server is asked of it next, with recursion, before the walk.
    import socket
    import threading

    import dns.message
    import dns.rdatatype
    import dns.rrset

    def answer(query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        question = query.question[0]
        rdtype = dns.rdatatype.to_text(question.rdtype)
        data = {"NS": "a.root.test.", "A": ROOT}.get(rdtype)
        if data is not None:
            reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", rdtype, data))
        return reply

    resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    resolver.bind(("127.0.0.25", hierarchy.port))
    resolver.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, peer = resolver.recvfrom(512)
            except TimeoutError:
                continue
            resolver.sendto(answer(dns.message.from_wire(wire)).to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        status, trace, err = _trace_from(hierarchy, "127.0.0.25", "www.example.test")
    finally:
        stop.set()
        thread.join(5)
        resolver.close()
    assert status == 0, err
    roots, lookup = trace["steps"][:2]
    assert (roots["outcome"], roots["referral"]["glue"]) == ("roots", [])
    assert (lookup["qname"], lookup["type"], lookup["outcome"]) == ("a.root.test.", "A", "roots")
    assert [record["data"] for record in lookup["answers"]] == [ROOT]
    assert (trace["steps"][2]["zone"], trace["steps"][2]["address"]) == (".", ROOT)
    assert trace["status"] == "answer"


def test_a_server_that_will_not_name_the_root_servers_fails_the_trace(
    hierarchy: Hierarchy,
) -> None:
    status, trace, err = _trace_from(hierarchy, LAME, "www.example.test")  # serves unrelated.
    assert status == 1
    assert [step["outcome"] for step in trace["steps"]] == ["failed"]
    assert f"no root servers from {LAME}#{hierarchy.port}" in err


def test_at_server_in_text_says_where_the_root_servers_came_from(hierarchy: Hierarchy) -> None:
    port = ["--port", str(hierarchy.port), "--timeout", "2", "--retries", "0"]
    result = run_netkit("resolve", "--trace", f"@{ROOT}", *port, "www.example.test")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "the root servers (asked with recursion)" in lines[1]
    assert "NS a.root.test." in lines[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hints", "/dev/null", "www.example.test"], "--hints is for --trace"),
        (["--trace", "@127.0.0.1", "@127.0.0.2", "a.test"], "one @SERVER for the root servers"),
        (["--trace", "@127.0.0.1", "--hints", "/dev/null", "a.test"], "give one"),
        (["--trace", "@127.0.0.1#53", "-p", "53", "a.test"], "names its port and so does"),
        (["--trace", "--tls", "www.example.test"], "--tls does not go with --trace"),
        (["--trace", "a.test", "b.test"], "--trace follows one name"),
        (["--trace", "-t", "A", "-t", "MX", "a.test"], "one record type"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    status, _, err = invoke_netkit("resolve", *args)
    assert status == 2
    assert message in err


def test_a_bad_hints_file_is_a_usage_error(tmp_path: Path) -> None:
    hints = tmp_path / "hints"
    hints.write_text("this is not a zone\n")
    status, _, err = invoke_netkit("resolve", "--trace", "--hints", str(hints), "example.test")
    assert status == 2
    assert "not a root hints file" in err


def test_root_hints_in_named_root_form_and_built_in() -> None:
    named_root = """\
;       This file holds the information on root name servers needed to
;       initialize cache of Internet domain name servers
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
;
.                        3600000      NS    B.ROOT-SERVERS.NET.
B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2
; End of file
"""
    servers = parse_hints(named_root)
    assert [(server.name, server.addresses) for server in servers] == [
        ("A.ROOT-SERVERS.NET.", ("198.41.0.4", "2001:503:ba3e::2:30")),
        ("B.ROOT-SERVERS.NET.", ("170.247.170.2",)),
    ]
    with pytest.raises(ValueError, match="no addresses"):
        parse_hints(". 3600000 NS a.root.test.\n")
    with pytest.raises(ValueError, match="no NS records"):
        parse_hints("a.root.test. 3600000 A 127.0.0.1\n")
    built_in = root_hints()
    assert len(built_in) == 13
    assert all(len(server.addresses) == 2 for server in built_in)
