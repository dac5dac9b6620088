"""EDNS options and header bits of --dns queries (--nsid, --cookie, --subnet, --padding, --bufsize,
--no-edns, --ednsopt, --cd, --ad), the OPT options of replies decoded, and --search.

NSD with an NSID and DNS cookies is asked by netkit and by dig; what a query carries is checked
on the bytes a small fake server captures, against dnspython's reading of them and dig's query.
"""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.edns
import dns.flags
import dns.message
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netkit.resolve.edns import QueryEdns, decode_options
from netkit.resolve.search import SearchList, read_search_list, search_candidates
from netkit.resolve.wire import build_query, name_to_wire, parse_reply, without_edns
from tests.render.hostile import assert_safe
from tests.resolve.fake_servers import answer, fake_server
from tests.resolve.nsd import Nsd, running_nsd
from tests.resolve.zones import ZONES
from tests.support import IN_CI, netkit_executable, require_tool, run_netkit

NSID_OPTIONS = '  nsid: "ascii_netkit-ns1"\n  answer-cookie: yes\n'


@pytest.fixture(scope="module")
def nsd_nsid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nsd]:
    """NSD that tells its NSID and answers DNS cookies (nsd.conf(5), NSD 4.6)."""
    binary = require_tool("nsd")
    directory = tmp_path_factory.mktemp("nsd-nsid")
    with running_nsd(binary, directory, ZONES, server_options=NSID_OPTIONS) as server:
        yield server


def dig(port: int, *args: str) -> str:
    done = subprocess.run(
        [require_tool("dig"), "@127.0.0.1", "-p", str(port), "+tries=1", "+time=2", *args],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    return done.stdout


def netkit_json(port: int, *args: str) -> dict[str, Any]:
    done = run_netkit("resolve", "@127.0.0.1", "-p", str(port), "--timeout", "2", *args, "--json")
    assert "Traceback" not in done.stderr
    [result] = json.loads(done.stdout)
    assert isinstance(result, dict)
    return result


def options_by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {option["name"]: option for option in result["edns"]["options"]}


def test_nsid_as_dig_shows_it(nsd_nsid: Nsd) -> None:
    dig_line = next(
        line for line in dig(nsd_nsid.port, "+nsid", "host.example.test").splitlines()
        if line.startswith("; NSID:")
    )  # fmt: skip
    nsid = options_by_name(netkit_json(nsd_nsid.port, "--nsid", "host.example.test"))["NSID"]
    assert nsid["decoded"] == {"text": "netkit-ns1"}
    assert nsid["hex"] == b"netkit-ns1".hex()
    assert f"; NSID: {nsid['text']}" == dig_line  # '6e 65 ... ("netkit-ns1")', as dig writes
    text = run_netkit(
        "resolve", "@127.0.0.1", "-p", str(nsd_nsid.port), "--nsid", "host.example.test"
    )
    assert dig_line in text.stdout.splitlines()
    assert ";; OPT PSEUDOSECTION:" in text.stdout
    # No NSID asked, none given.
    assert options_by_name(netkit_json(nsd_nsid.port, "host.example.test")) == {}


def test_cookie_gets_a_server_cookie_as_with_dig(nsd_nsid: Nsd) -> None:
    client = "0102030405060708"
    dig_out = dig(nsd_nsid.port, f"+cookie={client}", "host.example.test")
    [dig_cookie] = re.findall(r"^; COOKIE: ([0-9a-f]+)", dig_out, re.MULTILINE)
    assert dig_cookie.startswith(client) and len(dig_cookie) > 16  # a server cookie came
    given = options_by_name(netkit_json(nsd_nsid.port, f"--cookie={client}", "host.example.test"))
    cookie = given["COOKIE"]["decoded"]
    assert cookie["client"] == client
    assert len(cookie["server"]) == len(dig_cookie) - 16
    # A bare --cookie sends a random client cookie and leaves the NAME after it alone.
    random = options_by_name(netkit_json(nsd_nsid.port, "--cookie", "host.example.test"))
    assert len(random["COOKIE"]["decoded"]["client"]) == 16
    assert random["COOKIE"]["decoded"]["server"]


@pytest.fixture
def capture() -> Iterator[tuple[int, list[bytes]]]:
    """A fake server that answers every query and keeps its bytes."""
    queries: list[bytes] = []

    def keep(wire: bytes) -> list[bytes]:
        queries.append(wire)
        return [answer(wire).to_wire()]

    with fake_server(keep) as port:
        yield port, queries


def sent(capture: tuple[int, list[bytes]], *args: str) -> dns.message.Message:
    port, queries = capture
    queries.clear()
    done = run_netkit("resolve", "@127.0.0.1", "-p", str(port), *args, "a.example.test")
    assert done.returncode == 0, done.stderr
    return dns.message.from_wire(queries[-1])


def test_subnet_is_sent_as_dig_sends_it(capture: tuple[int, list[bytes]]) -> None:
    for subnet in ("192.0.2.77/24", "2001:db8:1234::/48", "198.51.100.1"):
        query = sent(capture, "--subnet", subnet)
        [ecs] = [o for o in query.options if o.otype == dns.edns.OptionType.ECS]
        assert isinstance(ecs, dns.edns.ECSOption)
        ours = ecs.to_wire()
        port, queries = capture
        queries.clear()
        dig(port, f"+subnet={subnet}", "a.example.test")
        dig_query = dns.message.from_wire(queries[-1])
        [dig_ecs] = [o for o in dig_query.options if o.otype == dns.edns.OptionType.ECS]
        assert ours == dig_ecs.to_wire(), subnet


def test_no_edns_sends_no_opt(capture: tuple[int, list[bytes]]) -> None:
    assert sent(capture, "--no-edns").edns == -1
    assert sent(capture).edns == 0
    done = run_netkit("resolve", "@127.0.0.1", "--no-edns", "--nsid", "x.test")
    assert done.returncode == 2 and "--nsid" in done.stderr


def test_bufsize_ednsopt_nsid_and_header_bits(capture: tuple[int, list[bytes]]) -> None:
    query = sent(capture, "--bufsize", "4096", "--ednsopt", "65001:abcd", "--ednsopt", "NSID")
    assert query.payload == 4096
    options = {int(o.otype): o.to_wire() for o in query.options}
    assert options == {65001: b"\xab\xcd", 3: b""}
    assert sent(capture, "--nsid").options[0].otype == dns.edns.OptionType.NSID
    flags = sent(capture, "--cd", "--ad").flags
    assert flags & dns.flags.CD and flags & dns.flags.AD
    plain = sent(capture).flags
    assert not plain & dns.flags.CD and not plain & dns.flags.AD


def test_padding_fills_a_block(capture: tuple[int, list[bytes]]) -> None:
    port, queries = capture
    for name in ("a.example.test", "a-much-longer-name.of.several.labels.example.test"):
        run_netkit("resolve", "@127.0.0.1", "-p", str(port), "--padding", name)
        assert len(queries[-1]) % 128 == 0
        query = dns.message.from_wire(queries[-1])
        assert [o.otype for o in query.options] == [dns.edns.OptionType.PADDING]


@pytest.mark.parametrize(
    "value", ["nothex", "0102", "--subnet=300.1.2.3", "--ednsopt=70000", "--ednsopt=NSID:zz"]
)
def test_bad_values_are_usage_errors(value: str) -> None:
    args = [value] if value.startswith("--") else [f"--cookie={value}"]
    done = run_netkit("resolve", "@127.0.0.1", *args, "x.test")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr


EDE_TEXT = "blocked by \x1b]0;pwned\x07 policy [bold]x[/bold]"


def ede_reply(wire: bytes) -> list[bytes]:
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.REFUSED)
    ede = dns.edns.EDEOption(dns.edns.EDECode.PROHIBITED, EDE_TEXT)
    unknown = dns.edns.GenericOption(65001, b"\x01\x02")
    response.use_edns(0, options=[ede, unknown])
    return [response.to_wire()]


@pytest.mark.parametrize("colour", [{}, {"FORCE_COLOR": "1", "NO_COLOR": ""}])
def test_extended_dns_errors_are_decoded(colour: dict[str, str]) -> None:
    with fake_server(ede_reply) as port:
        result = netkit_json(port, "refused.example.test")
        done = run_netkit(
            "resolve", "@127.0.0.1", "-p", str(port), "refused.example.test", env=colour
        )
    options = options_by_name(result)
    assert options["EDE"]["decoded"] == {
        "info_code": 18,
        "info_name": "Prohibited",
        "extra_text": EDE_TEXT,
    }
    assert options["OPT65001"] == {
        "code": 65001, "name": "OPT65001", "hex": "0102", "text": None, "decoded": None,
    }  # fmt: skip
    assert done.returncode == 1
    assert "; EDE: 18 (Prohibited): (blocked by " in done.stdout
    assert "; OPT65001: 0102" in done.stdout
    assert_safe(done.stdout, [EDE_TEXT], terminal=bool(colour))


def test_decode_options_survives_junk() -> None:
    cut = decode_options(b"\x00\x0f\x00\x01\x00")  # EDE with a one-octet info code
    assert [(o.name, o.text) for o in cut] == [("EDE", "malformed (1 octets)")]
    [short] = decode_options(b"\x00\x03")
    assert short.name == "TRUNCATED"
    [subnet] = decode_options(bytes.fromhex("0008000700011800c00002"))
    assert subnet.text == "192.0.2.0/24/0"


# -- --search -------------------------------------------------------------------------------------


def test_search_list_from_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# comment\nnameserver 127.0.0.1\ndomain first.test\nsearch a.test b.test.\n"
        "options rotate ndots:2 timeout:1\n"
    )
    search = read_search_list(str(conf))
    assert search == SearchList(("a.test", "b.test."), 2)
    assert search_candidates("host", search) == ["host.a.test", "host.b.test", "host"]
    assert search_candidates("www.host", search) == [
        "www.host.a.test",
        "www.host.b.test",
        "www.host",
    ]
    assert search_candidates("a.b.c", search) == ["a.b.c", "a.b.c.a.test", "a.b.c.b.test"]
    assert search_candidates("host.", search) == ["host."]
    assert read_search_list(str(tmp_path / "missing")) == SearchList()
    conf.write_text("search a.test\ndomain only.test\noptions ndots:99\n")
    assert read_search_list(str(conf)) == SearchList(("only.test",), 15)


@pytest.fixture(scope="module")
def search_conf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resolv.conf with a search list, which a private mount namespace binds over the real
    one (the host's file is never touched)."""
    unshare = require_tool("unshare")
    conf = tmp_path_factory.mktemp("resolv") / "resolv.conf"
    conf.write_text("nameserver 127.0.0.1\nsearch other.example.test example.test\n")
    probe = subprocess.run(
        [unshare, "-m", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && cat /etc/resolv.conf',
         str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )  # fmt: skip
    if probe.returncode != 0 or "other.example.test" not in probe.stdout:
        message = f"cannot bind a resolv.conf in a private mount namespace: {probe.stderr!r}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return conf


def test_search_tries_the_candidates_in_order(nsd_nsid: Nsd, search_conf: Path) -> None:
    script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    namespace = [require_tool("unshare"), "-m", "sh", "-c", script, str(search_conf)]
    done = subprocess.run(
        [*namespace, netkit_executable(), "resolve", "-s", f"127.0.0.1#{nsd_nsid.port}",
         "--search", "host", "mail", "nowhere", "--jsonl"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    results = [json.loads(line) for line in done.stdout.splitlines()]
    # host.other.example.test is NXDOMAIN: host.example.test answers.
    assert [(r["name"], r["qname"], r["rcode"]) for r in results] == [
        ("host", "host.example.test.", "NOERROR"),
        ("mail", "mail.example.test.", "NOERROR"),
        ("nowhere", "nowhere.", "REFUSED"),  # the last candidate: the name as it is
    ]
    assert done.returncode == 1


# -- the wire forms, against dnspython ------------------------------------------------------------

option_lists = st.lists(
    st.tuples(
        # Codes dnspython keeps as generic options: unassigned, and local use (RFC 6891 9).
        st.integers(100, 200) | st.integers(65001, 65534),
        st.binary(max_size=40),
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(options=option_lists, payload=st.integers(512, 0xFFFF), padding=st.booleans())
def test_query_options_as_dnspython_reads_them(
    options: list[tuple[int, bytes]], payload: int, padding: bool
) -> None:
    edns = QueryEdns(payload, tuple(options), padding)
    wire = build_query(name_to_wire("a.example."), 1, dnssec=True, edns=edns)
    query = dns.message.from_wire(wire)
    assert query.payload == payload and query.ednsflags & dns.flags.DO
    read = [(int(o.otype), o.to_wire()) for o in query.options]
    assert read[: len(options)] == options
    if padding:
        assert len(wire) % 128 == 0 and read[-1][0] == 12
    plain = without_edns(wire)
    assert plain is not None and dns.message.from_wire(plain).edns == -1


def test_reply_options_decoded_as_dnspython_writes_them() -> None:
    query = dns.message.make_query("a.example.", "A")
    response = dns.message.make_response(query)
    response.use_edns(
        0,
        payload=4096,
        options=[
            dns.edns.NSIDOption(b"ns\x01\xff"),
            dns.edns.ECSOption("2001:db8:1::", 48, 56),
            dns.edns.GenericOption(dns.edns.OptionType.COOKIE, bytes(range(24))),
            dns.edns.GenericOption(dns.edns.OptionType.PADDING, bytes(30)),
            dns.edns.EDEOption(dns.edns.EDECode.STALE_ANSWER),
        ],
    )
    reply = parse_reply(response.to_wire())
    assert reply.edns is not None and reply.edns.udp_size == 4096
    decoded = {option.name: (option.text, option.decoded) for option in reply.edns.options}
    assert decoded == {
        "NSID": ('6e 73 01 ff ("ns..")', {"text": "ns\x01\udcff"}),
        "CLIENT-SUBNET": (
            "2001:db8:1::/48/56",
            {"family": 2, "address": "2001:db8:1::", "source_prefix": 48, "scope_prefix": 56},
        ),
        "COOKIE": (
            "0001020304050607 08090a0b0c0d0e0f1011121314151617",
            {"client": "0001020304050607", "server": "08090a0b0c0d0e0f1011121314151617"},
        ),
        "PADDING": ("(30 octets)", {"length": 30}),
        "EDE": (
            "3 (Stale Answer)",
            {"info_code": 3, "info_name": "Stale Answer", "extra_text": None},
        ),
    }


@pytest.mark.parametrize(
    ("dig_option", "netkit_option"),
    [("+cd", "--cd"), ("+cdflag", "--cd"), ("+adflag", "--ad"), ("+nsid", "--nsid"),
     ("+noedns", "--no-edns"), ("+padding", "--padding")],
)  # fmt: skip
def test_dig_options_send_what_netkit_options_send(
    capture: tuple[int, list[bytes]], dig_option: str, netkit_option: str
) -> None:
    by_dig, by_netkit = sent(capture, dig_option), sent(capture, netkit_option)
    assert (by_dig.flags, by_dig.edns, by_dig.options) == (
        by_netkit.flags, by_netkit.edns, by_netkit.options,
    )  # fmt: skip
    assert (by_dig.flags, by_dig.edns, by_dig.options) != (
        (plain := sent(capture)).flags, plain.edns, plain.options,
    )  # fmt: skip


def test_a_dig_option_contradicting_a_netkit_option_is_refused() -> None:
    refused = run_netkit("resolve", "@127.0.0.1", "+edns", "--no-edns", "x.test")
    assert refused.returncode == 2
    assert "+edns contradicts --no-edns" in refused.stderr
