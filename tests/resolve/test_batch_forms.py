"""A --dns batch streams in every output form: the same results, in input order, once each.

Small batches against the session's NSD; tests/resolve/test_bulk.py runs them at scale.
"""

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import interrupt, popen_netkit, run_netkit

NAMES = ["host.example.test", "nope.example.test", "www.example.test", "a..b", "mail.example.test"]


def write_names(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "names.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_jsonl_and_json_carry_the_same_objects_in_input_order(
    at_nsd: list[str], tmp_path: Path
) -> None:
    names = write_names(tmp_path, ["# a comment", "", *NAMES])
    jsonl = run_netkit("resolve", *at_nsd, "-f", str(names), "--jsonl")
    array = run_netkit("resolve", *at_nsd, "-f", str(names), "--json")
    assert jsonl.returncode == array.returncode == 1  # NXDOMAIN and an invalid name
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["name"] for r in lines] == NAMES
    # The server that answered is in every object: dig's SERVER line.
    assert {r["server"] for r in lines if r["rcode"]} == {"127.0.0.1"}
    objects = json.loads(array.stdout)
    for result in (*lines, *objects):
        result.pop("query_time_ms")
        result.pop("id")
    assert objects == lines
    assert array.stdout.startswith("[\n{") and array.stdout.endswith("}\n]\n")


def test_table_and_short_keep_input_order(at_nsd: list[str], tmp_path: Path) -> None:
    names = write_names(tmp_path, NAMES)
    table = run_netkit("resolve", *at_nsd, "-f", str(names))
    rows = table.stdout.splitlines()
    assert rows[0].split() == ["NAME", "TYPE", "TTL", "DATA", "STATUS"]
    assert [row.split()[0] for row in rows[1:]] == [
        "host.example.test.",
        "nope.example.test.",
        "www.example.test.",
        "web.example.test.",  # the CNAME chain, a row for each record
        "host.example.test.",
        "a..b",
        "mail.example.test.",
    ]
    short = run_netkit("resolve", *at_nsd, "-f", str(names), "--short")
    assert short.stdout.splitlines() == [
        "192.0.2.10",
        "web.example.test.",
        "host.example.test.",
        "192.0.2.10",
        "192.0.2.25",
    ]
    assert "nope.example.test.: no such name (NXDOMAIN)" in short.stderr


def test_summary_line_counts_each_outcome(at_nsd: list[str], tmp_path: Path) -> None:
    names = write_names(tmp_path, NAMES)
    done = run_netkit("resolve", *at_nsd, "-f", str(names), "--jsonl")
    summary = done.stderr.splitlines()[-1]
    assert summary.startswith("netkit: summary: 5 queries in ")
    assert summary.endswith(": 3 answered, 2 failed (1 NXDOMAIN, 1 other)")
    quiet = run_netkit("resolve", *at_nsd, "-f", str(names), "--jsonl", "--quiet")
    assert quiet.stderr == ""
    assert len(quiet.stdout.splitlines()) == len(done.stdout.splitlines())


def test_json_and_jsonl_are_one_choice(at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "a.test", "--json", "--jsonl")
    assert done.returncode == 2
    assert "--json and --jsonl" in done.stderr


def test_a_single_name_with_jsonl_is_one_line(at_nsd: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "host.example.test", "--jsonl")
    assert done.returncode == 0
    [line] = done.stdout.splitlines()
    assert json.loads(line)["answers"][0]["data"] == "192.0.2.10"


@pytest.mark.parametrize("form", ["--json", "--jsonl"])
def test_ctrl_c_closes_the_output_and_says_so(at_nsd: list[str], form: str, tmp_path: Path) -> None:
    # Names that wait on a server that never answers, so the batch is still running.
    with popen_netkit(
        "resolve", "@127.0.0.1", "-p", "9", "--timeout", "30", "-f", "-", form,
        stdin=subprocess.PIPE,
    ) as process:  # fmt: skip
        assert process.stdin is not None
        process.stdin.write(b"a.test\n")
        process.stdin.flush()
        time.sleep(0.5)
        out, err = interrupt(process)
    assert process.returncode == 130
    if form == "--json":
        assert json.loads(out) is not None  # a complete array, whatever it holds
    assert err.decode().splitlines()[-1].endswith(", interrupted")


def test_batch_lines_may_name_their_types(at_nsd: list[str], tmp_path: Path) -> None:
    names = write_names(
        tmp_path,
        [
            "host.example.test AAAA",
            "example.test mx txt",  # as dig reads them: any case
            "mail.example.test",  # -t's types
            "host.example.test NOSUCHTYPE",
        ],
    )
    done = run_netkit("resolve", *at_nsd, "-t", "A", "-f", str(names), "--jsonl")
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["name"], r["type"]) for r in results] == [
        ("host.example.test", "AAAA"),
        ("example.test", "MX"),
        ("example.test", "TXT"),
        ("mail.example.test", "A"),
        ("host.example.test", "NOSUCHTYPE"),
    ]
    assert results[0]["answers"][0]["data"] == "2001:db8::10"
    assert [r["error"] is None for r in results] == [True, True, True, True, False]
    assert "NOSUCHTYPE" in results[4]["error"]


@pytest.mark.parametrize("mode", ["--modern", "--legacy"])
def test_a_system_resolver_batch_streams_in_input_order(mode: str) -> None:
    # The lookups run on a pool of threads; their results still come out in input order.
    names = ["localhost", "a..b", "127.0.0.1"] * 40
    done = run_netkit("resolve", mode, *names, "--jsonl", "--concurrency", "8")
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["name"] for r in results] == names
    assert [r["error"] is None for r in results] == [True, False, True] * 40
    assert done.stderr.splitlines()[-1].endswith(": 80 answered, 40 failed (40 other)")
    array = run_netkit("resolve", mode, *names, "--json", "-q")
    assert [r["name"] for r in json.loads(array.stdout)] == names
