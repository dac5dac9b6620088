"""`netkit conv split|range|merge|contains` through click's runner and the real process."""

import ipaddress
import json
import os
import pty
import shutil
import subprocess

import pytest

from tests.support import invoke_netkit, netkit_executable

invoke = invoke_netkit


def test_split_json_is_ipaddress_subnets() -> None:
    status, out, _ = invoke("conv", "split", "10.0.0.0/22", "/24", "--json")
    assert status == 0
    rows = json.loads(out)
    expected = list(ipaddress.ip_network("10.0.0.0/22").subnets(new_prefix=24))
    assert [row["network"] for row in rows] == [str(n) for n in expected]
    assert rows[0]["first_host"] == "10.0.0.1" and rows[0]["broadcast"] == "10.0.0.255"
    assert rows[0]["host_count"] == 254


@pytest.mark.parametrize(
    ("option", "networks"),
    [
        (["--count", "3"], ["2001:db8::/106", "2001:db8::40:0/106"]),
        (["--hosts", "60000"], ["2001:db8::/112", "2001:db8::1:0/112"]),
    ],
)
def test_split_by_count_and_by_hosts(option: list[str], networks: list[str]) -> None:
    status, out, _ = invoke("conv", "split", "2001:db8::/104", *option, "--json")
    assert status == 0
    assert [row["network"] for row in json.loads(out)][:2] == networks


def test_split_plan_table_and_json() -> None:
    status, out, _ = invoke("conv", "split", "10.0.0.0/24", "--hosts", "100,50,20,2")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["FOR", "HOSTS", "SUBNET"]
    assert lines[1].split()[:2] == ["100", "10.0.0.0/25"]
    assert lines[-1].split()[:2] == ["free", "10.0.0.240/28"]
    status, out, _ = invoke("conv", "split", "10.0.0.0/24", "--hosts", "100,50,20,2", "--json")
    entries = json.loads(out)
    assert [e["requested_hosts"] for e in entries] == [100, 50, 20, 2, None, None, None, None]
    assert entries[0]["subnet"]["network"] == "10.0.0.0/25"


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["10.0.0.0/24"], 2, "give one of"),
        (["10.0.0.0/24", "/26", "--count", "4"], 2, "give one of"),
        (["10.0.0.0/24", "/20"], 1, "larger than"),
        (["10.0.0.0/24", "/33"], 1, "not a prefix length"),
        (["10.0.0/24", "/26"], 1, "not a valid"),
        (["10.0.0.0/24", "--hosts", "100,200"], 1, "no room"),
        (["10.0.0.0/24", "--hosts", "x"], 1, "not a number"),
        (["fe80::1%eth0/64", "/65"], 1, "scope id"),
    ],
)
def test_split_refuses_with_one_line(args: list[str], status: int, message: str) -> None:
    code, out, err = invoke("conv", "split", *args)
    assert (code, out) == (status, "")
    assert err.count("\n") == 1 and message in err


def test_a_huge_split_streams_into_a_pipe() -> None:
    if shutil.which("head") is None:
        pytest.skip("needs head")
    done = subprocess.run(
        ["sh", "-c", f"'{netkit_executable()}' conv split 10.0.0.0/8 /32 | head -3"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.stdout.splitlines()[1].split()[0] == "10.0.0.0/32"
    assert done.stderr == ""


def test_a_huge_split_on_a_terminal_asks_for_force() -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [netkit_executable(), "conv", "split", "10.0.0.0/8", "/32"],
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=20,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert "16,777,216 subnets" in done.stderr and "--force" in done.stderr


def test_range() -> None:
    status, out, _ = invoke("conv", "range", "10.0.0.5", "10.0.0.200", "--json")
    assert status == 0
    expected = ipaddress.summarize_address_range(
        ipaddress.ip_address("10.0.0.5"), ipaddress.ip_address("10.0.0.200")
    )
    assert [row["network"] for row in json.loads(out)] == [str(n) for n in expected]
    status, out, err = invoke("conv", "range", "10.0.0.9", "10.0.0.1")
    assert (status, out) == (1, "") and "comes after" in err


def test_merge_reads_stdin_keeps_families_apart_and_excludes() -> None:
    lines = "10.0.0.0/25\n# a comment\n\n10.0.0.128/25\n2001:db8::/33\n2001:db8:8000::/33\n"
    status, out, _ = invoke("conv", "merge", "--json", "--exclude", "10.0.0.0/26", input=lines)
    assert status == 0
    blocks = json.loads(out)
    assert [b["network"] for b in blocks] == ["10.0.0.64/26", "10.0.0.128/25", "2001:db8::/32"]
    assert blocks[-1]["family"] == "IPv6" and blocks[1]["address_count"] == 128


def test_merge_arguments_and_empty_result() -> None:
    status, out, _ = invoke("conv", "merge", "10.0.0.1", "10.0.0.0", "--json")
    assert (status, json.loads(out)) == (0, [json.loads(out)[0]])
    assert json.loads(out)[0]["network"] == "10.0.0.0/31"
    status, out, _ = invoke("conv", "merge", "10.0.0.0/24", "--exclude", "10.0.0.0/8", "--json")
    assert (status, json.loads(out)) == (0, [])


def test_merge_names_a_bad_line() -> None:
    status, out, err = invoke("conv", "merge", "-", input="10.0.0.0/8\nbanana\n")
    assert (status, out) == (1, "")
    assert "'banana'" in err


def test_contains_exit_status() -> None:
    assert invoke("conv", "contains", "10.0.0.0/8", "10.1.2.3", "10.0.0.0/9")[0] == 0
    status, out, _ = invoke("conv", "contains", "10.0.0.0/8", "10.1.2.3", "::1", "--json")
    assert status == 1
    assert [row["contained"] for row in json.loads(out)] == [True, False]
    status, out, _ = invoke("conv", "contains", "2001:db8::/32", "-", input="2001:db8::1\nx\n")
    assert status == 1
    assert "yes" in out and "not a valid" in out
    status, out, err = invoke("conv", "contains", "10.0.0.0/8", "10.0.0")
    assert (status, out) == (1, "") and "not a valid" in err
    status, out, err = invoke("conv", "contains", "10.0.0/8", "10.0.0.1")
    assert (status, out) == (1, "") and "not a valid" in err


def test_split_and_range_read_stdin() -> None:
    status, out, _ = invoke(
        "conv", "split", "-", "/24", "--json", input="10.0.0.0/23\n# c\n2001:db8::/24\n"
    )
    assert status == 0
    assert [row["network"] for row in json.loads(out)] == [
        "10.0.0.0/24", "10.0.1.0/24", "2001:d00::/24"
    ]  # fmt: skip
    status, out, _ = invoke("conv", "range", "-", "--json", input="10.0.0.1 10.0.0.2\n::1-::1\n")
    assert status == 0
    assert [row["network"] for row in json.loads(out)] == ["10.0.0.1/32", "10.0.0.2/32", "::1/128"]
    status, _, err = invoke("conv", "range", "-", input="10.0.0.1\n")
    assert status == 1 and "not a range" in err
    assert invoke("conv", "range", "10.0.0.1")[0] == 2
    assert invoke("conv", "split", "-", "--hosts", "5,6", input="10.0.0.0/24\n")[0] == 2
