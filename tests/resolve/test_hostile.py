"""`netkit resolve` shows hostile DNS data and /etc/hosts names as data, never as markup or control.

A private NSD serves TXT records holding rich markup (`[/x]`, `[bold]`, `[link=...]`), terminal
escape sequences (ESC CSI and OSC as zone escapes `\\027`) and a bidi override (U+202E as UTF-8
bytes). dig is the oracle: netkit must print the TXT data exactly as dig does, in one-name output,
in batches (where a `[/x]` once raised MarkupError and lost the whole batch), with --short and in
--json. For the system resolver, /etc/hosts is replaced by a hostile one in a private mount
namespace (`unshare -m`), so the host's file is never touched.
"""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from tests.render.hostile import assert_safe
from tests.resolve.nsd import Nsd, running_nsd
from tests.support import IN_CI, netkit_executable, require_tool, run_netkit

ZONE = """\
$ORIGIN hostile.test.
$TTL 300
@        IN SOA ns1 hostmaster 1 3600 600 86400 300
@        IN NS  ns1
ns1      IN A   127.0.0.1
close    IN TXT "[/x]"
markup   IN TXT "[bold]hi[/bold]" "[link=http://evil.test]click[/link]"
escape   IN TXT "\\027[31mred\\027[0m" "\\027]0;pwned\\007"
bidi     IN TXT "\\226\\128\\174evil.com"
www      IN A   192.0.2.1
www      IN TXT "normal text"
mail     IN A   192.0.2.2
mail     IN TXT "v=spf1 -all"
*.wild   IN TXT "wildcard"
"""
HOSTILE_TXT = ["close", "markup", "escape", "bidi"]
NORMAL = ["www", "mail"]
MARKUP_SHOWN = ["[/x]", "[bold]hi[/bold]", "[link=http://evil.test]click[/link]"]
# What dig prints for the escape and bidi records: dnspython's \DDD presentation, as dig's.
ESCAPES_SHOWN = ['"\\027[31mred\\027[0m" "\\027]0;pwned\\007"', '"\\226\\128\\174evil.com"']

# Plain output, and FORCE_COLOR=1 (then the renderer writes its own colour codes).
COLOURS = [
    pytest.param({}, False, id="no-color"),
    pytest.param({"FORCE_COLOR": "1"}, True, id="force-color"),
]
WIDE = {"COLUMNS": "200"}  # a table wide enough that no cell wraps
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def fqdn(label: str) -> str:
    return f"{label}.hostile.test"


def without_colour(output: str) -> str:
    """The output without the SGR colour codes the renderer writes itself."""
    return _SGR.sub("", output)


@pytest.fixture(scope="module")
def hostile_nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nsd]:
    """A separate NSD serving the hostile zone (checked with nsd-checkzone first)."""
    binary = require_tool("nsd")
    checkzone = require_tool("nsd-checkzone")
    directory: Path = tmp_path_factory.mktemp("nsd-hostile")
    zone_file = directory / "check.zone"
    zone_file.write_text(ZONE)
    check = subprocess.run(
        [checkzone, "hostile.test.", str(zone_file)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with running_nsd(binary, directory, {"hostile.test.": ZONE}) as server:
        yield server


@pytest.fixture(scope="module")
def at_hostile(hostile_nsd: Nsd) -> list[str]:
    return ["--dns", "@127.0.0.1", "--port", str(hostile_nsd.port), "--timeout", "2"]


@pytest.fixture(scope="module")
def dig_short(hostile_nsd: Nsd) -> dict[str, list[str]]:
    """`dig +short TXT` for every name of the zone: the oracle for netkit's TXT data."""
    dig = require_tool("dig")
    answers: dict[str, list[str]] = {}
    server = ["@127.0.0.1", "-p", str(hostile_nsd.port), "+short", "+tries=2", "+time=2"]
    for label in HOSTILE_TXT + NORMAL:
        done = subprocess.run(
            [dig, *server, "TXT", fqdn(label)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        answers[label] = done.stdout.splitlines()
        assert answers[label], f"NSD did not serve TXT {fqdn(label)} (zone not loaded?)"
    assert answers["close"] == ['"[/x]"']
    assert answers["escape"] == [ESCAPES_SHOWN[0]]
    assert answers["bidi"] == [ESCAPES_SHOWN[1]]
    return answers


@pytest.mark.parametrize("label", HOSTILE_TXT)
@pytest.mark.parametrize(("env", "terminal"), COLOURS)
def test_one_txt_record_is_shown_as_dig_shows_it(
    at_hostile: list[str],
    dig_short: dict[str, list[str]],
    label: str,
    env: dict[str, str],
    terminal: bool,
) -> None:
    done = run_netkit("resolve", *at_hostile, "-t", "TXT", fqdn(label), env={**WIDE, **env})
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr, terminal=terminal)
    shown = without_colour(done.stdout)
    for line in dig_short[label]:
        assert re.search(
            rf"{re.escape(fqdn(label))}\.\s+300\s+IN\s+TXT\s+{re.escape(line)}\n", shown
        )
    if label == "close":
        assert '"[/x]"' in shown
    if label == "markup":
        for text in MARKUP_SHOWN[1:]:
            assert f'"{text}"' in shown


@pytest.mark.parametrize(("env", "terminal"), COLOURS)
def test_a_batch_with_a_closing_tag_keeps_every_answer(
    at_hostile: list[str],
    dig_short: dict[str, list[str]],
    tmp_path: Path,
    env: dict[str, str],
    terminal: bool,
) -> None:
    order = ["www", "close", "mail", "markup", "escape", "bidi"]
    names = tmp_path / "names.txt"
    names.write_text("".join(f"{fqdn(label)}\n" for label in order))
    done = run_netkit("resolve", *at_hostile, "-t", "TXT", "-f", str(names), env={**WIDE, **env})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "MarkupError" not in done.stderr
    assert_safe(done.stdout + done.stderr, terminal=terminal)
    shown = without_colour(done.stdout)
    assert "6 answered, 0 failed" in done.stderr  # the summary line
    for label in order:
        for line in dig_short[label]:
            # Boxes on a terminal (FORCE_COLOR), plain columns in a pipe: one format each.
            gap = r"\s+│\s+" if terminal else r"\s+"
            row = gap.join([re.escape(fqdn(label)) + r"\.", "TXT", "300", re.escape(line)])
            assert re.search(row, shown), f"no row for {fqdn(label)}: {line!r}"
    for text in MARKUP_SHOWN + ESCAPES_SHOWN:
        assert text in shown


def test_a_batch_in_json_carries_the_dnspython_presentation(
    at_hostile: list[str], dig_short: dict[str, list[str]]
) -> None:
    order = ["close", "www", "markup", "mail", "escape", "bidi"]
    done = run_netkit("resolve", *at_hostile, "-t", "TXT", "--json", *map(fqdn, order))
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr)
    results = json.loads(done.stdout)
    assert [result["name"] for result in results] == [fqdn(label) for label in order]
    for label, result in zip(order, results, strict=True):
        assert result["error"] is None
        assert result["rcode"] == "NOERROR"
        data = [answer["data"] for answer in result["answers"] if answer["type"] == "TXT"]
        assert data == dig_short[label]
        for text in data:
            rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, text)
            assert rdata.to_text() == text
    close = results[0]["answers"][0]["data"]
    assert close == '"[/x]"'


@pytest.mark.parametrize(("env", "terminal"), COLOURS)
def test_short_prints_exactly_what_dig_short_prints(
    at_hostile: list[str],
    dig_short: dict[str, list[str]],
    env: dict[str, str],
    terminal: bool,
) -> None:
    order = ["close", "www", "markup", "escape", "mail", "bidi"]
    done = run_netkit("resolve", *at_hostile, "-t", "TXT", "--short", *map(fqdn, order), env=env)
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr, terminal=terminal)
    expected = [line for label in order for line in dig_short[label]]
    assert without_colour(done.stdout).splitlines() == expected


def test_hostile_names_typed_by_the_user_fail_as_rows(
    at_hostile: list[str], dig_short: dict[str, list[str]], tmp_path: Path
) -> None:
    names = tmp_path / "names.txt"
    names.write_bytes(
        b"close.hostile.test\n\x1b[31m.hostile.test\n[/x].hostile.test\nwww.hostile.test\n"
    )
    done = run_netkit("resolve", *at_hostile, "-t", "TXT", "-f", str(names), env=WIDE)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert_safe(done.stdout + done.stderr, shown=["\x1b[31m.hostile.test."])
    assert "2 answered, 2 failed" in done.stderr  # the summary line
    assert "[/x].hostile.test." in done.stdout
    for label in ("close", "www"):
        assert dig_short[label][0] in done.stdout


@pytest.mark.parametrize("label", ["\x1b[31m", "a b", "a;b"])
def test_an_owner_name_typed_with_raw_octets_is_spelled_as_dig_spells_it(
    hostile_nsd: Nsd, at_hostile: list[str], label: str
) -> None:
    name = f"{label}.wild.hostile.test"
    dig = require_tool("dig")
    oracle = subprocess.run(
        [dig, "@127.0.0.1", "-p", str(hostile_nsd.port), "+noall", "+answer", "TXT", name],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    owner = oracle.stdout.split()[0]  # e.g. \027[31m.wild.hostile.test.
    done = run_netkit("resolve", *at_hostile, "-t", "TXT", "--json", name)
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert [answer["name"] for answer in result["answers"]] == [owner]


# /etc/hosts, replaced in a private mount namespace: glibc splits the fields on blanks only, so
# names may hold ESC, BEL, brackets and bidi overrides.
HOSTS = (
    b"127.0.0.1\tlocalhost\n"
    b"192.0.2.55\thostile-host.test [/x] \x1b[31mred [bold]x[/bold] bidi\xe2\x80\xaeevil\n"
    b"192.0.2.56\t[/x]\x1b]0;pw\x07canon hostile-modern.test\n"
)
ALIASES = ["[/x]", "\x1b[31mred", "[bold]x[/bold]", "bidi\u202eevil"]
CANONICAL = "[/x]\x1b]0;pw\x07canon"


@pytest.fixture(scope="module")
def hostile_hosts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hostile hosts file that a private mount namespace can bind over /etc/hosts."""
    unshare = require_tool("unshare")
    hosts = tmp_path_factory.mktemp("hosts") / "hosts"
    hosts.write_bytes(HOSTS)
    probe = subprocess.run(
        [unshare, "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && cat /etc/hosts', str(hosts)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout != HOSTS:
        message = f"cannot bind a hosts file in a private mount namespace: {probe.stderr!r}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return hosts


def resolve_with_hosts(
    hosts: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`netkit resolve ARGS` with ``hosts`` as /etc/hosts; the real /etc/hosts must not change."""
    before = Path("/etc/hosts").read_bytes()
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    namespace = [require_tool("unshare"), "-m", "sh", "-c", script, str(hosts)]
    done = subprocess.run(
        [*namespace, netkit_executable(), "resolve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", **WIDE, **(env or {})},
    )
    assert Path("/etc/hosts").read_bytes() == before, "the host's /etc/hosts changed"
    return done


@pytest.mark.parametrize(("env", "terminal"), COLOURS)
def test_legacy_shows_hostile_aliases_escaped(
    hostile_hosts: Path, env: dict[str, str], terminal: bool
) -> None:
    done = resolve_with_hosts(hostile_hosts, "--legacy", "hostile-host.test", env=env)
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr, shown=ALIASES, terminal=terminal)
    shown = without_colour(done.stdout)
    for text in ("[/x]", "\\x1b[31mred", "[bold]x[/bold]", "bidi\\u202eevil"):
        assert re.search(rf"alias\s+{re.escape(text)}\n", shown), text
    assert "192.0.2.55" in shown


def test_legacy_json_has_the_exact_aliases(hostile_hosts: Path) -> None:
    done = resolve_with_hosts(hostile_hosts, "--legacy", "--json", "hostile-host.test")
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr)
    [result] = json.loads(done.stdout)
    assert result["canonical"] == "hostile-host.test"
    assert result["aliases"] == ALIASES
    assert result["addresses"] == ["192.0.2.55"]


def test_legacy_resolves_a_name_typed_as_markup(hostile_hosts: Path) -> None:
    done = resolve_with_hosts(hostile_hosts, "--legacy", "[/x]")
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr, shown=ALIASES)
    assert re.search(r"name\s+\[/x\]\n", done.stdout)
    assert "Host: hostile-host.test" in done.stdout


@pytest.mark.parametrize("mode", ["--legacy", "--modern"])
@pytest.mark.parametrize(("env", "terminal"), COLOURS)
def test_a_hostile_canonical_name_is_shown_escaped(
    hostile_hosts: Path, mode: str, env: dict[str, str], terminal: bool
) -> None:
    done = resolve_with_hosts(hostile_hosts, mode, "hostile-modern.test", env=env)
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr, shown=[CANONICAL], terminal=terminal)
    assert "[/x]\\x1b]0;pw\\x07canon" in without_colour(done.stdout)
    assert "192.0.2.56" in done.stdout


@pytest.mark.parametrize("mode", ["--legacy", "--modern"])
def test_json_has_the_exact_canonical_name(hostile_hosts: Path, mode: str) -> None:
    done = resolve_with_hosts(hostile_hosts, mode, "--json", "hostile-modern.test")
    assert done.returncode == 0, done.stderr
    assert_safe(done.stdout + done.stderr)
    [result] = json.loads(done.stdout)
    assert result["canonical"] == CANONICAL


@pytest.mark.parametrize("form", [[], ["--short"], ["--jsonl"]])
def test_a_zone_transfer_shows_the_hostile_zone_as_data(hostile_nsd: Nsd, form: list[str]) -> None:
    done = run_netkit("resolve", f"@127.0.0.1#{hostile_nsd.port}", "hostile.test", "AXFR", *form)
    assert done.returncode == 0, done.stderr
    # The tabs between a record's fields are the layout's (every field is escaped on its own).
    assert_safe(done.stdout.replace("\t", " ") + done.stderr)
    if form == ["--jsonl"]:
        records = [json.loads(line) for line in done.stdout.splitlines()]
        assert {r["data"] for r in records} >= {'"[/x]"', ESCAPES_SHOWN[1]}
    else:
        assert '"[/x]"' in done.stdout
        assert ESCAPES_SHOWN[0] in done.stdout
