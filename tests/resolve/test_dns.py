"""--dns against a real NSD: every record type, chains, wildcards, failures, TCP, PTR, IDN, batches.

dig, where installed, is the judge of what the answers should be.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.resolve.nsd import Nsd
from tests.support import netkit_executable, require_tool, run_netkit

# Presentation forms differ in details that are not data: dig splits base64 and hex with
# spaces and prints hex in upper case; dnspython quotes SVCB values.
SPACED_TYPES = {"DNSKEY", "DS", "RRSIG", "TLSA", "SSHFP"}


def normalize(rdtype: str, data: str) -> str:
    if rdtype in SPACED_TYPES:
        return "".join(data.split()).lower()
    if rdtype in ("SVCB", "HTTPS"):
        return data.replace('"', "")
    return " ".join(data.split())


def dig_answers(nsd: Nsd, name: str, rdtype: str, *extra: str) -> list[tuple[str, str, int, str]]:
    dig = require_tool("dig")
    done = subprocess.run(
        [dig, "@127.0.0.1", "-p", str(nsd.port), name, rdtype, "+noall", "+answer", *extra],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    answers = []
    for line in done.stdout.splitlines():
        owner, ttl, _klass, kind, data = line.split(None, 4)
        answers.append((owner, kind, int(ttl), normalize(kind, data)))
    return answers


def query(at_nsd: list[str], *args: str) -> list[dict[str, Any]]:
    done = run_netkit("resolve", *at_nsd, *args, "--json")
    assert "Traceback" not in done.stderr
    parsed = json.loads(done.stdout)
    assert isinstance(parsed, list)
    return parsed


def answers_of(result: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    records = result["answers"]
    assert isinstance(records, list)
    return [(r["name"], r["type"], r["ttl"], normalize(r["type"], r["data"])) for r in records]


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [
        ("host.example.test", "A"),
        ("host.example.test", "AAAA"),
        ("www.example.test", "CNAME"),
        ("example.test", "MX"),
        ("example.test", "NS"),
        ("example.test", "SOA"),
        ("example.test", "TXT"),
        ("_http._tcp.example.test", "SRV"),
        ("10.2.0.192.in-addr.arpa", "PTR"),
        ("example.test", "CAA"),
        ("child.example.test", "DS"),
        ("example.test", "DNSKEY"),
        ("example.test", "HTTPS"),
        ("_svc.example.test", "SVCB"),
        ("www.example.test", "A"),  # a CNAME chain: www -> web -> host
        ("anything.wild.example.test", "A"),  # the wildcard
        ("big.example.test", "TXT"),  # 60 records: truncated over UDP, retried over TCP
    ],
)
def test_answers_match_dig(nsd: Nsd, at_nsd: list[str], name: str, rdtype: str) -> None:
    [result] = query(at_nsd, name, "-t", rdtype)
    assert result["rcode"] == "NOERROR"
    assert result["error"] is None
    assert sorted(answers_of(result)) == sorted(dig_answers(nsd, name, rdtype))


def test_dig_style_output_shows_header_sections_and_server(nsd: Nsd, at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "www.example.test")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert ";; ->>HEADER<<- opcode: QUERY, status: NOERROR" in out
    assert ";; flags: qr aa rd; QUERY: 1, ANSWER: 3" in out
    assert ";; ANSWER SECTION:" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["www.example.test.", "300", "IN", "CNAME", "web.example.test."] in rows
    assert f";; SERVER: 127.0.0.1#{nsd.port}(127.0.0.1) (UDP)" in out
    assert ";; Query time: " in out


def test_short_is_like_dig_short(nsd: Nsd, at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "--short", "www.example.test")
    dig = require_tool("dig")
    expected = subprocess.run(
        [dig, "@127.0.0.1", "-p", str(nsd.port), "www.example.test", "+short"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    assert done.stdout == expected


def test_truncated_reply_is_retried_over_tcp(at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "big.example.test", "-t", "TXT")
    assert result["transport"] == "tcp"
    assert len(result["answers"]) == 60


def test_tcp_on_request(at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "--tcp", "example.test", "-t", "MX")
    assert (result["transport"], result["rcode"]) == ("tcp", "NOERROR")
    assert [a["data"] for a in result["answers"]] == [
        "10 mail.example.test.",
        "20 mail2.example.test.",
    ]


def test_json_fields_the_issue_lists(nsd: Nsd, at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "example.test", "-t", "MX")
    assert {"name", "type", "server", "rcode", "answers"} <= result.keys()
    assert (result["name"], result["type"], result["server"]) == ("example.test", "MX", "127.0.0.1")
    assert result["port"] == nsd.port
    assert result["answers"][0] == {
        "name": "example.test.",
        "type": "MX",
        "ttl": 300,
        "data": "10 mail.example.test.",
        "rdclass": "IN",
    }


def test_nxdomain_is_exit_1_with_one_line(nsd: Nsd, at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "nope.example.test")
    assert done.returncode == 1
    assert done.stderr == (
        f"netkit: error: nope.example.test.: no such name (NXDOMAIN) from 127.0.0.1#{nsd.port}\n"
    )
    assert "status: NXDOMAIN" in done.stdout  # the reply itself, with its SOA, as dig shows it
    assert "SOA  ns1.example.test. hostmaster.example.test." in done.stdout


def test_nodata_is_exit_1_with_one_line(nsd: Nsd, at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "--short", "mail.example.test", "-t", "AAAA")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"netkit: error: mail.example.test.: no AAAA records (NODATA) from 127.0.0.1#{nsd.port}\n"
    )


def test_dangling_cname_is_nodata_for_the_type(at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "dangling.example.test")
    assert result["rcode"] == "NXDOMAIN"  # RFC 6604: the rcode describes the chain's end
    assert [a["type"] for a in result["answers"]] == ["CNAME"]


def test_refused_for_a_zone_nsd_does_not_serve(nsd: Nsd, at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "--short", "example.org")
    assert done.returncode == 1
    assert done.stderr == (
        "netkit: error: example.org. A: the server refused the query (REFUSED) "
        f"from 127.0.0.1#{nsd.port}\n"
    )


@pytest.mark.parametrize(
    ("address", "ptr"),
    [("192.0.2.10", "host.example.test."), ("2001:db8::10", "host.example.test.")],
)
def test_reverse_lookup_is_a_ptr_query(at_nsd: list[str], address: str, ptr: str) -> None:
    [result] = query(at_nsd, "-x", address)
    assert result["type"] == "PTR"
    assert [a["data"] for a in result["answers"]] == [ptr]


def test_reverse_lookup_takes_other_types_like_dig(at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "-x", "192.0.2.10", "-t", "TXT")
    assert (result["name"], result["type"]) == ("192.0.2.10", "TXT")
    assert [a["data"] for a in result["answers"]] == ['"reverse text"']


def test_idn_name_is_sent_as_a_labels(at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "bücher.example.test")
    assert result["qname"] == "xn--bcher-kva.example.test."
    assert result["unicode_name"] == "bücher.example.test."
    assert [a["data"] for a in result["answers"]] == ["192.0.2.77"]
    done = run_netkit("resolve", *at_nsd, "bücher.example.test")
    assert "; (IDN: bücher.example.test.)" in done.stdout


def test_several_types_and_names_keep_input_order(at_nsd: list[str]) -> None:
    names = ["host.example.test", "nope.example.test", "mail.example.test"]
    results = query(at_nsd, *names, "-t", "A", "-t", "AAAA")
    assert [(r["name"], r["type"]) for r in results] == [
        (name, rdtype) for name in names for rdtype in ("A", "AAAA")
    ]
    statuses = [(r["rcode"], r["error"] is None) for r in results]
    assert statuses == [
        ("NOERROR", True),
        ("NOERROR", True),
        ("NXDOMAIN", False),
        ("NXDOMAIN", False),
        ("NOERROR", True),
        ("NOERROR", False),  # NODATA
    ]


@pytest.mark.parametrize("transport", [[], ["--tcp"]])
def test_batch_file_concurrent_in_order(
    at_nsd: list[str], tmp_path: Path, transport: list[str]
) -> None:
    names = [f"n{i}.wild.example.test" for i in range(400)] + ["nope.example.test"]
    listing = tmp_path / "names.txt"
    listing.write_text("\n".join(names) + "\n")
    results = query(at_nsd, *transport, "-f", str(listing), "--concurrency", "32")
    assert [r["name"] for r in results] == names
    assert {r["transport"] for r in results} == {"tcp" if transport else "udp"}
    assert all(r["answers"] for r in results[:-1])
    assert results[-1]["rcode"] == "NXDOMAIN"


def test_batch_table_shows_rows_and_failures(at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "host.example.test", "nope.example.test")
    assert done.returncode == 1
    assert "192.0.2.10" in done.stdout
    assert "NXDOMAIN" in done.stdout
    assert done.stderr.startswith("netkit: summary: 2 queries in ")
    assert done.stderr.endswith(": 1 answered, 1 failed (1 NXDOMAIN)\n")


def test_no_recurse_clears_rd(at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "--no-recurse", "host.example.test")
    assert "rd" not in result["flags"]


def test_dnssec_sets_do(at_nsd: list[str]) -> None:
    [result] = query(at_nsd, "--dnssec", "host.example.test")
    assert result["edns"] == {"version": 0, "udp_size": 1232, "dnssec_ok": True, "options": []}


def test_progress_bar_on_a_terminal_only(at_nsd: list[str], tmp_path: Path) -> None:
    import os
    import pty

    names = tmp_path / "names.txt"
    names.write_text("".join(f"p{i}.wild.example.test\n" for i in range(300)))
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [netkit_executable(), "resolve", *at_nsd, "-f", str(names), "--short"],
            stdout=subprocess.PIPE,
            stderr=terminal,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        )
        os.close(terminal)
        stdout, _ = process.communicate(timeout=30)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(controller)
    assert process.returncode == 0
    assert stdout.decode().splitlines() == ["192.0.2.99"] * 300  # data on stdout, untouched
    assert b"resolving" in seen  # the progress went to the terminal on stderr
    assert b"300 answered" in seen


def test_a_batch_of_addresses_never_loads_dnspython(at_nsd: list[str]) -> None:
    import sys

    code = (
        "import sys, io, contextlib; from netkit.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()): status = run(sys.argv[1:])\n"
        "print(status, [m for m in sys.modules if m == 'dns' or m.startswith('dns.')])"
    )
    args = ["resolve", *at_nsd, "host.example.test", "www.example.test", "-t", "A", "-t", "AAAA"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.split(None, 1) == ["0", "[]\n"]
