"""resolve --legacy/--modern --explain: the library calls CPython makes, with what they return.

These are C library calls, which strace cannot see; the judge is the C program of --show-c for
the same invocation, which makes the same call with the same hints: the narrated struct hostent
and addrinfo list must be what it prints, in its order."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.strace import assert_narration_is_true, run_traced
from tests.support import require_tool, run_netkit

_ADDR = re.compile(r"ai_addr=\{AF_INET6?, \[?([^\]\s]+?)\]?:(\d+)\}")


def _narration(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = run_netkit("resolve", *args, "--explain", "--json")
    calls = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    return result.returncode, calls


def _c_output(tmp_path: Path, *args: str) -> list[str]:
    cc = require_tool("cc")
    source = run_netkit("resolve", *args, "--show-c").stdout
    (tmp_path / "p.c").write_text(source)
    subprocess.run([cc, "-Wall", "-Wextra", "-Werror", "-o", str(tmp_path / "p"),
                    str(tmp_path / "p.c")], check=True, timeout=60)  # fmt: skip
    done = subprocess.run([str(tmp_path / "p")], capture_output=True, text=True, timeout=20,
                          check=True)  # fmt: skip
    return done.stdout.splitlines()


def test_modern_narrates_getaddrinfo_and_its_list(tmp_path: Path) -> None:
    args = ("--modern", "--service", "80", "--socktype", "any", "localhost")
    status, calls = _narration(*args)
    assert status == 0
    [call] = calls
    assert call["call"] == "getaddrinfo" and call["result"] == 0 and call["errno"] is None
    assert call["args"][:3] == [
        '"localhost"',
        '"80"',
        "{ai_flags=AI_CANONNAME, ai_family=AF_UNSPEC}",
    ]
    narrated = [(address, int(port)) for address, port in _ADDR.findall(call["args"][3])]
    rows = [line.split() for line in _c_output(tmp_path, *args)[1:]]
    assert narrated == [(row[3], int(row[4])) for row in rows]
    assert len(narrated) >= 2  # one per socket type at least


def test_legacy_narrates_cpythons_two_calls(tmp_path: Path) -> None:
    status, calls = _narration("--legacy", "localhost")
    assert status == 0
    assert [c["call"] for c in calls] == ["getaddrinfo", "gethostbyname_r"]
    assert calls[0]["args"] == ['"localhost"', "NULL", "{ai_family=AF_INET}", "&res"]
    hostent = calls[1]["args"][1]
    c_lines = _c_output(tmp_path, "--legacy", "localhost")
    assert c_lines[0] == "Host: localhost" and 'h_name="localhost"' in hostent
    addresses = [line.split(": ", 1)[1] for line in c_lines if line.startswith("IP: ")]
    assert hostent.endswith(f"h_addr_list=[{', '.join(addresses)}]}}")
    # A numeric address is parsed with inet_pton: no getaddrinfo.
    assert [c["call"] for c in _narration("--legacy", "127.0.0.1")[1]] == ["gethostbyname_r"]


def test_failures_carry_the_library_code() -> None:
    status, calls = _narration("--modern", "no-such-host.invalid")
    assert status == 1
    assert (calls[-1]["call"], calls[-1]["errno"]) == ("getaddrinfo", "EAI_NONAME")
    assert calls[-1]["result"] < 0
    status, calls = _narration("--legacy", "no-such-host.invalid")
    assert status == 1
    assert [c["call"] for c in calls] == ["getaddrinfo"]  # CPython stops before gethostbyname_r


@pytest.mark.parametrize("transport", [[], ["--tcp"]], ids=["udp", "tcp"])
def test_dns_query_socket_calls_are_what_strace_sees(
    tmp_path: Path, at_nsd: list[str], transport: list[str]
) -> None:
    done, narration, trace = run_traced(
        tmp_path, "resolve", *at_nsd, *transport, "ns1.example.test", "--explain", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert_narration_is_true(narration, trace)
    calls = [call["call"] for call in narration]
    assert calls[0] == "epoll_create1"
    kind = "SOCK_STREAM" if transport else "SOCK_DGRAM"
    assert any(c["call"] == "socket" and c["args"][1] == kind for c in narration)
    # The message sizes: the query went out whole, and a reply came back.
    [query] = [c for c in narration if c["call"] == "send"]
    assert query["result"] == int(query["args"][2])
    replies = [c for c in narration if c["call"] == "recv" and (c["result"] or 0) > 0]
    assert replies and "close" in calls


def test_encrypted_dns_is_not_narrated_yet() -> None:
    result = run_netkit("resolve", "--https", "https://127.0.0.1/", "x.test", "--explain")
    assert result.returncode == 2 and "--explain" in result.stderr
