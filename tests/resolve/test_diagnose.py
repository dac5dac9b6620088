"""resolve --diagnose: the parsers and candidate rules on temporary files, and one end-to-end
run per verdict against NSD on 127.0.0.77:53, with the resolver files bind-mounted in private
namespaces (tests/resolve/sandbox.py) so that the host's own files are never touched."""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netkit.resolve.hostconf import (
    DEFAULT_HOSTS_LINE,
    ResolvConf,
    candidate_names,
    parse_nss_sources,
    read_hosts,
    read_nsswitch,
    read_resolv_conf,
)
from tests.support import IN_CI, netkit_executable, require_tool

HOST_FILES = ("/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf")


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


# --- nsswitch.conf -------------------------------------------------------------------------


def test_nsswitch_actions_with_negation_spaces_and_case() -> None:
    sources, problems = parse_nss_sources(
        "files mdns4_minimal [ NOTFOUND = return ] resolve [!UNAVAIL=return] dns\tmyhostname"
    )
    assert problems == []
    assert [s.name for s in sources] == ["files", "mdns4_minimal", "resolve", "dns", "myhostname"]
    mdns, resolve = sources[1], sources[2]
    assert mdns.actions["NOTFOUND"] == "return"
    assert mdns.actions["UNAVAIL"] == "continue"
    assert resolve.actions == {
        "SUCCESS": "return",
        "NOTFOUND": "return",
        "UNAVAIL": "continue",
        "TRYAGAIN": "return",
    }
    assert resolve.criteria[0].negated
    assert sources[0].actions["SUCCESS"] == "return"  # the default


def test_nsswitch_odd_criteria_are_reported_not_fatal() -> None:
    sources, problems = parse_nss_sources(
        "[NOTFOUND=return] files [BOGUS=jump] dns [UNAVAIL=return"
    )
    assert [s.name for s in sources] == ["files", "dns"]
    assert sources[1].actions["UNAVAIL"] == "return"
    assert len(problems) == 3


def test_nsswitch_first_hosts_line_with_comments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nss",
        "# hosts: nothing\npasswd: files\n  HOSTS :  files dns # trailing\nhosts: dns\n",
    )
    parsed = read_nsswitch(path)
    assert (parsed.line, parsed.line_number) == ("files dns", 3)


def test_nsswitch_without_a_hosts_line_or_file_uses_glibcs_default(tmp_path: Path) -> None:
    for parsed in (read_nsswitch(write(tmp_path, "nss", "passwd: files\n")),
                   read_nsswitch(str(tmp_path / "missing"))):  # fmt: skip
        assert parsed.line == DEFAULT_HOSTS_LINE
        assert parsed.line_number is None
        assert [s.name for s in parsed.sources] == ["dns", "files"]
        assert parsed.sources[0].actions["NOTFOUND"] == "return"
    assert read_nsswitch(str(tmp_path / "missing")).error is not None


# --- /etc/hosts ----------------------------------------------------------------------------


def test_hosts_matches_with_line_numbers_tabs_comments_and_case(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hosts",
        "# 192.0.2.1 api\n"
        "192.0.2.1\tother API  # comment api\n"
        "fe80::1%eth0 api\n"  # glibc's files source cannot parse a scope id: skipped
        "not-an-address api\n"
        "2001:DB8::0:1 api.\n"  # a trailing dot is part of the name files compares
        "2001:db8::2 x api\n"
        + "10.0.0.1 "
        + "a" * 200_000
        + " api\n",  # cut at 64 KiB: api is not seen
    )
    found = read_hosts("Api", path)
    assert [(m.line_number, m.address, m.family) for m in found.matches] == [
        (2, "192.0.2.1", "IPv4"),
        (6, "2001:db8::2", "IPv6"),
    ]
    assert found.skipped == 2
    assert [m.address for m in read_hosts("api.", path).matches] == ["2001:db8::1"]


def test_hosts_unreadable_and_undecodable(tmp_path: Path) -> None:
    assert read_hosts("x", str(tmp_path / "missing")).error is not None
    path = write(tmp_path, "hosts", b"192.0.2.7 caf\xe9 x\x00y\n")
    assert read_hosts("x\x00y", path).matches[0].address == "192.0.2.7"


# --- resolv.conf ---------------------------------------------------------------------------


def test_resolv_conf_keywords_limits_and_stubs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "resolv",
        "; comment\n# nameserver 9.9.9.9\n"
        "nameserver 127.0.0.53\nnameserver\tfe80::1%eth0\nnameserver bogus\n"
        "nameserver 192.0.2.1\nnameserver 192.0.2.2\n"
        "search a.example b.example\ndomain c.example\n"
        "options ndots:99 timeout:1 attempts:x rotate edns0 single-request frobnicate\n",
    )
    conf = read_resolv_conf(path, environ={}, hostname="host")
    assert conf.nameservers == ["127.0.0.53", "fe80::1%eth0", "192.0.2.1"]
    assert (conf.search, conf.search_from) == (["c.example"], "domain")  # the last one wins
    assert (conf.ndots, conf.timeout, conf.attempts) == (15, 1, 2)
    assert conf.options == ["rotate", "edns0", "single-request"]
    assert "options frobnicate" in conf.ignored and "nameserver bogus" in conf.ignored
    assert [(s.address, s.kind) for s in conf.stubs] == [("127.0.0.53", "systemd-resolved stub")]


def test_resolv_conf_environment_and_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "resolv", "search a.example\n")
    conf = read_resolv_conf(
        path, environ={"LOCALDOMAIN": "x.example y.example", "RES_OPTIONS": "ndots:3 no-aaaa"},
        hostname="host",
    )  # fmt: skip
    assert (conf.search, conf.search_from, conf.ndots) == (
        ["x.example", "y.example"],
        "LOCALDOMAIN",
        3,
    )
    assert conf.options == ["no-aaaa"]
    empty = read_resolv_conf(str(tmp_path / "missing"), environ={}, hostname="web.corp.example")
    assert empty.nameservers == ["127.0.0.1"]  # resolv.conf(5): the local machine
    assert (empty.search, empty.search_from) == (["corp.example"], "hostname")
    assert empty.error is not None


# --- candidate names -----------------------------------------------------------------------


def conf(search: list[str], ndots: int = 1, options: list[str] | None = None) -> ResolvConf:
    return ResolvConf("x", ["127.0.0.1"], search, "search", ndots=ndots, options=options or [])


@pytest.mark.parametrize(
    ("name", "resolv", "expected"),
    [
        ("api", conf(["corp.example"]), ["api.corp.example.", "api."]),
        ("api.", conf(["corp.example"]), ["api."]),  # absolute: no search
        ("a.b", conf(["corp.example"]), ["a.b.", "a.b.corp.example."]),  # dots >= ndots
        ("a.b", conf(["corp.example"], ndots=5), ["a.b.corp.example.", "a.b."]),
        ("api", conf([]), ["api."]),
        ("api", conf(["corp.example"], options=["no-tld-query"]), ["api.corp.example."]),
        ("api", conf(["one.example", ".", "two.example"]),
         ["api.one.example.", "api.", "api.two.example."]),  # the root takes its place
        ("a.b", conf(["x.example", "x.example."], ndots=2), ["a.b.x.example.", "a.b."]),
    ],
)  # fmt: skip
def test_candidate_names_follow_res_search(
    name: str, resolv: ResolvConf, expected: list[str]
) -> None:
    assert [c.qname for c in candidate_names(name, resolv)] == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parsers_never_raise_on_any_text(text: str) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile("w", encoding="utf-8", errors="surrogateescape") as file:
        file.write(text)
        file.flush()
        read_nsswitch(file.name)
        read_hosts("x", file.name)
        read_resolv_conf(file.name, environ={}, hostname="h")
        parse_nss_sources(text)


# --- end to end in namespaces --------------------------------------------------------------

ROOT_ZONE = """\
$ORIGIN .
$TTL 300
@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@ IN NS ns.test.
ns.test. IN A 127.0.0.77
"""
EXAMPLE_ZONE = """\
$ORIGIN example.test.
$TTL 300
@     IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@     IN NS  ns.test.
www   IN A    192.0.2.10
dual  IN A    192.0.2.20
dual  IN AAAA 2001:db8::20
v6    IN AAAA 2001:db8::30
"""
CORP_ZONE = """\
$ORIGIN corp.test.
$TTL 300
@                 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@                 IN NS  ns.test.
api               IN A   192.0.2.40
www.example.test  IN A   192.0.2.66
"""
ZONES = {".": ROOT_ZONE, "example.test.": EXAMPLE_ZONE, "corp.test.": CORP_ZONE}
FILES_DNS = "hosts: files dns\n"


def _fingerprints() -> dict[str, str]:
    return {path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in HOST_FILES}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Any]:
    """Run `netkit resolve --diagnose` with the given files in fresh namespaces (root only)."""
    if os.geteuid() != 0:
        message = "needs root for unshare -n -m and port 53 on 127.0.0.77"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    unshare = require_tool("unshare")
    require_tool("ip")
    nsd = require_tool("nsd")
    before = _fingerprints()

    def run(  # noqa: PLR0913  # the knobs of one scenario, by keyword
        name: str, *, hosts: str, resolv: str, nsswitch: str = FILES_DNS,
        addresses: tuple[str, ...] = (), nsd_zones: bool = True, extra: tuple[str, ...] = (),
        second_zones: dict[str, str] | None = None, overlays: tuple[tuple[str, str], ...] = (),
    ) -> tuple[dict[str, Any], str]:  # fmt: skip
        servers = []
        for address, zones in (("127.0.0.77", ZONES if nsd_zones else None),
                               ("127.0.0.78", second_zones)):  # fmt: skip
            if zones is not None:
                directory = tmp_path / f"nsd-{address}"
                directory.mkdir(exist_ok=True)
                servers.append({"binary": nsd, "directory": str(directory), "zones": zones,
                                "address": address})  # fmt: skip
        argv = [netkit_executable(), "resolve", "--diagnose", name, "--timeout", "1", *extra]
        spec: dict[str, Any] = {
            "mounts": {
                "/etc/hosts": write(tmp_path, "hosts", hosts),
                "/etc/resolv.conf": write(tmp_path, "resolv.conf", resolv),
                "/etc/nsswitch.conf": write(tmp_path, "nsswitch.conf", nsswitch),
            },
            "addresses": list(addresses),
            "nsd": servers,
            "overlays": [list(pair) for pair in overlays],
        }
        outputs = []
        for form in (["--json"], []):  # the JSON to check, and the text for people
            spec_path = write(tmp_path, "spec.json", json.dumps({**spec, "argv": [*argv, *form]}))
            done = subprocess.run(
                [unshare, "-n", "-m", "--propagation", "private",
                 sys.executable, "-m", "tests.resolve.sandbox", spec_path],
                capture_output=True, text=True, timeout=60, check=False,
                cwd=Path(__file__).resolve().parents[2], env={**os.environ, "NO_COLOR": "1"},
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            result = json.loads(done.stdout)
            assert result["returncode"] == 0, result["stderr"]
            outputs.append(result["stdout"])
        return json.loads(outputs[0]), outputs[1]

    yield run
    assert _fingerprints() == before  # the host's own files are untouched


def codes(diagnosis: dict[str, Any]) -> list[str]:
    return [verdict["code"] for verdict in diagnosis["verdicts"]]


def addresses(result: dict[str, Any]) -> set[str]:
    return {info["address"] for info in result["results"]}


NS = "nameserver 127.0.0.77\n"


def test_hosts_file_overrides_dns(sandbox: Any) -> None:
    hosts = "127.0.0.1 localhost\n# a stale entry\n192.0.2.99\tWWW.example.test web\n"
    diagnosis, text = sandbox("www.example.test", hosts=hosts, resolv=NS)
    assert codes(diagnosis) == ["hosts-file-override"]
    assert diagnosis["answered_by"] == "files"
    assert [(m["line_number"], m["address"]) for m in diagnosis["hosts"]["matches"]] == [
        (3, "192.0.2.99")
    ]
    assert addresses(diagnosis["getaddrinfo"]) == {"192.0.2.99"}
    assert diagnosis["dig_addresses"] == ["192.0.2.10"]
    assert [s["source"] for s in diagnosis["sources"]] == ["files"]  # dns is never reached
    assert "/etc/hosts overrides DNS for this name (line 3: 192.0.2.99)" in text


def test_search_domain_appended(sandbox: Any) -> None:
    diagnosis, text = sandbox("api", hosts="", resolv=NS + "search corp.test\n")
    assert codes(diagnosis) == ["search-domain-appended"]
    assert [c["qname"] for c in diagnosis["candidates"]] == ["api.corp.test.", "api."]
    assert addresses(diagnosis["getaddrinfo"]) == {"192.0.2.40"}
    assert diagnosis["dig_addresses"] == []
    statuses = {(a["qname"], a["type"]): a["rcode"] for a in diagnosis["dns"]}
    assert statuses[("api.", "A")] == "NXDOMAIN"
    assert "the search domain corp.test was appended" in text


def test_ndots_tries_the_search_list_first(sandbox: Any) -> None:
    resolv = NS + "search corp.test\noptions ndots:5 timeout:1\n"
    diagnosis, text = sandbox("www.example.test", hosts="", resolv=resolv)
    assert codes(diagnosis) == ["ndots-search-first"]
    assert diagnosis["resolv_conf"]["ndots"] == 5
    assert [c["qname"] for c in diagnosis["candidates"]] == [
        "www.example.test.corp.test.",
        "www.example.test.",
    ]
    assert addresses(diagnosis["getaddrinfo"]) == {"192.0.2.66"}
    assert diagnosis["dig_addresses"] == ["192.0.2.10"]
    assert "ndots:5: names with fewer than 5 dots try the search list first" in text


def test_addrconfig_drops_aaaa_on_an_ipv4_only_host(sandbox: Any) -> None:
    # The namespace has 127.0.0.1 and ::1 on lo, plus one IPv4 address: no IPv6 but loopback.
    diagnosis, text = sandbox(
        "dual.example.test", hosts="", resolv=NS, addresses=("192.0.2.200/24",)
    )
    assert codes(diagnosis) == ["addrconfig-dropped-aaaa"]
    assert addresses(diagnosis["getaddrinfo"]) == {"192.0.2.20", "2001:db8::20"}
    assert addresses(diagnosis["getaddrinfo_addrconfig"]) == {"192.0.2.20"}
    assert diagnosis["host_addresses"] == ["192.0.2.200"]
    assert "AAAA dropped by AI_ADDRCONFIG" in text


def test_agree(sandbox: Any) -> None:
    diagnosis, text = sandbox("dual.example.test", hosts="", resolv=NS)
    assert codes(diagnosis) == ["agree"]
    assert diagnosis["answered_by"] == "dns"
    assert set(diagnosis["dig_addresses"]) == {"192.0.2.20", "2001:db8::20"}
    assert "the application and dig agree" in text


def test_no_dns_server_answered(sandbox: Any) -> None:
    diagnosis, _text = sandbox("www.example.test", hosts="", resolv="nameserver 127.0.0.78\n",
                               nsd_zones=False)  # fmt: skip
    assert codes(diagnosis)[0] == "dns-unreachable"
    assert all(answer["rcode"] is None for answer in diagnosis["dns"])


def test_servers_disagree(sandbox: Any) -> None:
    other = {"example.test.": EXAMPLE_ZONE.replace("192.0.2.10", "198.51.100.10")}
    diagnosis, text = sandbox(
        "www.example.test", hosts="", resolv=NS, extra=("@127.0.0.78",), second_zones=other
    )
    assert codes(diagnosis) == ["servers-disagree"]
    assert (diagnosis["dig_server"], diagnosis["dig_addresses"]) == (
        "127.0.0.78",
        ["198.51.100.10"],
    )
    assert addresses(diagnosis["getaddrinfo"]) == {"192.0.2.10"}
    assert "127.0.0.78 (-s)" in text


def test_no_aaaa_option(sandbox: Any) -> None:
    diagnosis, _text = sandbox("dual.example.test", hosts="", resolv=NS + "options no-aaaa\n")
    assert codes(diagnosis) == ["no-aaaa-option"]
    assert addresses(diagnosis["getaddrinfo"]) == {"192.0.2.20"}  # glibc 2.36 and later


def test_gethostbyname_knows_only_ipv4(sandbox: Any) -> None:
    diagnosis, _text = sandbox("v6.example.test", hosts="", resolv=NS)
    assert codes(diagnosis) == ["legacy-ipv4-only"]
    assert diagnosis["gethostbyname"]["addresses"] == []
    assert addresses(diagnosis["getaddrinfo"]) == {"2001:db8::30"}


def test_dns_not_in_nsswitch(sandbox: Any) -> None:
    diagnosis, _text = sandbox(
        "www.example.test", hosts="", resolv=NS, nsswitch="hosts: files [NOTFOUND=return] dns\n"
    )
    assert codes(diagnosis) == ["dns-not-reached"]
    assert diagnosis["sources"][0]["action"] == "return"
    assert diagnosis["getaddrinfo"]["error"] is not None


# Where scripts/install-test-deps.sh unpacks libnss_myhostname.so.2 without installing it.
NSS_CACHE = Path("/var/cache/netkit-tests/nss")


def test_myhostname_answers_the_host_name(sandbox: Any) -> None:
    from netkit.resolve.diagnose import _module_installed

    overlays: tuple[tuple[str, str], ...] = ()
    if not _module_installed("myhostname"):
        if not (NSS_CACHE / "libnss_myhostname.so.2").exists():
            message = f"no libnss_myhostname.so.2 in {NSS_CACHE} (scripts/install-test-deps.sh)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        import sysconfig

        multiarch = sysconfig.get_config_var("MULTIARCH") or ""
        overlays = ((str(NSS_CACHE), f"/usr/lib/{multiarch}".rstrip("/")),)
    diagnosis, _text = sandbox("localhost", hosts="", resolv=NS,
                               nsswitch="hosts: myhostname dns\n", overlays=overlays)  # fmt: skip
    assert codes(diagnosis) == ["myhostname"]


def test_usage_errors() -> None:
    from tests.support import invoke_netkit

    for args in (["a", "b"], ["-t", "MX", "a"], ["-x", "a"], ["--service", "80", "a"]):
        status, _out, err = invoke_netkit("resolve", "--diagnose", *args)
        assert status == 2, err
    status, _out, err = invoke_netkit("resolve", "--diagnose", "a..b")
    assert status == 1 and "empty label" in err


# --- walking the hosts line ----------------------------------------------------------------


def answer(qname: str, rdtype: str, rcode: str | None, *addresses: str) -> Any:
    from netkit.resolve.diagnose import DnsAnswer

    return DnsAnswer(qname, rdtype, "127.0.0.1", 53, True, rcode, list(addresses))


def test_walk_dns_goes_on_after_nxdomain_and_stops_at_silence() -> None:
    from netkit.resolve.diagnose import walk_dns

    resolv = conf(["corp.example"])
    names = candidate_names("api", resolv)
    found = walk_dns(names, [answer("api.corp.example.", "A", "NXDOMAIN"),
                             answer("api.corp.example.", "AAAA", "NXDOMAIN"),
                             answer("api.", "A", "NOERROR", "192.0.2.1"),
                             answer("api.", "AAAA", "NOERROR")], resolv)  # fmt: skip
    assert (found.status, found.addresses) == ("SUCCESS", ["192.0.2.1"])
    assert found.winner is not None and found.winner.qname == "api."
    silent = walk_dns(names, [answer("api.corp.example.", "A", None),
                              answer("api.", "A", "NOERROR", "192.0.2.1")], resolv)  # fmt: skip
    assert silent.status == "TRYAGAIN"  # res_search gives up at a timeout
    only_aaaa = [answer("api.", "AAAA", "NOERROR", "2001:db8::1")]
    no_aaaa = conf([], options=["no-aaaa"])
    assert walk_dns(candidate_names("api", no_aaaa), only_aaaa, no_aaaa).status == "NOTFOUND"


@pytest.mark.parametrize(
    ("name", "status"),
    [("localhost", "SUCCESS"), ("db.localhost.", "SUCCESS"), ("example.test", "NOTFOUND")],
)
def test_myhostname_source(name: str, status: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from netkit.resolve import diagnose
    from netkit.resolve.hostconf import HostsMatches, NsswitchHosts

    monkeypatch.setattr(diagnose, "_module_installed", lambda source: True)
    sources, _ = parse_nss_sources("myhostname [NOTFOUND=return] dns")
    facts = diagnose._Facts(
        name, NsswitchHosts("x", "", 1, sources), HostsMatches("x"), conf([]), [], []
    )
    walked = diagnose.walk_sources(facts)
    assert [(o.source, o.status, o.action) for o in walked] == [("myhostname", status, "return")]
    if status == "SUCCESS":
        assert walked[0].addresses == ["127.0.0.1", "::1"]
